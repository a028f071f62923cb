package liveview

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/echo-liveview/liveview/presence"
)

// Presence: who is in a topic, on every instance. A connection tracks
// itself in a topic with Context.Track (key = who, meta = what to show);
// its entry's Ref is the connection's random id, so two tabs of one user
// are one key with two metas. Config.Presence is the shared Tracker
// (presence.Memory per Hub by default; presence/redis across instances).
//
// A page watches a topic's list with Context.ShowPresence (a template
// rendered into a target now and after changes) or Context.WatchPresence
// (a function per change). The Hub keeps one Tracker Watch per topic per
// instance while local connections watch it, like its Broker
// subscriptions, and renders a ShowPresence list once per change for all
// the local connections that show it with the same template and target.

// Present is one key of a topic's presence list: a user, say, with one
// meta per connection (tab) that tracks it.
type Present struct {
	Key   string
	Metas []json.RawMessage // one per connection, in the order of their refs; never empty
}

// Meta returns the first connection's meta decoded as a JSON object, for
// templates ({{.Meta.name}}); nil when it is not an object.
func (p Present) Meta() map[string]any {
	if len(p.Metas) == 0 {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(p.Metas[0], &m) != nil {
		return nil
	}
	return m
}

// Count returns the number of connections that track the key.
func (p Present) Count() int { return len(p.Metas) }

// group turns a tracker's list (sorted by Key then Ref) into Presents.
func group(entries []presence.Entry) []Present {
	var out []Present
	for _, e := range entries {
		meta := e.Meta
		if meta == nil {
			meta = json.RawMessage("null")
		}
		if n := len(out); n > 0 && out[n-1].Key == e.Key {
			out[n-1].Metas = append(out[n-1].Metas, meta)
			continue
		}
		out = append(out, Present{Key: e.Key, Metas: []json.RawMessage{meta}})
	}
	return out
}

// Presence returns who is in topic on every instance sharing
// Config.Presence, sorted by key. With presence/redis, a topic watched on
// this instance is answered from its replica (up to date within the
// tracker's documented bound), another one from Redis. Errors: the
// Tracker's (wrapping presence.ErrInvalid for a bad topic,
// presence.ErrUnavailable when its store does not answer), and
// ErrHubClosed after Close.
func (h *Hub) Presence(ctx context.Context, topic string) ([]Present, error) {
	if h.isClosed() {
		return nil, ErrHubClosed
	}
	list, err := h.tracker.List(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("liveview: presence of %q: %w", clip(topic, MaxClientStringLog), err)
	}
	return group(list), nil
}

// presenceTimeout bounds a Tracker call made for a connection: Track and
// Untrack at its end, the List of a render.
const presenceTimeout = 2 * time.Second

// connPresence is what a connection tracks and watches. mu guards it;
// ended is set once the connection's end untracked everything.
type connPresence struct {
	mu      sync.Mutex
	tracked map[string]struct{} // topics it tracks itself in
	watched map[string]struct{} // topics it watches (ShowPresence, WatchPresence)
	ended   bool
}

// newConnID returns a random connection id: the Ref of its presence
// entries.
func newConnID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails
	return hex.EncodeToString(b[:])
}

// Track makes the connection present in topic under key (who: a user id,
// say), with meta (any value encoding to JSON, such as a name and a
// status; nil is null), on every instance sharing Config.Presence. Calling
// it again for topic replaces key and meta (a status change). The entry
// lasts until Untrack or the connection's end. It works from
// Config.OnConnect too.
//
// topic must be a name Config.ValidTopic accepts (or the connection's
// room), and a connection tracks at most Config.MaxTopics topics; errors
// wrap ErrInvalidTopic, ErrTooManyTopics, or the Tracker's (key and meta
// limits: presence.ErrInvalid, presence.ErrTooLarge). An error wrapping
// presence.ErrUnavailable means the store did not answer in time: the
// entry is tracked on this instance regardless and reaches the others
// when the store answers. ErrConnClosed once the connection has ended.
func (c *Context) Track(topic, key string, meta any) error {
	cn, h := c.conn, c.conn.hub
	if err := h.checkPresenceTopic(cn, topic); err != nil {
		return err
	}
	var raw json.RawMessage
	if meta != nil {
		b, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("liveview: track %q: meta: %w", clip(topic, MaxClientStringLog), err)
		}
		raw = b
	}
	// Kept while tracked: copies, as strings taken from the event (c.Data)
	// share the frame's memory, which they would keep.
	topic, key = strings.Clone(topic), strings.Clone(key)
	p := &cn.pres
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended || cn.closed.Load() {
		return ErrConnClosed
	}
	if _, ok := p.tracked[topic]; !ok && h.cfg.MaxTopics >= 0 && len(p.tracked) >= h.cfg.MaxTopics {
		return fmt.Errorf("%w: %q: the connection tracks %d topics (Config.MaxTopics)", ErrTooManyTopics, clip(topic, MaxClientStringLog), h.cfg.MaxTopics)
	}
	ctx, cancel := context.WithTimeout(cn.ctx, presenceTimeout)
	defer cancel()
	err := h.tracker.Track(ctx, topic, presence.Entry{Key: key, Ref: cn.id, Meta: raw})
	if err == nil || errors.Is(err, presence.ErrUnavailable) {
		if p.tracked == nil {
			p.tracked = make(map[string]struct{})
		}
		p.tracked[topic] = struct{}{}
	}
	if err != nil {
		return fmt.Errorf("liveview: track %q: %w", clip(topic, MaxClientStringLog), err)
	}
	return nil
}

// Untrack removes the connection's entry from topic; a no-op when it has
// none. Errors: as for Track.
func (c *Context) Untrack(topic string) error {
	cn, h := c.conn, c.conn.hub
	p := &cn.pres
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.tracked[topic]; !ok {
		return nil
	}
	delete(p.tracked, topic)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(cn.ctx), presenceTimeout)
	defer cancel()
	if err := h.tracker.Untrack(ctx, topic, cn.id); err != nil {
		return fmt.Errorf("liveview: untrack %q: %w", clip(topic, MaxClientStringLog), err)
	}
	return nil
}

// ShowPresence renders topic's presence list into target with the
// template name (its data: the []Present of Hub.Presence), now and after
// every change on any instance, until HidePresence or the connection's
// end. Changes are coalesced: the list is rendered at most once per
// Config.PresenceInterval (100 ms by default), once for every connection
// of this instance that shows topic with the same template and target,
// in the Hub's default language (as Publish renders). Calling it again for
// topic replaces target and name. Errors: as for Track, and the render's.
func (c *Context) ShowPresence(topic, target, name string) error {
	if target == "" || name == "" {
		return fmt.Errorf("liveview: ShowPresence %q: empty target or template name", clip(topic, MaxClientStringLog))
	}
	v := presenceView{target: target, name: name}
	t, err := c.watchPresence(topic, v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.conn.ctx, presenceTimeout)
	defer cancel()
	return c.conn.hub.renderPresence(ctx, t, c.conn, v)
}

// WatchPresence calls fn with every change of topic's presence list (on
// any instance) from now until HidePresence or the connection's end: the
// entries that joined and left, each with its Key, Ref (a connection id)
// and Meta. Calls for one topic are never concurrent and come in the order
// the changes were applied on this instance; fn runs on the Hub's
// goroutine for the topic and must return quickly (it may Send). It gets
// no initial state: call Hub.Presence for it. Calling it again for topic
// replaces fn. Errors: as for Track.
func (c *Context) WatchPresence(topic string, fn func(*Context, presence.Diff)) error {
	if fn == nil {
		return fmt.Errorf("liveview: WatchPresence %q: nil function", clip(topic, MaxClientStringLog))
	}
	_, err := c.watchPresence(topic, presenceView{fn: fn})
	return err
}

// HidePresence stops ShowPresence and WatchPresence of topic for the
// connection; a no-op when it watches neither.
func (c *Context) HidePresence(topic string) {
	cn := c.conn
	p := &cn.pres
	p.mu.Lock()
	_, ok := p.watched[topic]
	delete(p.watched, topic)
	p.mu.Unlock()
	if ok {
		cn.hub.unwatchPresence(cn, topic)
	}
}

// checkPresenceTopic applies Config.ValidTopic to a presence topic.
func (h *Hub) checkPresenceTopic(cn *conn, topic string) error {
	if topic != cn.room && !h.cfg.ValidTopic(topic) {
		return fmt.Errorf("%w: %q", ErrInvalidTopic, clip(topic, MaxClientStringLog))
	}
	return nil
}

func (c *Context) watchPresence(topic string, v presenceView) (*presenceTopic, error) {
	cn, h := c.conn, c.conn.hub
	if err := h.checkPresenceTopic(cn, topic); err != nil {
		return nil, err
	}
	p := &cn.pres
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended || cn.closed.Load() {
		return nil, ErrConnClosed
	}
	_, again := p.watched[topic]
	if !again && h.cfg.MaxTopics >= 0 && len(p.watched) >= h.cfg.MaxTopics {
		return nil, fmt.Errorf("%w: %q: the connection watches %d topics (Config.MaxTopics)", ErrTooManyTopics, clip(topic, MaxClientStringLog), h.cfg.MaxTopics)
	}
	ctx, cancel := context.WithTimeout(cn.ctx, presenceTimeout)
	defer cancel()
	t, err := h.watchPresence(ctx, cn, topic, v)
	if err != nil {
		return nil, fmt.Errorf("liveview: watch presence of %q: %w", clip(topic, MaxClientStringLog), err)
	}
	if p.watched == nil {
		p.watched = make(map[string]struct{})
	}
	p.watched[topic] = struct{}{}
	return t, nil
}

// endPresence untracks and unwatches everything of a connection that
// ended. It runs once, from onDisconnect (and for a refused handshake).
func (h *Hub) endPresence(cn *conn) {
	p := &cn.pres
	p.mu.Lock()
	p.ended = true
	tracked, watched := p.tracked, p.watched
	p.tracked, p.watched = nil, nil
	p.mu.Unlock()
	for topic := range watched {
		h.unwatchPresence(cn, topic)
	}
	for topic := range tracked {
		ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
		if err := h.tracker.Untrack(ctx, topic, cn.id); err != nil && !errors.Is(err, presence.ErrClosed) {
			h.log.Warn("liveview: untracking a closed connection", cn.logAttrs("topic", clip(topic, MaxClientStringLog), "err", err)...)
		}
		cancel()
	}
}

// presenceView is how one connection watches a topic.
type presenceView struct {
	target, name string                        // ShowPresence
	fn           func(*Context, presence.Diff) // WatchPresence
}

// presenceTopic is the Hub's Watch of one topic, shared by the local
// connections that watch it. It exists while it has viewers.
type presenceTopic struct {
	name    string
	viewers map[*conn]presenceView
	ready   chan struct{} // closed when watch/err are set
	watch   presence.Watch
	err     error
	pending bool // a render is scheduled (guarded by Hub.presMu)

	// renderMu orders the renders of the list: each reads the list and
	// queues its frames before the next reads it, so a page never gets an
	// older list after a newer one.
	renderMu sync.Mutex
}

// watchPresence adds (or replaces) cn's view of topic, watching it on the
// Tracker when cn is its first local viewer.
func (h *Hub) watchPresence(ctx context.Context, cn *conn, name string, v presenceView) (*presenceTopic, error) {
	h.presMu.Lock()
	t, ok := h.presTopics[name]
	if !ok {
		t = &presenceTopic{name: name, viewers: make(map[*conn]presenceView), ready: make(chan struct{})}
		h.presTopics[name] = t
	}
	old, had := t.viewers[cn]
	if had { // one view per topic: ShowPresence and WatchPresence combine
		if v.fn == nil {
			v.fn = old.fn
		}
		if v.target == "" {
			v.target, v.name = old.target, old.name
		}
	}
	t.viewers[cn] = v
	h.presMu.Unlock()
	if !ok {
		t.watch, t.err = h.tracker.Watch(ctx, name, func(d presence.Diff) { h.presenceChanged(t, d) })
		close(t.ready)
	}
	select {
	case <-t.ready:
	case <-ctx.Done():
		if !had {
			h.unwatchPresence(cn, name)
		}
		return nil, ctx.Err()
	}
	if t.err != nil {
		if !had {
			h.unwatchPresence(cn, name)
		}
		return nil, t.err
	}
	return t, nil
}

// unwatchPresence removes cn's view of topic and stops the Tracker's
// Watch when it was the last local viewer.
func (h *Hub) unwatchPresence(cn *conn, name string) {
	h.presMu.Lock()
	t, ok := h.presTopics[name]
	if !ok {
		h.presMu.Unlock()
		return
	}
	if _, viewer := t.viewers[cn]; !viewer {
		h.presMu.Unlock()
		return
	}
	delete(t.viewers, cn)
	last := len(t.viewers) == 0
	if last {
		delete(h.presTopics, name)
	}
	h.presMu.Unlock()
	if last {
		<-t.ready
		if t.watch != nil {
			if err := t.watch.Stop(); err != nil {
				h.log.Warn("liveview: stopping a presence watch", "topic", clip(name, MaxClientStringLog), "err", err)
			}
		}
	}
}

// presenceChanged runs on the Tracker's goroutine for t: the viewers'
// functions get d, and a render of the list is scheduled once per
// Config.PresenceInterval.
func (h *Hub) presenceChanged(t *presenceTopic, d presence.Diff) {
	if hk := h.hooks; hk != nil && hk.PresenceDiff != nil {
		hk.PresenceDiff(PresenceInfo{Topic: t.name, Joins: len(d.Joins), Leaves: len(d.Leaves)})
	}
	h.presMu.Lock()
	var fns []func()
	var fnConns []*conn
	render := false
	for cn, v := range t.viewers {
		if v.fn != nil {
			fn, c := v.fn, &Context{conn: cn}
			fns = append(fns, func() { fn(c, d) })
			fnConns = append(fnConns, cn)
		}
		if v.target != "" {
			render = true
		}
	}
	schedule := render && !t.pending
	if schedule {
		t.pending = true
	}
	h.presMu.Unlock()
	for i, fn := range fns {
		h.runPresenceFn(fnConns[i], t.name, fn)
	}
	if schedule {
		time.AfterFunc(h.cfg.PresenceInterval, func() { h.renderScheduled(t) })
	}
}

// runPresenceFn calls a WatchPresence function, logging a panic.
func (h *Hub) runPresenceFn(cn *conn, topic string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("liveview: a WatchPresence function panicked", cn.logAttrs("topic", clip(topic, MaxClientStringLog), "panic", v)...)
		}
	}()
	fn()
}

// renderScheduled renders t's list for its local ShowPresence viewers,
// once per template and target.
func (h *Hub) renderScheduled(t *presenceTopic) {
	h.presMu.Lock()
	t.pending = false
	h.presMu.Unlock()
	if h.isClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	if err := h.renderPresence(ctx, t, nil, presenceView{}); err != nil {
		h.log.Warn("liveview: presence list not rendered", "topic", clip(t.name, MaxClientStringLog), "err", err)
	}
}

// renderPresence reads t's list and queues it, rendered once per template
// and target, for its ShowPresence viewers; for only (with view v) when
// only is not nil. Frames are queued without waiting: a viewer that is
// behind is disconnected like any other. The render is in the Hub's
// default language, as a Publish.
func (h *Hub) renderPresence(ctx context.Context, t *presenceTopic, only *conn, v presenceView) error {
	t.renderMu.Lock()
	defer t.renderMu.Unlock()
	type show struct{ target, name string }
	groups := make(map[show][]*conn)
	if only != nil {
		groups[show{v.target, v.name}] = []*conn{only}
	} else {
		h.presMu.Lock()
		for cn, v := range t.viewers {
			if v.target != "" {
				k := show{v.target, v.name}
				groups[k] = append(groups[k], cn)
			}
		}
		h.presMu.Unlock()
	}
	if len(groups) == 0 {
		return nil
	}
	list, err := h.tracker.List(ctx, t.name)
	if err != nil {
		return fmt.Errorf("liveview: presence of %q: %w", clip(t.name, MaxClientStringLog), err)
	}
	present := group(list)
	var first error
	for v, conns := range groups {
		m := Message{Target: v.target, Content: Template(v.name, present)}
		frame, err := h.encode(ctx, &m)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("liveview: rendering the presence of %q with %q: %w", clip(t.name, MaxClientStringLog), v.name, err)
			}
			continue
		}
		for _, cn := range conns {
			_ = cn.write(frame, false)
		}
	}
	return first
}
