package liveview

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	"golang.org/x/time/rate"

	"github.com/echo-liveview/liveview/pubsub"
)

// connKey is the melody session key holding the *conn.
const connKey = "liveview.conn"

// conn is one accepted WebSocket. Its fields are set before the read loop
// starts and never change, except the ones guarded below.
type conn struct {
	hub     *Hub
	echo    *echo.Echo
	req     *http.Request
	room    string
	ctx     context.Context
	cancel  context.CancelFunc
	limiter *rate.Limiter // nil when unlimited; used by the read goroutine only

	sess    atomic.Pointer[melody.Session] // set once the upgrade succeeded
	closed  atomic.Bool                    // no more sends
	full    atomic.Bool                    // send queue overflowed
	dropped atomic.Bool                    // the socket was closed for overflowing
	queued  atomic.Int64                   // frames given to melody, not yet written
	space   chan struct{}                  // signalled when a queued frame was written

	lastLocale       atomic.Pointer[resolvedLocale] // i18n.go
	lastRenderLocale atomic.Pointer[renderLocale]   // i18n.go

	mu      sync.Mutex
	store   map[string]any // Context.Get / Set
	pending [][]byte       // frames published between joining and the upgrade
}

func newConn(h *Hub, e *echo.Echo, r *http.Request, room string) *conn {
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &conn{hub: h, echo: e, req: r, room: room, ctx: ctx, cancel: cancel, space: make(chan struct{}, 1)}
	if h.cfg.RateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(h.cfg.RateLimit), h.cfg.RateBurst)
	}
	return c
}

func connOf(s *melody.Session) *conn {
	v, _ := s.Get(connKey)
	c, _ := v.(*conn)
	return c
}

// write queues one encoded frame on the connection's bounded send queue.
//
// queued counts the frames handed to melody and not yet written, so the
// queue's state is known before melody would drop a frame. When the queue
// is full, a blocking write (a Context send: backpressure to the sender,
// typically the handler of this very connection) waits for room up to
// Config.WriteTimeout; a non-blocking one (Publish and Broadcast delivery,
// which must never stall other clients) does not wait. Either way a client
// that stays that far behind is disconnected, never silently skipped.
func (c *conn) write(frame []byte, block bool) error {
	if c.closed.Load() {
		return ErrConnClosed
	}
	s := c.sess.Load()
	if s == nil {
		if c.hold(frame) {
			return nil
		}
		s = c.sess.Load() // the upgrade completed meanwhile
	}
	if err := c.reserve(block); err != nil {
		return err
	}
	if err := s.Write(frame); err != nil {
		return ErrConnClosed
	}
	if c.full.Load() {
		return ErrSlowClient
	}
	return nil
}

// reserve takes one slot of the send queue, waiting for one if block.
func (c *conn) reserve(block bool) error {
	limit := int64(c.hub.cfg.SendQueueSize)
	var timer *time.Timer
	for {
		n := c.queued.Load()
		if n < limit {
			if c.queued.CompareAndSwap(n, n+1) {
				return nil
			}
			continue
		}
		if !block {
			c.drop("send queue full")
			return ErrSlowClient
		}
		if timer == nil {
			timer = time.NewTimer(c.hub.cfg.WriteTimeout)
			defer timer.Stop()
		}
		select {
		case <-c.space:
		case <-c.ctx.Done():
			return ErrConnClosed
		case <-timer.C:
			c.drop("send queue full for " + c.hub.cfg.WriteTimeout.String())
			return ErrSlowClient
		}
	}
}

// sent releases the slot of a frame melody has written.
func (c *conn) sent() {
	c.queued.Add(-1)
	select {
	case c.space <- struct{}{}:
	default:
	}
}

// drop disconnects a client that fell behind, once, by closing the socket
// directly: melody's Close would queue the close frame behind the full
// queue. The browser sees the connection drop and reconnects.
func (c *conn) drop(reason string) {
	c.full.Store(true)
	c.closed.Store(true)
	if !c.dropped.CompareAndSwap(false, true) {
		return
	}
	s := c.sess.Load()
	c.hub.log.Warn("liveview: closing slow connection: "+reason, "room", c.room, "remote", c.req.RemoteAddr, "queue", c.hub.cfg.SendQueueSize)
	if s != nil {
		_ = s.WebsocketConnection().Close()
	}
}

// hold keeps a frame that arrived before the upgrade completed, so a
// connection is a member of its rooms from the moment the browser sees it
// open. It reports false when the session appeared meanwhile.
func (c *conn) hold(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess.Load() != nil {
		return false
	}
	if len(c.pending) >= c.hub.cfg.SendQueueSize {
		c.full.Store(true)
		return true
	}
	c.pending = append(c.pending, frame)
	return true
}

// closeWith sends a close frame with code and closes the socket. It never
// goes through melody's queue, which may be full.
func (c *conn) closeWith(code int, text string) {
	s := c.sess.Load()
	if s == nil || !c.closed.CompareAndSwap(false, true) {
		return
	}
	ws := s.WebsocketConnection()
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(closeTimeout))
	_ = ws.Close()
}

// onConnect runs on the connection's goroutine after the upgrade, before the
// read loop. The connection already is a member of its topics (joinAll ran
// before the upgrade); frames held meanwhile go out first.
func (h *Hub) onConnect(s *melody.Session) {
	c := connOf(s)
	if c == nil {
		return
	}
	c.mu.Lock()
	c.queued.Add(int64(len(c.pending)))
	for _, p := range c.pending {
		_ = s.Write(p)
	}
	c.pending = nil
	c.sess.Store(s)
	c.mu.Unlock()
	if c.full.Load() {
		c.drop("send queue full before the upgrade completed")
	}
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.conns[c] = struct{}{}
	}
	h.mu.Unlock()
	if closed {
		h.closeForRestart(c) // drain.go: 1012 with the drain window
	}
}

// joinAll makes c a member of the broadcast topic and of its room's topic,
// subscribing on the Broker where c is the first local member.
func (h *Hub) joinAll(c *conn) error {
	for _, t := range c.topics() {
		if err := h.join(c, t); err != nil {
			h.leaveAll(c)
			return err
		}
	}
	return nil
}

func (h *Hub) leaveAll(c *conn) {
	for _, t := range c.topics() {
		h.leave(c, t)
	}
}

func (c *conn) topics() [2]string { return [...]string{broadcastTopic, roomTopicPrefix + c.room} }

// onDisconnect runs once per connection after its read loop ended.
func (h *Hub) onDisconnect(s *melody.Session) {
	c := connOf(s)
	if c == nil {
		return
	}
	c.closed.Store(true)
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.leaveAll(c)
	c.cancel()
	if h.cfg.OnDisconnect != nil {
		func() {
			defer func() {
				if v := recover(); v != nil {
					h.log.Error("liveview: OnDisconnect panicked", "panic", v)
				}
			}()
			h.cfg.OnDisconnect(&Context{conn: c})
		}()
	}
}

// onError sees every error melody meets. melody drops a frame silently when
// a session's buffer is full; reserve keeps that from happening, but should
// it happen anyway the client is disconnected, never left with a gap.
func (h *Hub) onError(s *melody.Session, err error) {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		if c := connOf(s); c != nil && !c.closed.Load() {
			h.log.Warn("liveview: closing slow connection: write timed out", "room", c.room, "remote", s.Request.RemoteAddr)
		}
		return // melody closes it
	}
	if !errors.Is(err, melody.ErrMessageBufferFull) {
		return // read and write errors end the connection through its pumps
	}
	if c := connOf(s); c != nil {
		c.drop("melody buffer full")
	}
}

// onSent runs on melody's write goroutine after each text frame went out.
func (h *Hub) onSent(s *melody.Session, _ []byte) {
	if c := connOf(s); c != nil {
		c.sent()
	}
}

// topic is the Hub's subscription to one Broker topic, shared by the local
// connections in it. It exists while it has members.
type topic struct {
	members map[*conn]struct{}
	ready   chan struct{} // closed when sub/err are set
	sub     pubsub.Subscription
	err     error
}

// join adds c to topic name, subscribing on the Broker when c is its first
// local member. It returns once the subscription is active.
func (h *Hub) join(c *conn, name string) error {
	h.mu.Lock()
	t, ok := h.topics[name]
	if !ok {
		t = &topic{members: make(map[*conn]struct{}), ready: make(chan struct{})}
		h.topics[name] = t
	}
	t.members[c] = struct{}{}
	h.mu.Unlock()
	if !ok {
		t.sub, t.err = h.broker.Subscribe(c.ctx, name, func(p []byte) { h.deliver(t, p) })
		close(t.ready)
	}
	<-t.ready
	if t.err != nil {
		h.leave(c, name)
		return t.err
	}
	return nil
}

// leave removes c from topic name and unsubscribes when it was the last
// local member.
func (h *Hub) leave(c *conn, name string) {
	h.mu.Lock()
	t, ok := h.topics[name]
	if !ok {
		h.mu.Unlock()
		return
	}
	if _, member := t.members[c]; !member {
		h.mu.Unlock()
		return
	}
	delete(t.members, c)
	last := len(t.members) == 0
	if last {
		delete(h.topics, name)
	}
	h.mu.Unlock()
	if last {
		<-t.ready
		if t.sub != nil {
			if err := t.sub.Unsubscribe(); err != nil {
				h.log.Warn("liveview: unsubscribe failed", "topic", name, "err", err)
			}
		}
	}
}

// deliver writes one encoded frame to every local member of t. Writes only
// queue, so a slow client never holds up the others.
func (h *Hub) deliver(t *topic, frame []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range t.members {
		_ = c.write(frame, false)
	}
}
