package liveview

import (
	"bytes"
	"context"
	"errors"
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
// for every event of the functions it applies to: every handler of the Hub
// (Hub.Use, Use), of a group (Hub.Group, HandlerGroup.Use) or one handler
// (the mw of Handle). It cancels the call by returning without calling
// next, typically with an *Error for the user. Middleware runs in the order
// added, the Hub's first, then the groups' from the outermost, then the
// handler's own.
type MiddlewareFunc func(next HandlerFunc) HandlerFunc

// Context is one client event: what the browser sent, the connection it came
// from, and the helpers to answer it.
//
// A Context is safe to keep after the handler returns and to use from other
// goroutines (the Go form of Django LiveView's "start a thread, send later"):
// sends after the connection closed return ErrConnClosed. Reads are safe
// concurrently; Get and Set are synchronised. The strings it returns share
// the memory of the frame they came in (at most Config.MaxMessageSize), so
// a Context or string kept for long keeps that frame too.
type Context struct {
	conn *conn

	// The event, decoded by decodeFast (fe, its strings aliasing the frame)
	// or, for frames only encoding/json takes, as an Event (event, with fe's
	// function, lang and ref copied from it). A Context without an event
	// (OnConnect, OnDisconnect, a frame that did not decode) has neither.
	fe       fastEvent
	inline   [5]pair   // fe's entries for small events (5: the Context stays in the 416-byte size class)
	mapsOnce sync.Once // builds event from fe for DataMap, Form and Bind
	fast     bool      // (after a sync.Once, as answered: no padding)
	event    *Event

	upload *upload // the files the event brought (upload.go), nil for none

	i18nOnce sync.Once // resolves loc on first use (i18n.go)
	// answered is set once a frame carrying the event's Ref was queued, so
	// the Hub answers every ref exactly once.
	answered atomic.Bool
	loc      *localeState // this message's locale

	ctx context.Context // what Hooks.EventStart returned; nil: the connection's

	once *onceRun // once.go: the record of a claimed event, nil for none
}

// newEventContext returns the Context of frame, received on c. frame must
// never change afterwards: the fast path's strings alias it (melody hands
// every frame in a buffer of its own). A frame that does not decode gives a
// Context without an event and the error, wrapping ErrBadMessage.
func newEventContext(c *conn, frame []byte) (*Context, error) {
	lc := &Context{conn: c}
	frame = bytes.TrimSpace(frame)
	if len(frame) == 0 || frame[0] != '{' {
		return lc, fmt.Errorf("%w: frame is not a JSON object", ErrBadMessage)
	}
	if decodeFast(frame, &lc.fe, lc.inline[:0], true) {
		lc.fast = true
		return lc, nil
	}
	lc.fe = fastEvent{}
	ev, err := parseJSON(frame)
	if err != nil {
		return lc, err
	}
	lc.setEvent(ev)
	return lc, nil
}

// setEvent makes ev the Context's event.
func (c *Context) setEvent(ev *Event) {
	c.event = ev
	c.fe = fastEvent{function: ev.Function, lang: ev.Lang, ref: ev.Ref, upload: ev.Upload, id: ev.ID}
}

// maps returns the event as an Event with maps, building it once from the
// fast path's entries. Nil for a Context without an event.
func (c *Context) maps() *Event {
	if c.fast {
		c.mapsOnce.Do(func() { c.event = c.fe.event() })
	}
	return c.event
}

// Function returns the name of the handler the client called.
func (c *Context) Function() string { return c.fe.function }

// Room returns the connection's room, decided by the server during the
// handshake (Config.Room, or the validated URL segment). The room the client
// puts in its JSON is ignored.
func (c *Context) Room() string { return c.conn.room }

// Lang returns the event's language, the page's <html lang>, or "".
func (c *Context) Lang() string { return c.fe.lang }

// Data returns the data attribute key as a string, "" when absent. Keys are
// snake_cased like Django LiveView: data-data-comment-id arrives as
// "data_comment_id", data-product-id as "product_id". As Django LiveView's
// docs promise, the data-data-* spelling is also found without its prefix
// and a camelCase key is also found snake_cased: "comment_id" and
// "commentId" find "data_comment_id" when the event has no "comment_id"
// (the key as given always wins; see datakeys.go for the rules). With
// Config.Debug, a key not found while a near spelling is present is
// logged once as a hint.
func (c *Context) Data(key string) string {
	if c.fast {
		if p := lookupData(c.fe.data, key); p != nil {
			return p.str()
		}
	} else if c.event != nil {
		if v, ok := dataValue(c.event.Data, key); ok {
			return stringValue(v)
		}
	}
	c.missingData("Data", key)
	return ""
}

// DataMap returns all data attributes of the event (snake_cased keys, as
// sent: "data_comment_id", without the aliases Data finds). The map is
// shared by the Context: do not modify it. Nil when there were none.
func (c *Context) DataMap() map[string]any {
	if ev := c.maps(); ev != nil {
		return ev.Data
	}
	return nil
}

// FormValue returns the form field name as a string, "" when absent.
// Checkboxes give "true" or "false"; a multi-value field (a <select
// multiple>, several checkboxes of one name) its first value, "" when none
// is selected (Form and Bind see them all). Names are the HTML field names,
// exactly; with Config.Debug, a name not found while a near spelling is
// present ("Email" for "email") is logged once as a hint.
func (c *Context) FormValue(name string) string {
	if c.fast {
		if p := lookup(c.fe.form, name); p != nil {
			return p.str()
		}
	} else if c.event != nil {
		if v, ok := c.event.Form[name]; ok {
			return stringValue(v)
		}
	}
	c.missingForm(name)
	return ""
}

// Form returns all form fields of the event keyed by HTML field name (values
// are strings, booleans for single checkboxes, and []any lists of strings
// for multi-value fields). The map is shared by the Context:
// do not modify it. Nil when there were none.
func (c *Context) Form() map[string]any {
	if ev := c.maps(); ev != nil {
		return ev.Form
	}
	return nil
}

// Request returns the WebSocket handshake request (headers, cookies, URL).
// Its body has been consumed; do not read it.
func (c *Context) Request() *http.Request { return c.conn.req }

// Context returns a context.Context that is cancelled when the connection
// closes. Pass it to work started by the handler. It carries the values of
// the handshake request's context, and during an event whatever
// Config.Hooks.EventStart added (the event's trace span with the
// observe/otel adapter).
func (c *Context) Context() context.Context {
	if c.ctx != nil {
		return c.ctx
	}
	return c.conn.ctx
}

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

// Set stores val under key for the rest of the connection's life. A key
// listed in Config.KeepValues is saved for the page's reconnects after the
// event that Set it (changing what a kept pointer points to, without Set,
// is not seen).
func (c *Context) Set(key string, val any) {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	if c.conn.store == nil {
		c.conn.store = make(map[string]any)
	}
	c.conn.store[key] = val
	c.conn.markKept(key) // values.go
}

// Send sends m to this connection only, through its bounded send queue.
// It returns as soon as the frame is queued; only when the queue is full
// (the client reads slower than it is sent to) does it wait for room, up to
// Config.WriteTimeout, and then return ErrSlowClient and close the
// connection (the browser reconnects). It returns ErrConnClosed when the
// connection is gone. A Message.Content, and the Contents of a
// Message.Stream's items, are rendered first, in the event's locale; a
// render error (or an invalid Stream, ErrBadStream) is returned and
// nothing is sent. During an event with an id whose run is recorded
// (exactly-once events), a frame the connection could not take because it
// closed (ErrConnClosed, ErrSlowClient) is still in the event's record, and
// Send returns nil: the page gets the frame when it sends the event again
// after reconnecting, so a handler is not failed halfway by a dropped
// socket.
func (c *Context) Send(m Message) error {
	if m.Content != nil {
		buf, err := c.rendered(&m)
		if err != nil {
			return err
		}
		defer putBuffer(buf) // m.HTML aliases it until the frame is encoded
	}
	if m.Stream != nil {
		buf, err := c.renderedStream(&m)
		if err != nil {
			return err
		}
		defer putBuffer(buf) // so do the items' HTML
	}
	var refAt [2]int
	b, err := m.encode(make([]byte, 0, 64+len(m.HTML)+streamSize(m.Stream)), &refAt)
	if err != nil {
		return err
	}
	if m.Ref != 0 && m.Ref == c.fe.ref {
		c.answered.Store(true)
	}
	kept := c.recordSend(&m, b, refAt) // once.go
	err = c.conn.write(b, true)
	if kept && (errors.Is(err, ErrConnClosed) || errors.Is(err, ErrSlowClient)) {
		return nil // in the event's record: its re-send gets it (once.go)
	}
	return err
}

// Reply answers the event's ref now with v (any JSON value; nil sends
// none) as the frame's "reply": the promise of the client hook's
// this.pushEvent(function, data) that sent the event resolves with it, and
// the trigger's loading state ends. Frames the handler sends afterwards
// still apply; the Hub then sends no {"ref"} answer of its own. It returns
// an error wrapping ErrNoRef when the event has no ref or was already
// answered, an encoding error for a v encoding/json refuses, and the
// errors of Send.
func (c *Context) Reply(v any) error {
	if c.fe.ref == 0 || !c.answered.CompareAndSwap(false, true) {
		return fmt.Errorf("liveview: Reply to %q: %w", c.fe.function, ErrNoRef)
	}
	err := c.Send(Message{Ref: c.fe.ref, Reply: v})
	if err != nil && !errors.Is(err, ErrConnClosed) && !errors.Is(err, ErrSlowClient) {
		c.answered.Store(false) // not sent: the Hub's own answer still goes
	}
	return err
}

// HTML replaces the content of target with html (already escaped: it is
// inserted as markup).
func (c *Context) HTML(target, html string) error {
	return c.Send(Message{Target: target, HTML: html})
}

// Remove removes the element target from the page.
func (c *Context) Remove(target string) error {
	return c.Send(Message{Target: target, Remove: true})
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

// JS makes the client run JS commands (the additive "js" key), the same
// commands as the data-liveview-js attribute, each with a selector:
//
//	c.JS("hide:#spinner; show:#result; focus:#result input")
//
// Sent alone they act on the page as it is; to act on HTML a handler
// renders, put them in the same frame ([Message.JS]), where they run after
// the target has changed. An invalid list (an unknown command, a missing
// argument or selector) is an error wrapping ErrBadJS and nothing is sent.
func (c *Context) JS(commands string) error {
	if err := checkJS(commands); err != nil {
		return err
	}
	return c.Send(Message{JS: commands})
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
// Broker, this one included. A Message.Content (and a Message.Stream's
// item Contents) is rendered once, in the event's locale, before it is
// sent. What one connection's events may broadcast and publish is bounded
// by Config.PublishLimit: beyond it Broadcast returns an error wrapping
// ErrRateLimited and sends nothing.
func (c *Context) Broadcast(m Message) error {
	if m.Content != nil {
		buf, err := c.rendered(&m)
		if err != nil {
			return err
		}
		defer putBuffer(buf)
	}
	if m.Stream != nil {
		buf, err := c.renderedStream(&m)
		if err != nil {
			return err
		}
		defer putBuffer(buf)
	}
	return c.conn.hub.publish(context.WithoutCancel(c.conn.ctx), broadcastTopic, m, c.conn)
}

// Publish sends m to every connection in topic (a room, or a topic joined
// with Join), on every instance sharing the Hub's Broker. Like Broadcast, it renders a Message.Content once, in
// the event's locale, and is bounded by Config.PublishLimit.
func (c *Context) Publish(room string, m Message) error {
	if room == "" {
		return fmt.Errorf("%w: empty", ErrInvalidRoom)
	}
	if m.Content != nil {
		buf, err := c.rendered(&m)
		if err != nil {
			return err
		}
		defer putBuffer(buf)
	}
	if m.Stream != nil {
		buf, err := c.renderedStream(&m)
		if err != nil {
			return err
		}
		defer putBuffer(buf)
	}
	return c.conn.hub.publish(context.WithoutCancel(c.conn.ctx), roomTopicPrefix+room, m, c.conn)
}
