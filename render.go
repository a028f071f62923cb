package liveview

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"unsafe"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
)

// Render renders the template name with data through the app's Echo
// renderer (c.Echo().Renderer) and replaces the content of target with it.
// It returns ErrNoRenderer when the Echo instance has none.
func (c *Context) Render(target, name string, data any) error {
	return c.sendRendered(Message{Target: target}, name, data)
}

// Append renders like Render and appends the result to the end of target.
func (c *Context) Append(target, name string, data any) error {
	return c.sendRendered(Message{Target: target, Append: true}, name, data)
}

// Navigate renders name with data into target and, in the same frame,
// pushes url onto the browser history and sets the document title (empty
// url or title leave them unchanged): SPA-style navigation.
func (c *Context) Navigate(target, url, title, name string, data any) error {
	return c.sendRendered(Message{Target: target, URL: url, Title: title}, name, data)
}

// Morph renders like Render and merges the result into target (the
// additive "morph" key): the client patches the existing DOM with idiomorph
// instead of replacing it, so focus, caret, selection and typed input
// values survive. Clients without morph support replace the content.
func (c *Context) Morph(target, name string, data any) error {
	return c.sendRendered(Message{Target: target, Morph: true}, name, data)
}

// Fragment renders the template name with data through c.Echo().Renderer
// and returns the HTML, for frames built by hand. See Render for what the
// renderer receives.
func (c *Context) Fragment(name string, data any) (string, error) {
	buf, err := c.render(name, data)
	if err != nil {
		return "", err
	}
	html := buf.String()
	putBuffer(buf)
	return html, nil
}

// sendRendered renders name into m.HTML and sends m. The HTML is encoded
// into the frame straight from the render buffer, never copied into a
// string first.
func (c *Context) sendRendered(m Message, name string, data any) error {
	buf, err := c.render(name, data)
	if err != nil {
		return err
	}
	setHTML(&m, buf)
	err = c.Send(m)
	putBuffer(buf)
	return err
}

// setHTML makes m.HTML the content of buf, without a copy: m.HTML aliases
// buf until m is encoded into a frame of its own, so buf goes back to the
// pool only after that.
func setHTML(m *Message, buf *bytes.Buffer) {
	m.HTML = unsafe.String(unsafe.SliceData(buf.Bytes()), buf.Len())
}

// render renders name with data into a pooled buffer (give it back with
// putBuffer), through the connection's Echo renderer, in the event's
// locale.
//
// The renderer receives an echo.Context for the handshake request, never
// Echo's pooled one of a finished request. Its Get answers LocaleKey
// (language.Tag) and LocalizerKey (*i18n.Localizer) with the message's
// locale, resolved only if asked, so a translating renderer (Templates)
// renders in the message's language; keys the renderer sets last for this
// render only. Like Echo's own contexts it is pooled: a renderer must not
// keep it after Render returns.
func (c *Context) render(name string, data any) (*bytes.Buffer, error) {
	buf := getBuffer()
	if err := renderTo(buf, c.conn.echo, c.conn.req, c, name, data); err != nil {
		putBuffer(buf)
		return nil, err
	}
	return buf, nil
}

// renderTo renders the template name with data through e's renderer into
// w, for the request req, in the locale prefs decides (see render).
func renderTo(w io.Writer, e *echo.Echo, req *http.Request, prefs localePrefs, name string, data any) error {
	if e == nil || e.Renderer == nil {
		return ErrNoRenderer
	}
	rc := renderPool.Get().(*renderContext)
	ec := e.AcquireContext()
	ec.Reset(req, discardResponse{})
	rc.Context, rc.prefs = ec, prefs
	err := e.Renderer.Render(w, name, data, rc)
	e.ReleaseContext(ec)
	rc.reset()
	renderPool.Put(rc)
	if err != nil {
		return fmt.Errorf("liveview: render %q: %w", name, err)
	}
	return nil
}

// localePrefs decides the locale of a render: a *Context (the event's
// lang and handshake), or a Hub render's explicit language (WithLocale).
type localePrefs interface {
	// locale is the render's locale among the Hub's bundle (Config.I18n).
	locale() *localeState
	// localeAmong is the render's locale among a renderer's own languages.
	localeAmong(tags []language.Tag) language.Tag
}

// renderContext is the echo.Context of one render: Echo's own context for
// everything but the store, whose Get knows the message's locale without
// anybody having to Set it (no map, no boxing per render) and whose keys
// set by the renderer never leak into the next render.
type renderContext struct {
	echo.Context
	prefs localePrefs
	store map[string]any // keys the renderer set during this render
}

// Get returns the message's locale under LocaleKey and LocalizerKey, then
// what the renderer set.
func (r *renderContext) Get(key string) any {
	if v, ok := r.store[key]; ok {
		return v
	}
	switch key {
	case LocaleKey:
		return r.prefs.locale().tag
	case LocalizerKey:
		return r.prefs.locale().localizer
	case prefsKey:
		return r.prefs
	}
	return r.Context.Get(key)
}

// Set keeps val for the rest of this render.
func (r *renderContext) Set(key string, val any) {
	if r.store == nil {
		r.store = make(map[string]any)
	}
	r.store[key] = val
}

func (r *renderContext) reset() {
	r.Context, r.prefs = nil, nil
	if len(r.store) > 16 {
		r.store = nil
	} else {
		clear(r.store)
	}
}

var (
	bufPool    = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	renderPool = sync.Pool{New: func() any { return new(renderContext) }}
)

// getBuffer returns an empty render buffer from the pool.
func getBuffer() *bytes.Buffer {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	return buf
}

// putBuffer returns a render buffer to the pool, unless one big fragment
// made it too large to keep around. nil is ignored.
func putBuffer(b *bytes.Buffer) {
	if b != nil && b.Cap() <= 64<<10 {
		bufPool.Put(b)
	}
}

// discardResponse is the ResponseWriter of the echo.Context handed to
// renderers: a fragment goes to the WebSocket, never to an HTTP response.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}
