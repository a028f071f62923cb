package liveview

import (
	"context"
	"errors"
	"fmt"
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

	publishLimiter atomic.Pointer[rate.Limiter] // Config.PublishLimit, made on first use
	ip             string                       // the client address (echo.Context.RealIP)
	ipState        *ipState                     // its connection count and event budget
	logs           logLimiter                   // summarises the lines about its rejected events
	keys           map[string]any               // melody's session keys: connKey -> this conn

	sess    atomic.Pointer[melody.Session] // set once the upgrade succeeded (under sendMu)
	closed  atomic.Bool                    // no more sends
	dropped atomic.Bool                    // the socket was closed for falling behind

	closeReason atomic.Uint32 // hooks.go: CloseReason+1 once known, 0 before

	uploads connUploads // upload.go: its uploads in progress

	topicSet connTopics // topics.go: the topics joined with Context.Join

	id   string       // random: the Ref of its presence entries
	pres connPresence // presence.go: what it tracks and watches

	lastLocale       atomic.Pointer[resolvedLocale] // i18n.go
	lastRenderLocale atomic.Pointer[renderLocale]   // i18n.go

	// The send queue; see write.
	sendMu    sync.Mutex
	out       fifo          // frames waiting for one of melody's slots
	inFlight  int           // frames handed to melody, not yet written
	backlog   int           // bytes of the frames in out and in flight, each counted with frameOverhead
	waiters   int           // blocked writers
	highWater uint8         // hooks.go: the quarters of the budget the backlog reached
	space     chan struct{} // closed (and forgotten) when the backlog shrinks while writers wait

	kicked     bool   // Hub.Disconnect reached it before the upgrade (under sendMu)
	kickReason string // its close reason

	onceState connOnce // once.go: its budget of recorded frames

	mu    sync.Mutex
	store map[string]any // Context.Get / Set
	kept  connKept       // values.go: the page's saved values (under mu)
}

func newConn(h *Hub, e *echo.Echo, r *http.Request, room string) *conn {
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &conn{hub: h, echo: e, req: r, room: room, ctx: ctx, cancel: cancel, id: newConnID()}
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

// allowPublish charges n bytes of Context.Publish or Context.Broadcast
// against the connection's publish budget (Config.PublishLimit). A frame
// larger than the whole burst passes when the budget is untouched.
func (c *conn) allowPublish(n int) bool {
	cfg := &c.hub.cfg
	if cfg.PublishLimit < 0 {
		return true
	}
	l := c.publishLimiter.Load()
	if l == nil {
		l = rate.NewLimiter(rate.Limit(cfg.PublishLimit), cfg.PublishBurst)
		if !c.publishLimiter.CompareAndSwap(nil, l) {
			l = c.publishLimiter.Load()
		}
	}
	now := time.Now()
	if n > cfg.PublishBurst {
		if l.TokensAt(now) < float64(cfg.PublishBurst) {
			return false
		}
		n = cfg.PublishBurst
	}
	return l.AllowN(now, n)
}

// melodySlots is the capacity of melody's per-session channel, the frames
// handed to its write goroutine at a time. The rest of a connection's
// backlog waits in the connection's own queue, which costs nothing while
// empty: an idle connection holds 16 envelopes (768 B) instead of the 256
// melody allocates by default (12 KiB), and a burst is bounded by bytes,
// not by a frame count.
const melodySlots = 8

// frameOverhead is what the send queue counts for a frame besides its
// bytes: its place in the queue and melody's envelope.
const frameOverhead = 64

// write queues one encoded frame on the connection's send queue.
//
// The queue is bounded in bytes (Config.SendQueueBytes), counting every
// frame not yet written to the socket. Up to melodySlots frames are handed
// to melody's write goroutine; the others wait in c.out and move on as
// melody reports each frame written (onSent), so the state of the queue is
// known exactly and melody never drops a frame.
//
// When a frame would take the backlog over the budget, a blocking write (a
// Context send: backpressure to the sender, typically the handler of this
// very connection) waits for room up to Config.WriteTimeout; a non-blocking
// one (Publish and Broadcast delivery, which must never stall other
// clients) does not wait. Either way a client that stays that far behind is
// disconnected, never silently skipped. A frame larger than the whole
// budget is accepted when the queue is empty.
func (c *conn) write(frame []byte, block bool) error {
	size := len(frame) + frameOverhead
	limit := c.hub.cfg.SendQueueBytes
	var timer *time.Timer
	c.sendMu.Lock()
	for c.backlog > 0 && c.backlog+size > limit && !c.closed.Load() && c.ctx.Err() == nil {
		if !block {
			backlog := c.backlog
			c.sendMu.Unlock()
			c.drop("send queue over its byte budget", backlog)
			return ErrSlowClient
		}
		if timer == nil {
			timer = time.NewTimer(c.hub.cfg.WriteTimeout)
			defer timer.Stop()
		}
		if c.space == nil {
			c.space = make(chan struct{})
		}
		space := c.space
		c.waiters++
		c.sendMu.Unlock()
		select {
		case <-space:
		case <-c.ctx.Done():
		case <-timer.C:
			c.sendMu.Lock()
			c.waiters--
			backlog := c.backlog
			c.sendMu.Unlock()
			c.drop("send queue over its byte budget for "+c.hub.cfg.WriteTimeout.String(), backlog)
			return ErrSlowClient
		}
		c.sendMu.Lock()
		c.waiters--
	}
	if c.closed.Load() || c.ctx.Err() != nil {
		c.sendMu.Unlock()
		return ErrConnClosed
	}
	c.backlog += size
	var level uint8 // hooks.go: a quarter of the budget reached for the first time
	if hk := c.hub.hooks; hk != nil && hk.QueueHighWater != nil {
		if l := queueLevel(c.backlog, limit); l > c.highWater {
			c.highWater, level = l, l
		}
	}
	backlog := c.backlog
	var err error
	if s := c.sess.Load(); s != nil && c.inFlight < melodySlots && c.out.len() == 0 {
		c.inFlight++
		if s.Write(frame) != nil { // never blocks: melody's channel has a free slot
			err = ErrConnClosed
		}
	} else {
		c.out.push(frame) // before the upgrade, or behind other frames
	}
	c.sendMu.Unlock()
	if level > 0 {
		c.hub.queueHighWater(c, level, backlog)
	}
	return err
}

// sent accounts for a frame melody has written and hands it the next ones.
// It runs on melody's write goroutine.
func (c *conn) sent(s *melody.Session, frame []byte) {
	c.sendMu.Lock()
	c.inFlight--
	c.backlog -= len(frame) + frameOverhead
	c.feed(s)
	if c.space != nil {
		close(c.space)
		c.space = nil
	}
	c.sendMu.Unlock()
}

// feed moves waiting frames into melody's free slots. Called with sendMu.
func (c *conn) feed(s *melody.Session) {
	for c.inFlight < melodySlots && c.out.len() > 0 {
		c.inFlight++
		_ = s.Write(c.out.pop())
	}
}

// release forgets the queued frames of a closed connection.
func (c *conn) release() {
	c.sendMu.Lock()
	c.out = fifo{}
	c.backlog, c.inFlight = 0, 0
	c.sendMu.Unlock()
}

// drop disconnects a client that fell behind, once, by closing the socket
// directly: melody's Close would queue the close frame behind the backlog.
// The browser sees the connection drop and reconnects. Before the upgrade
// completed, onConnect closes the socket instead.
func (c *conn) drop(reason string, backlog int) {
	c.closed.Store(true)
	if !c.dropped.CompareAndSwap(false, true) {
		return
	}
	c.setCloseReason(ReasonSlowClient) // hooks.go
	c.hub.log.Warn("liveview: closing slow connection: "+reason, "room", c.room, "remote", c.req.RemoteAddr, "conn", c.id,
		"backlog_bytes", backlog, "budget_bytes", c.hub.cfg.SendQueueBytes)
	if s := c.sess.Load(); s != nil {
		_ = s.WebsocketConnection().Close()
	}
	c.cancel() // see closeWith
}

// fifo is a first-in first-out queue of frames that keeps no memory while
// empty after a burst.
type fifo struct {
	buf  [][]byte
	head int
}

func (q *fifo) len() int { return len(q.buf) - q.head }

func (q *fifo) push(b []byte) {
	if len(q.buf) == cap(q.buf) && q.head > 0 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, b)
}

func (q *fifo) pop() []byte {
	b := q.buf[q.head]
	q.buf[q.head] = nil
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
		q.buf = q.buf[:0]
		if cap(q.buf) > 256 {
			q.buf = nil // a burst is over: give its memory back
		}
	}
	return b
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
	// Now, not when the read loop notices: a handler that waits on
	// Context().Done() is the read loop, and would wait forever.
	c.cancel()
}

// onConnect runs on the connection's goroutine after the upgrade, before the
// read loop. The connection already is a member of its topics (joinAll ran
// before the upgrade); frames queued meanwhile go out first.
func (h *Hub) onConnect(s *melody.Session) {
	c := connOf(s)
	if c == nil {
		return
	}
	c.sendMu.Lock()
	c.sess.Store(s)
	c.feed(s)
	kicked, reason := c.kicked, c.kickReason
	c.sendMu.Unlock()
	if c.dropped.Load() {
		_ = s.WebsocketConnection().Close() // fell behind before the upgrade completed
	}
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.conns[c] = struct{}{}
	}
	h.mu.Unlock()
	h.connOpened(c) // hooks.go
	switch {
	case kicked: // topics.go: Hub.Disconnect during the handshake
		c.disconnect(reason)
	case closed:
		h.closeForRestart(c) // drain.go: 1012 with the drain window
	}
}

// joinAll makes c a member of the broadcast topic and of its room's topic,
// subscribing on the Broker where c is the first local member. The topics
// Config.OnConnect joined (topics.go) are joined already.
func (h *Hub) joinAll(ctx context.Context, c *conn) error {
	for _, t := range c.topics() {
		if err := h.join(ctx, c, t); err != nil {
			h.leaveAll(c)
			return err
		}
	}
	return nil
}

// leaveAll ends c's memberships: its room, the broadcast topic and the
// topics it joined, for good (a Join from now on fails).
func (h *Hub) leaveAll(c *conn) {
	for _, t := range c.topics() {
		h.leave(c, t)
	}
	for _, t := range c.leaveJoined() {
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
	h.endPresence(c) // presence.go: untracked, unwatched
	c.cancel()
	c.release()
	h.closeUploads(c) // upload.go: temporary files deleted
	h.logHeld(c)
	h.connClosed(c) // hooks.go
	if h.cfg.OnDisconnect != nil {
		func() {
			defer func() {
				if v := recover(); v != nil {
					h.log.Error("liveview: OnDisconnect panicked", c.logAttrs("panic", v)...)
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
	if h.hooks != nil {
		h.noteCloseReason(s, err) // hooks.go
	}
	// gorilla/websocket hides a write timeout's *net.OpError behind its own
	// net.Error; a read timeout (no pong within melody's pong wait) keeps
	// its *net.OpError with Op "read".
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Op == "read" {
			return // melody closes it
		}
		if c := connOf(s); c != nil && !c.closed.Load() {
			h.log.Warn("liveview: closing slow connection: write made no progress for "+h.cfg.WriteTimeout.String(), "room", c.room, "remote", s.Request.RemoteAddr, "conn", c.id)
		}
		return // melody closes it
	}
	if !errors.Is(err, melody.ErrMessageBufferFull) {
		return // read and write errors end the connection through its pumps
	}
	if c := connOf(s); c != nil {
		c.drop("melody buffer full", -1)
	}
}

// onSent runs on melody's write goroutine after each text frame went out.
func (h *Hub) onSent(s *melody.Session, frame []byte) {
	if c := connOf(s); c != nil {
		c.sent(s, frame)
		h.frameSent(c, len(frame)) // hooks.go
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
// local member. It returns once the subscription is active, or with ctx's
// error.
func (h *Hub) join(ctx context.Context, c *conn, name string) error {
	h.mu.Lock()
	t, ok := h.topics[name]
	if !ok {
		t = &topic{members: make(map[*conn]struct{}), ready: make(chan struct{})}
		h.topics[name] = t
	}
	t.members[c] = struct{}{}
	h.mu.Unlock()
	if !ok {
		t.sub, t.err = h.broker.Subscribe(ctx, name, func(p []byte) { h.deliver(t, p) })
		close(t.ready)
	}
	select {
	case <-t.ready:
	case <-ctx.Done(): // another connection's Subscribe is taking too long
		h.leave(c, name)
		return fmt.Errorf("liveview: subscribing to %q: %w", name, ctx.Err())
	}
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
				h.log.Warn("liveview: unsubscribe failed", c.logAttrs("topic", name, "err", err)...)
			}
		}
	}
}

// deliver writes one encoded frame to every local member of t. Writes only
// queue, so a slow client never holds up the others. A control payload
// (Hub.Disconnect: its first byte is 0x00, a frame's is '{') goes to
// control instead, never to a socket.
func (h *Hub) deliver(t *topic, frame []byte) {
	if len(frame) > 0 && frame[0] == 0 {
		h.control(t, frame) // topics.go
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range t.members {
		_ = c.write(frame, false)
	}
}
