package liveview

import (
	"context"
	"errors"
	"net"
	"net/http"
	"runtime/pprof"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

// Hooks are the Hub's observability callbacks (Config.Hooks): connections
// opened and closed, events started and finished, frames sent, broker
// publishes and gaps, send queue high-water marks, uploads and presence
// changes. Every field is optional; a nil field, and a nil *Hooks, cost
// one branch and no allocation. The adapters in
// github.com/echo-liveview/liveview/observe/prometheus and
// .../observe/otel return a *Hooks; MultiHooks combines several.
//
// Like net/http/httptrace.ClientTrace, new fields may be added in later
// versions: set fields by name.
//
// Hooks run synchronously on the goroutine named in each field's comment,
// often one that serves a connection: they must be quick and must not
// block (no network call, no lock held for long). They must not call back
// into the Hub for the same connection (Send from a hook is not
// supported). A panicking hook is not recovered.
//
// Every string a hook receives that a client could choose is bounded: the
// function name is a registered name or "unknown" (see UnknownFunction),
// so a label made of it cannot grow without bound; rooms and topics are
// the ones the server accepted (Config.Room, ValidRoom, ValidTopic).
type Hooks struct {
	// ConnOpened runs once per connection, on its own goroutine, once the
	// WebSocket upgrade succeeded and before its first event is read.
	ConnOpened func(ConnInfo)
	// ConnClosed runs once per connection that ConnOpened saw, on its
	// goroutine, after its read loop ended, with why it closed.
	ConnClosed func(ConnInfo, CloseReason)
	// HandshakeRefused runs for a handshake the Hub refused before any
	// connection existed (no ConnOpened, no ConnClosed), on the request's
	// goroutine, with why (ReasonOriginRefused, ReasonRateLimited,
	// ReasonRefused, ReasonUnavailable, ReasonBusy).
	HandshakeRefused func(r *http.Request, reason CloseReason)

	// EventStart runs on the connection's read goroutine before an event's
	// middleware and handler. ctx is the connection's context, a child of
	// the handshake request's context (its values, a trace span set by
	// tracing middleware before the Hub, included). A non-nil context it
	// returns is what the handler's Context.Context returns and what
	// EventEnd receives (put a span in it). Frames that do not decode get
	// no EventStart, only an EventEnd.
	EventStart func(ctx context.Context, ev EventInfo) context.Context
	// EventEnd runs on the connection's read goroutine once the handler
	// (or the refusal of the event) is done, before the error frame is
	// sent, with the context EventStart returned.
	EventEnd func(ctx context.Context, ev EventDone)

	// FrameSent runs on the connection's write goroutine after each text
	// frame was written to its socket.
	FrameSent func(ConnInfo, int)
	// QueueHighWater runs when a connection's send backlog first crosses
	// a quarter, a half, three quarters and all of Config.SendQueueBytes
	// (at most four calls per connection, not one per frame), on the
	// goroutine that queued the frame (a handler's, or a Broker's delivery
	// goroutine: it must not block).
	QueueHighWater func(QueueLevel)

	// BrokerPublish runs after each Broker.Publish of the Hub (Publish,
	// Broadcast, Context.Publish, Context.Broadcast), on the publishing
	// goroutine, with its duration and error.
	BrokerPublish func(BrokerPublish)
	// BrokerGap runs after the Broker lost messages for a while (its
	// connection to Redis was down) and has recovered, on the Broker's
	// goroutine. The Hub registers it by itself with a Broker that reports
	// gaps (pubsub/redis's Broker, through its WatchGaps method): no
	// option to set on the Broker.
	BrokerGap func(BrokerGap)

	// Upload runs when an upload is refused (Err set) or an event received
	// its complete upload, on the connection's read goroutine.
	Upload func(UploadInfo)
	// PresenceDiff runs for each presence change of a topic watched on
	// this instance (ShowPresence, WatchPresence), on the Tracker's
	// goroutine, before the watchers' functions run.
	PresenceDiff func(PresenceInfo)
}

// UnknownFunction is the function name hooks, logs of counts and profile
// labels get for an event whose function is not registered (or a frame
// that did not decode): a client cannot create a label of its choosing.
const UnknownFunction = "unknown"

// ConnInfo identifies a connection in hooks. It is a small value: copy it
// freely.
type ConnInfo struct {
	ID     string // random, the Ref of its presence entries and the "conn" attribute of log lines
	Room   string // its room
	Remote string // the client address of the socket (http.Request.RemoteAddr)
	// Request is the handshake request (headers, context). Do not modify
	// it or read its body.
	Request *http.Request
}

// EventInfo is an event as EventStart sees it.
type EventInfo struct {
	Conn     ConnInfo
	Function string // a registered name, or UnknownFunction
	Start    time.Time
}

// EventDone is a finished event, for EventEnd.
type EventDone struct {
	EventInfo
	Duration time.Duration // from EventStart to the end of the handler
	Outcome  Outcome
	// ErrorKind names the error, the same names as the "kind" of the Hub's
	// log lines: "" when Outcome is OutcomeOK, else one of bad_message,
	// unknown_function, rate_limited, user_error, bind_error,
	// handler_failed, handler_panicked, session_expired, upload_refused.
	ErrorKind string
	Err       error // what the handler returned, nil when OK
	// Started: EventStart ran for this event and ctx is what it returned.
	// False for a frame that did not decode (ctx is the connection's).
	Started bool
}

// Outcome is how an event ended.
type Outcome uint8

// Outcomes of an event. Alert on OutcomeError and OutcomePanic: the others
// are the client's doing.
const (
	OutcomeOK Outcome = iota
	// OutcomeError: the handler (or its middleware) failed with an error
	// that is not a user error.
	OutcomeError
	// OutcomePanic: the handler panicked (recovered).
	OutcomePanic
	// OutcomeRejected: the event was refused: a frame that did not
	// decode, an unknown function, an incomplete upload, an expired
	// session, or the handler returned an *Error or *BindError (the
	// user's input, shown to them).
	OutcomeRejected
	// OutcomeRateLimited: over Config.RateLimit or Config.IPRateLimit.
	OutcomeRateLimited
)

var outcomeNames = [...]string{"ok", "error", "panic", "rejected", "rate_limited"}

// String returns the outcome's label: ok, error, panic, rejected,
// rate_limited.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// CloseReason is why a connection closed, or a handshake was refused.
type CloseReason uint8

// Reasons for ConnClosed and HandshakeRefused.
const (
	// ReasonClientClose: the client sent a close frame (the tab closed or
	// navigated away).
	ReasonClientClose CloseReason = iota
	// ReasonError: the socket failed (a network error, no pong within
	// melody's pong wait, a write that made no progress, an oversized
	// frame).
	ReasonError
	// ReasonSlowClient: dropped for falling behind its send queue
	// (Config.SendQueueBytes, Config.WriteTimeout).
	ReasonSlowClient
	// ReasonShutdown: closed with 1012 by Hub.Shutdown (a restart).
	ReasonShutdown
	// ReasonDisconnected: closed with 4403 by Hub.Disconnect.
	ReasonDisconnected
	// ReasonExpired: closed with 4401, the session expired.
	ReasonExpired
	// ReasonOriginRefused: handshake from an origin not allowed.
	ReasonOriginRefused
	// ReasonRateLimited: handshake over Config.MaxConnsPerIP.
	ReasonRateLimited
	// ReasonRefused: handshake refused by Config.Room, Config.OnConnect, a
	// bad signed room or an invalid room segment.
	ReasonRefused
	// ReasonUnavailable: handshake refused because the Broker did not
	// subscribe in time (Config.HandshakeTimeout) or the Hub is closed.
	ReasonUnavailable
	// ReasonBusy: handshake refused over Config.MaxHandshakes.
	ReasonBusy
)

var reasonNames = [...]string{"client_close", "error", "slow_client", "shutdown", "disconnected", "expired",
	"origin_refused", "rate_limited", "refused", "unavailable", "busy"}

// String returns the reason's label, e.g. "slow_client".
func (r CloseReason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// QueueLevel is a connection's send backlog crossing a threshold.
type QueueLevel struct {
	Conn ConnInfo
	// Fraction is the threshold crossed: 0.25, 0.5, 0.75 or 1 of Limit.
	Fraction float64
	Bytes    int // the backlog, frames and their overhead
	Limit    int // Config.SendQueueBytes
}

// BrokerPublish is one Broker.Publish of the Hub.
type BrokerPublish struct {
	// Topic is the Broker topic ("liveview:room:<topic>",
	// "liveview:broadcast"): many values, do not make a label of it.
	Topic    string
	Bytes    int
	Duration time.Duration
	Err      error
}

// BrokerGap is a time during which the Broker received nothing.
type BrokerGap struct {
	Start, End time.Time
	Err        error // what ended the Broker's connection
}

// UploadInfo is an upload that ended: refused (Err wraps ErrUploadRefused
// and its reason), or complete and handed to its event.
type UploadInfo struct {
	Conn     ConnInfo
	Function string // a registered name or UnknownFunction
	Files    int    // announced (refused: 0 when the announce did not decode) or received (complete)
	Bytes    int64  // announced bytes (refused) or received (complete)
	Err      error
}

// PresenceInfo is one presence change of a topic.
type PresenceInfo struct {
	Topic         string
	Joins, Leaves int
}

// MultiHooks returns Hooks calling each of hs in turn (nil ones skipped);
// EventStart threads the context from one to the next. With no non-nil
// argument it returns nil.
func MultiHooks(hs ...*Hooks) *Hooks {
	var list []*Hooks
	for _, h := range hs {
		if h != nil {
			list = append(list, h)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	m := &Hooks{
		EventStart: func(ctx context.Context, ev EventInfo) context.Context {
			for _, h := range list {
				if h.EventStart != nil {
					if c := h.EventStart(ctx, ev); c != nil {
						ctx = c
					}
				}
			}
			return ctx
		},
	}
	m.ConnOpened = fanOut(list, func(h *Hooks) func(ConnInfo) { return h.ConnOpened })
	m.ConnClosed = fanOut2(list, func(h *Hooks) func(ConnInfo, CloseReason) { return h.ConnClosed })
	m.HandshakeRefused = fanOut2(list, func(h *Hooks) func(*http.Request, CloseReason) { return h.HandshakeRefused })
	m.EventEnd = fanOut2(list, func(h *Hooks) func(context.Context, EventDone) { return h.EventEnd })
	m.FrameSent = fanOut2(list, func(h *Hooks) func(ConnInfo, int) { return h.FrameSent })
	m.QueueHighWater = fanOut(list, func(h *Hooks) func(QueueLevel) { return h.QueueHighWater })
	m.BrokerPublish = fanOut(list, func(h *Hooks) func(BrokerPublish) { return h.BrokerPublish })
	m.BrokerGap = fanOut(list, func(h *Hooks) func(BrokerGap) { return h.BrokerGap })
	m.Upload = fanOut(list, func(h *Hooks) func(UploadInfo) { return h.Upload })
	m.PresenceDiff = fanOut(list, func(h *Hooks) func(PresenceInfo) { return h.PresenceDiff })
	return m
}

func fanOut[A any](list []*Hooks, field func(*Hooks) func(A)) func(A) {
	var fns []func(A)
	for _, h := range list {
		if f := field(h); f != nil {
			fns = append(fns, f)
		}
	}
	if len(fns) <= 1 {
		if len(fns) == 1 {
			return fns[0]
		}
		return nil
	}
	return func(a A) {
		for _, f := range fns {
			f(a)
		}
	}
}

func fanOut2[A, B any](list []*Hooks, field func(*Hooks) func(A, B)) func(A, B) {
	var fns []func(A, B)
	for _, h := range list {
		if f := field(h); f != nil {
			fns = append(fns, f)
		}
	}
	if len(fns) <= 1 {
		if len(fns) == 1 {
			return fns[0]
		}
		return nil
	}
	return func(a A, b B) {
		for _, f := range fns {
			f(a, b)
		}
	}
}

// gapWatcher is implemented by Brokers that report gaps (pubsub/redis).
type gapWatcher interface {
	WatchGaps(fn func(start, end time.Time, err error)) (stop func())
}

// info returns c as hooks see it.
func (c *conn) info() ConnInfo {
	return ConnInfo{ID: c.id, Room: c.room, Remote: c.req.RemoteAddr, Request: c.req}
}

// setCloseReason records why c closes; the first reason wins.
func (c *conn) setCloseReason(r CloseReason) {
	c.closeReason.CompareAndSwap(0, uint32(r)+1)
}

// reason returns the recorded close reason, ReasonError when none was.
func (c *conn) reason() CloseReason {
	if v := c.closeReason.Load(); v != 0 {
		return CloseReason(v - 1)
	}
	return ReasonError
}

// connOpened and connClosed call the hooks for c.
func (h *Hub) connOpened(c *conn) {
	if hk := h.hooks; hk != nil && hk.ConnOpened != nil {
		hk.ConnOpened(c.info())
	}
}

func (h *Hub) connClosed(c *conn) {
	if hk := h.hooks; hk != nil && hk.ConnClosed != nil {
		hk.ConnClosed(c.info(), c.reason())
	}
}

// handshakeRefused calls the hook for a refusal of r.
func (h *Hub) handshakeRefused(r *http.Request, reason CloseReason) {
	if hk := h.hooks; hk != nil && hk.HandshakeRefused != nil {
		hk.HandshakeRefused(r, reason)
	}
}

// functionLabel returns the registered name of name (a string of the
// registry's, not one aliasing the frame), or UnknownFunction.
func (h *Hub) functionLabel(name string) string {
	if n, ok := h.reg.lookupName(name); ok {
		return n
	}
	return UnknownFunction
}

// startEvent calls EventStart for lc and returns the event's start.
func (h *Hub) startEvent(lc *Context) EventInfo {
	ev := EventInfo{Conn: lc.conn.info(), Function: h.functionLabel(lc.Function()), Start: time.Now()}
	if hk := h.hooks; hk.EventStart != nil {
		if ctx := hk.EventStart(lc.conn.ctx, ev); ctx != nil {
			lc.ctx = ctx
		}
	}
	return ev
}

// endEvent calls EventEnd for lc with the error its handler returned.
func (h *Hub) endEvent(lc *Context, ev EventInfo, err error) {
	hk := h.hooks
	if hk.EventEnd == nil {
		return
	}
	d := EventDone{EventInfo: ev, Duration: time.Since(ev.Start), Err: err, Started: true}
	d.Outcome, d.ErrorKind = classify(err)
	hk.EventEnd(lc.Context(), d)
}

// rejectFrame calls EventEnd for a frame that did not decode (or was rate
// limited before it could).
func (h *Hub) rejectFrame(lc *Context, err error) {
	hk := h.hooks
	if hk == nil || hk.EventEnd == nil {
		return
	}
	now := time.Now()
	d := EventDone{EventInfo: EventInfo{Conn: lc.conn.info(), Function: UnknownFunction, Start: now}, Err: err}
	d.Outcome, d.ErrorKind = classify(err)
	hk.EventEnd(lc.conn.ctx, d)
}

// classify returns the outcome and error kind of an event's error.
func classify(err error) (Outcome, string) {
	if err == nil {
		return OutcomeOK, ""
	}
	switch {
	case errors.Is(err, ErrRateLimited):
		return OutcomeRateLimited, connKindNames[logRateLimited]
	case errors.Is(err, ErrBadMessage):
		return OutcomeRejected, connKindNames[logBadMessage]
	case errors.Is(err, ErrUnknownFunction):
		return OutcomeRejected, connKindNames[logUnknownFunction]
	case expired(err):
		return OutcomeRejected, connKindNames[logSessionExpired]
	case errors.Is(err, ErrUploadIncomplete):
		return OutcomeRejected, connKindNames[logUploadRefused]
	}
	if _, ok := errors.AsType[*panicError](err); ok {
		return OutcomePanic, connKindNames[logHandlerPanicked]
	}
	if _, ok := errors.AsType[*Error](err); ok {
		return OutcomeRejected, connKindNames[logUserError]
	}
	if _, ok := errors.AsType[*BindError](err); ok {
		return OutcomeRejected, connKindNames[logBindError]
	}
	return OutcomeError, connKindNames[logHandlerFailed]
}

// frameSent calls FrameSent; it runs on c's write goroutine.
func (h *Hub) frameSent(c *conn, n int) {
	if hk := h.hooks; hk != nil && hk.FrameSent != nil {
		hk.FrameSent(c.info(), n)
	}
}

// queueLevel returns the quarter of limit that backlog reached (0-4).
func queueLevel(backlog, limit int) uint8 {
	if limit <= 0 {
		return 0
	}
	return uint8(min(4, backlog*4/limit))
}

// queueHighWater calls QueueHighWater for a level c's backlog reached
// (level > 0, already recorded as c's high-water mark).
func (h *Hub) queueHighWater(c *conn, level uint8, backlog int) {
	h.hooks.QueueHighWater(QueueLevel{Conn: c.info(), Fraction: float64(level) / 4, Bytes: backlog, Limit: h.cfg.SendQueueBytes})
}

// observePublish calls BrokerPublish.
func (h *Hub) observePublish(topic string, n int, start time.Time, err error) {
	h.hooks.BrokerPublish(BrokerPublish{Topic: topic, Bytes: n, Duration: time.Since(start), Err: err})
}

// watchGaps registers the BrokerGap hook with a Broker that reports gaps.
func (h *Hub) watchGaps() {
	hk := h.hooks
	if hk == nil || hk.BrokerGap == nil {
		return
	}
	if w, ok := h.broker.(gapWatcher); ok {
		fn := hk.BrokerGap
		h.stopGaps = w.WatchGaps(func(start, end time.Time, err error) { fn(BrokerGap{Start: start, End: end, Err: err}) })
	}
}

// uploadDone calls the Upload hook.
func (h *Hub) uploadDone(c *conn, function string, files int, bytes int64, err error) {
	if hk := h.hooks; hk != nil && hk.Upload != nil {
		hk.Upload(UploadInfo{Conn: c.info(), Function: h.functionLabel(function), Files: files, Bytes: bytes, Err: err})
	}
}

// noteCloseReason records the close reason an error of melody's implies:
// a close frame from the client, a write that made no progress (a slow
// client), any other error.
func (h *Hub) noteCloseReason(s *melody.Session, err error) {
	c := connOf(s)
	if c == nil {
		return
	}
	if ce, ok := errors.AsType[*websocket.CloseError](err); ok && ce.Code != websocket.CloseAbnormalClosure {
		c.setCloseReason(ReasonClientClose) // 1006 is gorilla's name for a socket that ended without one
		return
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		if oe, ok := errors.AsType[*net.OpError](err); !ok || oe.Op != "read" {
			c.setCloseReason(ReasonSlowClient)
			return
		}
	}
	if errors.Is(err, melody.ErrMessageBufferFull) {
		c.setCloseReason(ReasonSlowClient)
		return
	}
	c.setCloseReason(ReasonError)
}

// callLabelled runs ch under the profiler label liveview_function
// (Config.ProfileLabels): a CPU profile splits by handler.
func callLabelled(ch chain, lc *Context) (err error) {
	pprof.Do(lc.Context(), pprof.Labels("liveview_function", ch.name), func(context.Context) {
		err = call(ch.fn, lc)
	})
	return err
}

// uploadComplete calls the Upload hook for an upload handed to its event.
func (h *Hub) uploadComplete(c *conn, u *upload) {
	var n int64
	for _, f := range u.files {
		n += f.received
	}
	h.uploadDone(c, u.function, len(u.files), n, nil)
}
