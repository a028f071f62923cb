package liveview

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// HandlerFunc answers one client event. Returning an error sends an error
// frame to the client (see Config.ErrorHandler); the connection stays open.
type HandlerFunc func(c *Context) error

// MiddlewareFunc wraps a HandlerFunc, Echo-style. It runs before the handler
// for every event of a registered function; it cancels the call by
// returning without calling next. Middleware runs in the order added.
type MiddlewareFunc func(next HandlerFunc) HandlerFunc

// Context is one client event: what the browser sent, the connection it came
// from, and the helpers to answer it.
//
// A Context is safe to keep after the handler returns and to use from other
// goroutines (the Go form of Django LiveView's "start a thread, send later"):
// sends after the connection closed return ErrConnClosed. Reads are safe
// concurrently; Get and Set are synchronised.
type Context struct {
	conn  *conn
	event *Event

	i18nOnce sync.Once    // resolves loc on first use (i18n.go)
	loc      *localeState // this message's locale

	// answered is set once a frame carrying the event's Ref was queued, so
	// the Hub answers every ref exactly once.
	answered atomic.Bool
}

// Function returns the name of the handler the client called.
func (c *Context) Function() string {
	if c.event == nil {
		return ""
	}
	return c.event.Function
}

// Room returns the connection's room, decided by the server during the
// handshake (Config.Room, or the validated URL segment). The room the client
// puts in its JSON is ignored.
func (c *Context) Room() string { return c.conn.room }

// Lang returns the event's language, the page's <html lang>, or "".
func (c *Context) Lang() string {
	if c.event == nil {
		return ""
	}
	return c.event.Lang
}

// Data returns the data attribute key as a string, "" when absent. Keys are
// snake_cased like Django LiveView: data-data-comment-id arrives as
// "data_comment_id", data-product-id as "product_id".
func (c *Context) Data(key string) string {
	if c.event == nil {
		return ""
	}
	return stringValue(c.event.Data[key])
}

// DataMap returns all data attributes of the event (snake_cased keys). The
// map is shared by the Context: do not modify it. Nil when there were none.
func (c *Context) DataMap() map[string]any {
	if c.event == nil {
		return nil
	}
	return c.event.Data
}

// FormValue returns the form field name as a string, "" when absent.
// Checkboxes give "true" or "false".
func (c *Context) FormValue(name string) string {
	if c.event == nil {
		return ""
	}
	return stringValue(c.event.Form[name])
}

// Form returns all form fields of the event keyed by HTML field name (values
// are strings, or booleans for checkboxes). The map is shared by the Context:
// do not modify it. Nil when there were none.
func (c *Context) Form() map[string]any {
	if c.event == nil {
		return nil
	}
	return c.event.Form
}

// Request returns the WebSocket handshake request (headers, cookies, URL).
// Its body has been consumed; do not read it.
func (c *Context) Request() *http.Request { return c.conn.req }

// Context returns a context.Context that is cancelled when the connection
// closes. Pass it to work started by the handler.
func (c *Context) Context() context.Context { return c.conn.ctx }

// Echo returns the Echo instance that accepted the connection.
func (c *Context) Echo() *echo.Echo { return c.conn.echo }

// Hub returns the Hub that owns the connection.
func (c *Context) Hub() *Hub { return c.conn.hub }

// Get returns the value stored under key for this connection, or nil. The
// store lives as long as the WebSocket (Django's attributes on the consumer);
// OnConnect typically fills it from the session.
func (c *Context) Get(key string) any {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	return c.conn.store[key]
}

// Set stores val under key for the rest of the connection's life.
func (c *Context) Set(key string, val any) {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	if c.conn.store == nil {
		c.conn.store = make(map[string]any)
	}
	c.conn.store[key] = val
}

// Send sends m to this connection only, through its bounded send queue.
// It returns as soon as the frame is queued; only when the queue is full
// (the client reads slower than it is sent to) does it wait for room, up to
// Config.WriteTimeout, and then return ErrSlowClient and close the
// connection (the browser reconnects). It returns ErrConnClosed when the
// connection is gone.
func (c *Context) Send(m Message) error {
	b, err := m.appendJSON(make([]byte, 0, 64+len(m.HTML)))
	if err != nil {
		return err
	}
	if m.Ref != 0 && c.event != nil && m.Ref == c.event.Ref {
		c.answered.Store(true)
	}
	return c.conn.write(b, true)
}

// HTML replaces the content of target with html (already escaped: it is
// inserted as markup).
func (c *Context) HTML(target, html string) error {
	return c.Send(Message{Target: target, HTML: html})
}

// Render renders the template name with data through the app's Echo
// renderer (c.Echo().Renderer) and replaces the content of target with it.
// It returns ErrNoRenderer when the Echo instance has none.
func (c *Context) Render(target, name string, data any) error {
	html, err := c.Fragment(name, data)
	if err != nil {
		return err
	}
	return c.Send(Message{Target: target, HTML: html})
}

// Append renders like Render and appends the result to the end of target.
func (c *Context) Append(target, name string, data any) error {
	html, err := c.Fragment(name, data)
	if err != nil {
		return err
	}
	return c.Send(Message{Target: target, HTML: html, Append: true})
}

// Remove removes the element target from the page.
func (c *Context) Remove(target string) error {
	return c.Send(Message{Target: target, Remove: true})
}

// Navigate renders name with data into target and, in the same frame,
// pushes url onto the browser history and sets the document title (empty
// url or title leave them unchanged): SPA-style navigation.
func (c *Context) Navigate(target, url, title, name string, data any) error {
	html, err := c.Fragment(name, data)
	if err != nil {
		return err
	}
	return c.Send(Message{Target: target, HTML: html, URL: url, Title: title})
}

// Morph renders like Render and merges the result into target (the
// additive "morph" key): the client patches the existing DOM with idiomorph
// instead of replacing it, so focus, caret, selection and typed input
// values survive. Clients without morph support replace the content.
func (c *Context) Morph(target, name string, data any) error {
	html, err := c.Fragment(name, data)
	if err != nil {
		return err
	}
	return c.Send(Message{Target: target, HTML: html, Morph: true})
}

// Dispatch makes the client dispatch a CustomEvent named event on document
// with detail (any JSON-encodable value, nil for null) through the
// additive "event" and "eventData" keys; page scripts listen with
// document.addEventListener(event, ...).
func (c *Context) Dispatch(event string, detail any) error {
	if event == "" {
		return fmt.Errorf("liveview: Dispatch needs an event name")
	}
	return c.Send(Message{Event: event, EventData: detail})
}

// ScrollTo scrolls the element matching selector smoothly into view.
func (c *Context) ScrollTo(selector string) error {
	return c.Send(Message{Scroll: selector})
}

// ScrollTop scrolls smoothly to the top of the page.
func (c *Context) ScrollTop() error {
	return c.Send(Message{ScrollTop: true})
}

// Broadcast sends m to every connection of every instance sharing the Hub's
// Broker, this one included. What one connection's events may broadcast and
// publish is bounded by Config.PublishLimit: beyond it Broadcast returns an
// error wrapping ErrRateLimited and sends nothing.
func (c *Context) Broadcast(m Message) error {
	return c.conn.hub.publish(context.WithoutCancel(c.conn.ctx), broadcastTopic, m, c.conn)
}

// Publish sends m to every connection in room, on every instance sharing
// the Hub's Broker. Like Broadcast, it is bounded by Config.PublishLimit.
func (c *Context) Publish(room string, m Message) error {
	if room == "" {
		return fmt.Errorf("%w: empty", ErrInvalidRoom)
	}
	return c.conn.hub.publish(context.WithoutCancel(c.conn.ctx), roomTopicPrefix+room, m, c.conn)
}

// Fragment renders the template name with data through c.Echo().Renderer
// and returns the HTML, for frames built by hand. The renderer receives a
// fresh echo.Context for the handshake request (never Echo's pooled one of a
// finished request) carrying the message's locale under LocaleKey and its
// localizer under LocalizerKey, so a translating renderer (Templates)
// renders in the message's language.
func (c *Context) Fragment(name string, data any) (string, error) {
	e := c.conn.echo
	if e == nil || e.Renderer == nil {
		return "", ErrNoRenderer
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	ec := e.AcquireContext()
	ec.Reset(c.conn.req, discardResponse{})
	st := c.locale()
	ec.Set(LocaleKey, st.tag)
	ec.Set(LocalizerKey, st.localizer)
	ec.Set(prefsKey, c)
	err := e.Renderer.Render(buf, name, data, ec)
	e.ReleaseContext(ec)
	if err != nil {
		return "", fmt.Errorf("liveview: render %q: %w", name, err)
	}
	return buf.String(), nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// discardResponse is the ResponseWriter of the echo.Context handed to
// renderers: a fragment goes to the WebSocket, never to an HTTP response.
type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}
