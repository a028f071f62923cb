package liveview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Component is anything that renders itself as HTML: the method set of
// templ.Component (github.com/a-h/templ), so templ components, and any
// other type with this method, go wherever HTML does, without this package
// importing templ. Put one in Message.Content:
//
//	c.Send(liveview.Message{Target: "#card", Content: views.Card(user)})
//	hub.Publish(ctx, room, liveview.Message{Target: "#chat", Append: true, Content: views.Line(msg)})
//
// Render writes the HTML to w (it must not keep w after returning) and
// receives a ctx from which Locale and T give the language of the render
// (the event's, or WithLocale's for a Hub render), so a component
// translates like a template does. For a Context send, ctx is also
// cancelled when the connection closes. A non-nil error aborts the send,
// which returns it wrapped.
//
// Render runs on the goroutine that sends, once per send: a component
// published to a room or broadcast is rendered once for all the pages that
// receive it, so it must not depend on the receiving page. The same value
// may be sent again, and from several goroutines if its Render allows it.
type Component interface {
	Render(ctx context.Context, w io.Writer) error
}

// ComponentFunc adapts a function to a Component, like templ.ComponentFunc.
type ComponentFunc func(ctx context.Context, w io.Writer) error

// Render calls f(ctx, w).
func (f ComponentFunc) Render(ctx context.Context, w io.Writer) error { return f(ctx, w) }

// Template returns the app's template name with data as a Component: it is
// rendered through the Echo renderer (e.Renderer) when the Message that
// holds it is sent, in that send's locale (see Message.Content), exactly
// as Context.Render renders it. A Component may embed one by calling its
// Render with the ctx it was given. Rendered outside a send (a ctx that
// is not a render's), or by a Hub that has served no request yet and so
// knows no Echo, it fails with ErrNoRenderer. Templates are looked up when
// rendered: a wrong name is the send's error.
func Template(name string, data any) Component { return templateComponent{name: name, data: data} }

type templateComponent struct {
	name string
	data any
}

// Render renders the template with the renderer and locale of the send
// that ctx belongs to.
func (t templateComponent) Render(ctx context.Context, w io.Writer) error {
	env, _ := ctx.Value(renderEnvKey{}).(*renderEnv)
	if env == nil {
		return fmt.Errorf("%w: liveview.Template(%q) renders when its Message is sent, or through Hub.Fragment", ErrNoRenderer, t.name)
	}
	return renderTo(w, env.echo, env.req, env.prefs, t.name, t.data)
}

// Render returns a Message that replaces the content of target with the
// template name rendered with data, when the Message is sent: one call
// from a handler or from anywhere, in place of Fragment, an error check
// and a Message literal.
//
//	return c.Publish(room, liveview.Render("#score", "score.html", s))
//	err := hub.Broadcast(ctx, liveview.Render("#banner", "banner.html", b))
//
// Set more fields on the result as on any Message (Morph, URL, Title...).
// See Message.Content for the locale it renders in.
func Render(target, name string, data any) Message {
	return Message{Target: target, Content: Template(name, data)}
}

// Append is Render with Append set: the rendered template is added at the
// end of target (chat lines, notifications, infinite scroll).
//
//	return c.Broadcast(liveview.Append("#notifications", "notification.html", n))
func Append(target, name string, data any) Message {
	return Message{Target: target, Content: Template(name, data), Append: true}
}

// WithLocale returns a copy of ctx that makes the Hub's renders through it
// use the language lang (a BCP 47 tag such as "es" or "pt-BR", matched
// against the bundle's languages like a page's <html lang>; no match, or
// "", means the default language). It is how code outside a handler (a
// webhook, a job) renders in a page's language, which it knows and the Hub
// does not:
//
//	ctx := liveview.WithLocale(ctx, user.Lang)
//	err := hub.Publish(ctx, "user-"+user.ID, liveview.Render("#inbox", "inbox.html", items))
//	html, err := hub.Fragment(ctx, "inbox.html", items)
//
// It applies to Hub.Publish, Hub.Broadcast, Hub.Fragment and the
// package-level Publish and Broadcast; sends through a Context render in
// the event's locale.
func WithLocale(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, withLocaleKey{}, lang)
}

type withLocaleKey struct{}

// Locale returns the language of the render ctx belongs to, for a
// Component's Render: the event's locale for a send through a Context, the
// WithLocale language (matched against the Hub's bundle) for a Hub render.
// Outside a render, the tag given to WithLocale as parsed, else
// language.Und.
func Locale(ctx context.Context) language.Tag {
	if env, _ := ctx.Value(renderEnvKey{}).(*renderEnv); env != nil {
		return env.prefs.locale().tag
	}
	if lang, _ := ctx.Value(withLocaleKey{}).(string); lang != "" {
		if tag, err := language.Parse(lang); err == nil {
			return tag
		}
	}
	return language.Und
}

// T translates the message id of Config.I18n into the language of the
// render ctx belongs to (see Locale), with the arguments of Context.T, for
// a Component's Render (in templ: { liveview.T(ctx, "welcome") }). Outside
// a render it returns id. Like Context.T it never fails.
func T(ctx context.Context, id string, args ...any) string {
	env, _ := ctx.Value(renderEnvKey{}).(*renderEnv)
	if env == nil {
		return id
	}
	st := env.prefs.locale()
	return env.hub.localize(st.localizer, st.tag, localizeConfig(id, args))
}

// renderEnv is what a render needs beyond the Component: the Echo whose
// renderer Template uses, the request its echo.Context carries, and who
// decides the locale. A Component's ctx carries it under renderEnvKey.
type renderEnv struct {
	hub   *Hub
	echo  *echo.Echo
	req   *http.Request
	prefs localePrefs
}

type renderEnvKey struct{}

// renderComponent renders comp into a pooled buffer (give it back with
// putBuffer); see renderInto.
func renderComponent(ctx context.Context, env *renderEnv, comp Component) (*bytes.Buffer, error) {
	buf := getBuffer()
	if err := renderInto(ctx, env, comp, buf); err != nil {
		putBuffer(buf)
		return nil, err
	}
	return buf, nil
}

// renderInto renders comp at the end of buf. Templates go straight to the
// renderer; other components get ctx with env in it. A nil env
// (MarshalJSON) renders with ctx as is.
func renderInto(ctx context.Context, env *renderEnv, comp Component, buf *bytes.Buffer) error {
	if t, ok := comp.(templateComponent); ok && env != nil {
		return renderTo(buf, env.echo, env.req, env.prefs, t.name, t.data)
	} else if ok {
		return t.Render(ctx, buf) // no environment: ErrNoRenderer
	}
	if env != nil {
		ctx = context.WithValue(ctx, renderEnvKey{}, env)
	}
	if err := comp.Render(ctx, buf); err != nil {
		return fmt.Errorf("liveview: render %T: %w", comp, err)
	}
	return nil
}

// errHTMLAndContent refuses a Message that says twice what to insert.
var errHTMLAndContent = errors.New("liveview: Message has both HTML and Content; set one")

// rendered renders m.Content into a pooled buffer and makes m carry it as
// HTML instead (aliasing the buffer: send m, then give the buffer back
// with putBuffer). A nil env (MarshalJSON) renders with ctx as is.
func rendered(ctx context.Context, env *renderEnv, m *Message) (*bytes.Buffer, error) {
	if m.HTML != "" {
		return nil, errHTMLAndContent
	}
	buf, err := renderComponent(ctx, env, m.Content)
	if err != nil {
		return nil, err
	}
	m.Content = nil
	setHTML(m, buf)
	return buf, nil
}

// rendered is the package's rendered for a send through c: a Template
// goes straight to the connection's renderer (no environment to build),
// anything else gets c's environment.
func (c *Context) rendered(m *Message) (*bytes.Buffer, error) {
	t, ok := m.Content.(templateComponent)
	if !ok {
		return rendered(c.conn.ctx, c.env(), m)
	}
	if m.HTML != "" {
		return nil, errHTMLAndContent
	}
	buf, err := c.render(t.name, t.data)
	if err != nil {
		return nil, err
	}
	m.Content = nil
	setHTML(m, buf)
	return buf, nil
}

// renderedStream renders the Contents of m.Stream's items for a send
// through c (in the event's locale) into a copy that m then carries; see
// Stream.rendered.
func (c *Context) renderedStream(m *Message) (*bytes.Buffer, error) {
	if !m.Stream.hasContent() {
		return nil, nil
	}
	s, buf, err := m.Stream.rendered(c.conn.ctx, c.env())
	if err != nil {
		return nil, err
	}
	m.Stream = s
	return buf, nil
}

// env returns the render environment of a send through c: its
// connection's Echo and handshake, its event's locale.
func (c *Context) env() *renderEnv {
	return &renderEnv{hub: c.conn.hub, echo: c.conn.echo, req: c.conn.req, prefs: c}
}

// env returns the render environment of a Hub render: the Echo the Hub
// last served a request through, a GET / request carrying ctx and, as
// Accept-Language, the WithLocale language, which also decides the locale.
func (h *Hub) env(ctx context.Context) *renderEnv {
	lang, _ := ctx.Value(withLocaleKey{}).(string)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return &renderEnv{hub: h, echo: h.render.echo.Load(), req: req, prefs: &fixedLocale{hub: h, lang: lang}}
}

// Fragment renders the template name with data through the app's Echo
// renderer, outside any event, in the language WithLocale put in ctx (else
// the default language): a Hub render with an explicit locale, for frames
// built by hand, e-mails, or HTTP answers that must match a live page.
// Templates renders it in the best match of that language among its own.
// The renderer's echo.Context carries a GET / request with ctx and the
// language as Accept-Language.
//
// The Hub renders with the Echo it last served a request through (its
// Middleware sees every request); before its first request it returns
// ErrNoRenderer, as it does when that Echo has no Renderer. Safe for
// concurrent use.
func (h *Hub) Fragment(ctx context.Context, name string, data any) (string, error) {
	env := h.env(ctx)
	buf := getBuffer()
	defer putBuffer(buf)
	if err := renderTo(buf, env.echo, env.req, env.prefs, name, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// encode encodes m for Publish and Broadcast, rendering its Content and
// its stream's item Contents first as a Hub render (see Hub.Fragment) in
// ctx's WithLocale language: once, however many connections receive it.
func (h *Hub) encode(ctx context.Context, m *Message) ([]byte, error) {
	if m.Content == nil && m.Stream == nil {
		return m.appendJSON(make([]byte, 0, 64+len(m.HTML)))
	}
	r := *m
	env := h.env(ctx)
	if r.Content != nil {
		buf, err := rendered(ctx, env, &r)
		if err != nil {
			return nil, err
		}
		defer putBuffer(buf)
	}
	s, buf, err := r.Stream.rendered(ctx, env)
	if err != nil {
		return nil, err
	}
	defer putBuffer(buf)
	r.Stream = s
	return r.appendJSON(make([]byte, 0, 64+len(r.HTML)+streamSize(s)))
}

// fixedLocale is the locale of a Hub render: an explicit language, matched
// against whichever list of languages asks.
type fixedLocale struct {
	hub  *Hub
	lang string
	once sync.Once
	st   *localeState
}

func (f *fixedLocale) locale() *localeState {
	f.once.Do(func() {
		b := f.hub.bundle()
		tag := resolveLocale(b.LanguageTags(), f.lang, "")
		f.st = &localeState{tag: tag, localizer: i18n.NewLocalizer(b, tag.String())}
	})
	return f.st
}

func (f *fixedLocale) localeAmong(tags []language.Tag) language.Tag {
	return resolveLocale(tags, f.lang, "")
}

// hubRender is what the Hub knows for its own renders, learnt from the
// requests its Middleware sees.
type hubRender struct {
	echo     atomic.Pointer[echo.Echo]
	warnOnce sync.Once
}

// sawRequest runs for every request the Hub's Middleware sees: it
// remembers e for Hub renders and, at the first WebSocket handshake to an
// Echo without a Renderer, warns once that every template render will
// fail (rather than only when the first handler renders).
func (h *Hub) sawRequest(e *echo.Echo, ws bool) {
	if h.render.echo.Load() != e {
		h.render.echo.Store(e)
	}
	if ws && e.Renderer == nil {
		h.render.warnOnce.Do(func() {
			h.log.Warn("liveview: e.Renderer is not set: Context.Render, Append, Navigate, Morph, RenderForm, Fragment and liveview.Template will fail with ErrNoRenderer (ignore this if the handlers only send HTML strings or Components)")
		})
	}
}
