package liveview

import (
	"errors"
	"html/template"
)

// ScriptTag returns the script tag that loads the client, for a page
// template:
//
//	<script src="/static/liveview/liveview.3f2a9c1b7d0e.min.js" data-liveview-path="/ws/liveview/:room/" defer></script>
//
// src is Hub.ScriptURL (content-hashed, cached forever, so no page ever gets
// a stale client); data-liveview-path is the endpoint (Config.Path under
// Config.Prefix), which the client reads as the default of
// webSocketConfig.path. So an app under a prefix sets Config.Prefix and
// nothing else; a page that sets window.webSocketConfig.path still wins.
// Use it through the template function liveviewScript (TemplateFuncs, for
// the default Hub) or bind it yourself for another Hub:
//
//	template.New("").Funcs(template.FuncMap{"liveviewScript": hub.ScriptTag})
func (h *Hub) ScriptTag() template.HTML {
	return template.HTML(`<script src="` + template.HTMLEscapeString(h.ScriptURL()) +
		`" data-liveview-path="` + template.HTMLEscapeString(h.cfg.Path) + `" defer></script>`)
}

// errNoScriptHub is what {{liveviewScript}} fails with before Plugin.
var errNoScriptHub = errors.New("liveview: liveviewScript: no default Hub yet (call Plugin or PluginWithConfig before rendering, or bind Hub.ScriptTag for a Hub made with New)")

// defaultScriptTag is TemplateFuncs' liveviewScript: the default Hub's
// ScriptTag, looked up when the template runs.
func defaultScriptTag() (template.HTML, error) {
	h := Default()
	if h == nil {
		return "", errNoScriptHub
	}
	return h.ScriptTag(), nil
}
