package liveview

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Keys under which Context.Fragment (and so Render, Append, Navigate,
// RenderForm, and a Template sent through a Context) passes the message's
// locale to the renderer, in the fresh echo.Context it builds for every
// render; Hub.Fragment and a Template sent by Hub.Publish or Broadcast pass
// the WithLocale language the same way. A renderer of its own may read
// them; Templates does.
const (
	LocaleKey    = "liveview.locale"    // language.Tag: Context.Locale()
	LocalizerKey = "liveview.localizer" // *i18n.Localizer: Context.Localizer()

	// prefsKey holds the localePrefs of the render (the *Context of a live
	// render, the explicit language of a Hub render), so Templates resolves
	// its language preferences (frame lang, handshake Accept-Language, or
	// WithLocale's) against its own bundle even when Config.I18n is another
	// one (or nil).
	prefsKey = "liveview.prefs"
)

// TemplateFuncs returns the functions to parse page templates with: t and
// locale are placeholders until NewTemplates binds them to each language,
// liveviewScript works with any renderer:
//
//	{{t "welcome"}}                   the message "welcome"
//	{{t "unread" .Count}}             with a plural count (a number)
//	{{t "hello" .}}                   with template data (a map or struct)
//	<html lang="{{locale}}">          the language the template renders in
//	{{liveviewScript}}                the client's script tag (Hub.ScriptTag)
//
// t takes the arguments of Context.T. liveviewScript writes the default
// Hub's tag (the last Plugin or PluginWithConfig), found when the template
// runs, so templates may be parsed before the plugin is created; it fails
// the render when there is none yet.
func TemplateFuncs() template.FuncMap {
	return template.FuncMap{
		"t":              func(id string, _ ...any) string { return id },
		"locale":         func() string { return "" },
		"liveviewScript": defaultScriptTag,
	}
}

// Templates is an echo.Renderer for html/template that translates: it
// renders each template in the locale of the live message (Context.Render;
// the message's lang, then its handshake's Accept-Language, matched against
// the languages of Templates' own bundle), of a Hub render (Hub.Fragment,
// Hub.Publish of a Template: the WithLocale language) or, for ordinary HTTP
// requests, in the best match of the request's Accept-Language (or of
// LocaleKey, if a middleware set it), else in the bundle's default
// language.
//
// html/template cannot rebind functions once a template has executed, so
// NewTemplates clones the parsed set once per language of the bundle, with
// t and locale bound to that language. Set it as e.Renderer; templates that
// do not translate render as they would with a plain renderer. Safe for
// concurrent use. The zero value renders nothing (Render returns an
// error): use NewTemplates.
type Templates struct {
	tags   []language.Tag
	byTag  map[language.Tag]*template.Template
	log    *slog.Logger
	logged sync.Map
}

// NewTemplates clones base (parsed with TemplateFuncs, and never executed)
// once per language of bundle, binding t and locale. A nil bundle gives one
// set whose t returns message IDs. Missing translations fall back to the
// default language, or to the message ID, and are logged once to logger
// (nil: slog.Default()). It fails when base has been executed already.
func NewTemplates(base *template.Template, bundle *i18n.Bundle, logger *slog.Logger) (*Templates, error) {
	if logger == nil {
		logger = slog.Default()
	}
	r := &Templates{byTag: make(map[language.Tag]*template.Template), log: logger}
	if bundle != nil {
		r.tags = bundle.LanguageTags()
	}
	if len(r.tags) == 0 {
		r.tags = []language.Tag{language.Und}
	}
	for _, tag := range r.tags {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("liveview: NewTemplates: cloning the templates for %s (parse them and do not execute them before): %w", tag, err)
		}
		var loc *i18n.Localizer
		if bundle != nil {
			loc = i18n.NewLocalizer(bundle, tag.String())
		}
		name := tag.String()
		t.Funcs(template.FuncMap{
			"t":      func(id string, args ...any) string { return r.translate(loc, tag, id, args) },
			"locale": func() string { return name },
		})
		r.byTag[tag] = t
	}
	return r, nil
}

// Render implements echo.Renderer: it executes the template name in the
// language picked for c (see Templates). Errors are html/template's.
func (r *Templates) Render(w io.Writer, name string, data any, c echo.Context) error {
	if r == nil || len(r.tags) == 0 {
		return errors.New("liveview: Templates must be created by NewTemplates")
	}
	return r.Lookup(r.locale(c)).ExecuteTemplate(w, name, data)
}

// Lookup returns the template set of the language tag, or of the default
// language when the bundle has no such language; nil for a Templates not
// made by NewTemplates.
func (r *Templates) Lookup(tag language.Tag) *template.Template {
	if len(r.tags) == 0 {
		return nil
	}
	if t, ok := r.byTag[tag]; ok {
		return t
	}
	return r.byTag[r.tags[0]]
}

// locale picks the language of a render.
func (r *Templates) locale(c echo.Context) language.Tag {
	if c == nil {
		return r.tags[0]
	}
	if lp, ok := c.Get(prefsKey).(localePrefs); ok {
		return lp.localeAmong(r.tags)
	}
	if tag, ok := c.Get(LocaleKey).(language.Tag); ok {
		if _, ok := r.byTag[tag]; ok {
			return tag
		}
		return resolveLocale(r.tags, tag.String(), "")
	}
	if s, ok := c.Get(LocaleKey).(string); ok && s != "" {
		return resolveLocale(r.tags, s, acceptLanguage(c.Request()))
	}
	return resolveLocale(r.tags, "", acceptLanguage(c.Request()))
}

func (r *Templates) translate(loc *i18n.Localizer, tag language.Tag, id string, args []any) string {
	if loc == nil {
		return id
	}
	lc := localizeConfig(id, args)
	s, err := loc.Localize(lc)
	if err == nil {
		return s
	}
	if _, seen := r.logged.LoadOrStore(tag.String()+"\x00"+id, true); !seen {
		r.log.Warn("liveview: template translation missing or failed", "locale", tag.String(), "id", id, "err", err)
	}
	if s == "" {
		return id
	}
	return s
}
