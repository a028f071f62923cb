package main

import (
	"bytes"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
)

// The porting traps of issue 11 that the client removes, one page each:
//
//	/p/keys          keyboard maps with standard KeyboardEvent.key names
//	                 and entries that can never match (console warnings)
//	/p/nopage        data-liveview-* elements outside data-controller="page"
//	                 (?orphan=1: at load; Insert: in a fragment)
//	/app/p/prefixed  a page, its client and its WebSocket under /app: an
//	                 Echo group and Config.Prefix, nothing else
//	                 (?wspath=P sets webSocketConfig.path)

// keyFunctions are the functions of /p/keys' keyboard map.
var keyFunctions = []string{
	"kb_escape", "kb_arrowup", "kb_arrowdown", "kb_pagedown", "kb_page_up", "kb_pageup",
	"kb_ctrl_s", "kb_ctrl_shift_p", "kb_bang", "kb_space", "kb_f2", "kb_delete", "kb_shift", "kb_never",
}

// addTrapPages adds those pages, their handlers on the default Hub and the
// Hub under /app, which it returns.
func addTrapPages(e *echo.Echo, drain time.Duration) *liveview.Hub {
	for _, name := range keyFunctions {
		liveview.Handle(name, func(*liveview.Context) error { return nil })
	}
	// A fragment for an element outside the page controller: its button
	// does nothing, and the client warns (once).
	liveview.Handle("insert_outside", func(c *liveview.Context) error {
		return c.Send(liveview.Message{Target: "#outside", Append: true,
			HTML: `<button class="late" data-liveview-function="record" data-action="page#run">Does nothing</button>`})
	})
	e.GET("/p/keys", func(c echo.Context) error {
		return c.Render(http.StatusOK, "keys.html", map[string]any{
			"Room": liveview.NewRoomID(), "Boxes": []string{"keys", "keys2"},
		})
	})
	e.GET("/p/nopage", func(c echo.Context) error {
		return c.Render(http.StatusOK, "nopage.html", map[string]any{
			"Room": liveview.NewRoomID(), "Orphan": c.QueryParam("orphan") != "",
		})
	})

	// The app under /app: one setting, Prefix. The page's template gets the
	// Hub's script tag as {{liveviewScript}}.
	prefixed := liveview.New(liveview.Config{Prefix: "/app", DrainWindow: drain})
	prefixed.Handle("record_prefixed", record)
	page := template.Must(template.New("").
		Funcs(template.FuncMap{"liveviewScript": prefixed.ScriptTag}).
		ParseFS(templateFS, "templates/prefix/page.html"))
	g := e.Group("/app")
	g.Use(prefixed.Middleware())
	g.GET("/p/prefixed", func(c echo.Context) error {
		var b bytes.Buffer
		err := page.ExecuteTemplate(&b, "page.html", map[string]any{
			"Room": liveview.NewRoomID(), "WSPath": c.QueryParam("wspath"),
		})
		if err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusOK, b.Bytes())
	})
	return prefixed
}
