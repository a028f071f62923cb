package liveview

import (
	"errors"
	"net/http"
	"reflect"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Locale of one message.
//
// Every event gets its own locale, resolved the first time a handler asks
// for it (Context.T, Localizer, Locale, FieldErrors, or a render through a
// renderer that translates) and never shared with other events, even on the
// same connection:
//
//  1. the frame's "lang" (the page's <html lang> when the event was sent),
//     if the bundle has a matching language;
//  2. else the WebSocket handshake's Accept-Language header, if it matches;
//  3. else the bundle's default language.
//
// The bundle is Config.I18n; without one, the languages of the built-in
// validation catalog (English, then Spanish) are used, so validation
// messages follow the page's language with no configuration at all.

// localeState is the resolved locale of one message.
type localeState struct {
	tag       language.Tag
	localizer *i18n.Localizer
}

// locale resolves the message's locale once.
func (c *Context) locale() *localeState {
	c.i18nOnce.Do(func() {
		b := c.conn.hub.bundle()
		tags := b.LanguageTags()
		// The result depends only on the bundle, the frame's lang and the
		// connection's Accept-Language: reuse the connection's last one.
		if last := c.conn.lastLocale.Load(); last != nil && last.bundle == b && last.ntags == len(tags) && last.lang == c.Lang() {
			c.loc = last.st
			return
		}
		tag := resolveLocale(tags, c.Lang(), acceptLanguage(c.conn.req))
		c.loc = &localeState{tag: tag, localizer: i18n.NewLocalizer(b, tag.String())}
		c.conn.lastLocale.Store(&resolvedLocale{bundle: b, ntags: len(tags), lang: c.Lang(), st: c.loc})
	})
	return c.loc
}

// localeAmong resolves the message's locale among tags, a renderer's own
// languages (which may differ from the bundle's), reusing the connection's
// last answer for the same tags and lang: a live render then costs no
// Accept-Language parsing.
func (c *Context) localeAmong(tags []language.Tag) language.Tag {
	if len(tags) == 0 {
		return language.Und
	}
	lang := c.Lang()
	if last := c.conn.lastRenderLocale.Load(); last != nil && last.first == &tags[0] && last.n == len(tags) && last.lang == lang {
		return last.tag
	}
	tag := resolveLocale(tags, lang, acceptLanguage(c.conn.req))
	c.conn.lastRenderLocale.Store(&renderLocale{first: &tags[0], n: len(tags), lang: lang, tag: tag})
	return tag
}

// renderLocale is the connection's last answer of localeAmong.
type renderLocale struct {
	first *language.Tag // identifies the renderer's tag list
	n     int
	lang  string
	tag   language.Tag
}

// resolvedLocale remembers a connection's last resolved locale: the events
// of one page nearly always carry the same lang. A localizer only reads its
// bundle, so sharing one between events is safe.
type resolvedLocale struct {
	bundle *i18n.Bundle
	ntags  int
	lang   string
	st     *localeState
}

// resolveLocale picks one of tags (the first is the default): the best
// match for lang, else for the Accept-Language header al, else tags[0].
// Unparsable values are skipped.
func resolveLocale(tags []language.Tag, lang, al string) language.Tag {
	if len(tags) == 0 {
		return language.Und
	}
	m := matcherFor(tags)
	for _, pref := range []string{lang, al} {
		if pref == "" {
			continue
		}
		want, _, err := language.ParseAcceptLanguage(pref)
		if err != nil || len(want) == 0 {
			continue
		}
		if _, i, conf := m.Match(want...); conf != language.No {
			return tags[i]
		}
	}
	return tags[0]
}

// matchers caches a language.Matcher (costly to build) per tag list,
// keyed by the list's backing array and length: a bundle that gains a
// language gets a new key.
var matchers sync.Map // matcherKey -> language.Matcher

type matcherKey struct {
	first *language.Tag
	n     int
}

func matcherFor(tags []language.Tag) language.Matcher {
	k := matcherKey{&tags[0], len(tags)}
	if m, ok := matchers.Load(k); ok {
		return m.(language.Matcher)
	}
	m := language.NewMatcher(tags)
	matchers.Store(k, m)
	return m
}

// bundle returns the app's bundle, or the built-in validation catalog.
func (h *Hub) bundle() *i18n.Bundle {
	if h.cfg.I18n != nil {
		return h.cfg.I18n
	}
	return builtinBundle()
}

// Locale returns the language of this message: one of the languages of
// Config.I18n (see the order above), or of the built-in catalog when
// Config.I18n is nil. It is stable for the life of the Context.
func (c *Context) Locale() language.Tag { return c.locale().tag }

// Localizer returns a go-i18n localizer for this message's locale over
// Config.I18n (the built-in validation catalog when nil), for what T does
// not cover. It is safe for concurrent use; do not keep it for other
// messages, whose language may differ.
func (c *Context) Localizer() *i18n.Localizer { return c.locale().localizer }

// T translates the message id of Config.I18n into this message's locale.
//
// Each argument is either a number (any integer or float type, or a
// json.Number): the plural count, which selects the plural form and is
// available to the message as {{.Count}} and {{.PluralCount}} unless
// template data is given too; or anything else: the template data (a map or
// a struct).
//
//	c.T("welcome")                                 // "Welcome"
//	c.T("unread", 3)                               // "You have 3 messages"
//	c.T("hello", map[string]any{"Name": "Ada"})    // "Hello, Ada"
//
// A message missing from the locale falls back to the default language; a
// message missing everywhere, or failing to execute, gives id itself. Both
// are logged once per language and id, as warnings; T never fails and never
// panics.
func (c *Context) T(id string, args ...any) string {
	st := c.locale()
	return c.conn.hub.localize(st.localizer, st.tag, localizeConfig(id, args))
}

// localizeConfig turns T's arguments into a go-i18n request.
func localizeConfig(id string, args []any) *i18n.LocalizeConfig {
	lc := &i18n.LocalizeConfig{MessageID: id}
	for _, a := range args {
		if n, ok := a.(interface {
			String() string
			Float64() (float64, error)
		}); ok {
			lc.PluralCount = n.String() // json.Number: go-i18n takes numeric strings
		} else if isNumber(a) {
			lc.PluralCount = a
		} else if a != nil {
			lc.TemplateData = a
		}
	}
	if lc.PluralCount != nil && lc.TemplateData == nil {
		lc.TemplateData = map[string]any{"Count": lc.PluralCount, "PluralCount": lc.PluralCount}
	}
	return lc
}

func isNumber(v any) bool {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// localize runs lc, falling back as T documents and logging each problem
// once per language and message id.
func (h *Hub) localize(l *i18n.Localizer, tag language.Tag, lc *i18n.LocalizeConfig) string {
	s, err := l.Localize(lc)
	if err == nil {
		return s
	}
	h.logMissing(tag, lc.MessageID, err)
	if s == "" {
		return lc.MessageID
	}
	return s
}

// logMissing logs a translation problem once per language and message id:
// err nil or a *i18n.MessageNotFoundErr means the default language was used.
func (h *Hub) logMissing(tag language.Tag, id string, err error) {
	if _, seen := h.i18nLogged.LoadOrStore(tag.String()+"\x00"+id, true); seen {
		return
	}
	var nf *i18n.MessageNotFoundErr
	if err == nil || errors.As(err, &nf) {
		h.log.Warn("liveview: translation missing, falling back to the default language (or the id)", "locale", tag.String(), "id", id)
		return
	}
	h.log.Warn("liveview: translation failed", "locale", tag.String(), "id", id, "err", err)
}

// acceptLanguage returns the Accept-Language header of r, "" for nil.
func acceptLanguage(r *http.Request) string {
	if r == nil {
		return ""
	}
	return r.Header.Get("Accept-Language")
}
