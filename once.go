package liveview

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/echo-liveview/liveview/pubsub"
)

// Exactly-once events. The bundled client puts an "id" on every event that
// has a ref, keeps the unanswered ones (in sessionStorage) and sends them
// again after a reconnect, to whichever instance it reaches. Before running
// an event with an id, the Hub claims the id in a store every instance
// shares (Config.Dedupe): the first claim runs the handler and records the
// frames it sent; a later one runs nothing and is answered from the record:
//
//   - the recorded frames, sent again, the answer among them carrying the
//     new ref and "once": "replayed";
//   - {"ref": n, "once": "processed"} when the frames were not kept (over
//     Config.DedupeFrameBytes or Config.DedupeConnBytes);
//   - {"ref": n, "once": "retry"} while the first run is still running (its
//     claim, Config.DedupeLease, has not expired), and while the store
//     cannot be reached: the client keeps the event and sends it again
//     after reconnectBaseMs. An instance killed mid-run leaves a claim
//     that expires after DedupeLease; the next re-send then runs it.
//
// Records live for Config.DedupeTTL after the run. See the README,
// "Exactly-once events", for the guarantee and its windows.

// DedupeStore keeps the records of the events the Hub ran, shared by every
// instance of the app. pubsub.Memory and pubsub/redis.Broker implement it
// (a Config.Broker that does is used unless Config.Dedupe is set), and so
// does pubsub.Dedupe. Implementations are safe for concurrent use.
type DedupeStore interface {
	// ClaimEvent stores val under key for ttl unless key holds a record,
	// atomically across every instance. claimed reports whether it stored
	// val; if not, rec is the record held (not to be modified). An error
	// means the store could not tell (unreachable, full).
	ClaimEvent(ctx context.Context, key string, val []byte, ttl time.Duration) (rec []byte, claimed bool, err error)
	// CompleteEvent replaces the record of key by val for ttl if key
	// still holds claim (the val of the ClaimEvent that won) or val
	// already, atomically, and reports whether it did. false means the
	// claim expired (the run outlasted its lease): the key is free or
	// claimed by another run, and is left alone. An error means the store
	// could not tell.
	CompleteEvent(ctx context.Context, key string, claim, val []byte, ttl time.Duration) (completed bool, err error)
}

// Defaults of the exactly-once Config fields.
const (
	DefaultDedupeTTL        = 2 * time.Minute
	DefaultDedupeLease      = 30 * time.Second
	DefaultDedupeFrameBytes = 64 << 10
	DefaultDedupeConnBytes  = 1 << 20
	DefaultDedupeTimeout    = time.Second
)

// MaxEventIDLength is the longest event id the Hub accepts: an event whose
// "id" is longer, or has a character outside [A-Za-z0-9._-], is a bad
// message and does not run.
const MaxEventIDLength = 64

// The values of the additive "once" key of an answer.
const (
	onceReplayed  = "replayed"
	onceProcessed = "processed"
	onceRetry     = "retry"
)

// Record states: the first byte of a record.
const (
	recPending = 'p' // claimed, running (then a random token)
	recDone    = 'd' // done, the frames follow
	recBare    = 'x' // done, frames not kept
)

// Idempotent is a middleware that marks handlers whose events need no
// deduplication (read-only or idempotent ones): their events run every
// time they arrive, re-sends included, and touch no store. Use it with
// Handle, Group or Use like any middleware; it adds no call of its own.
// Context.EventID still gives the event's id.
func Idempotent(next HandlerFunc) HandlerFunc { return next }

var idempotentPtr = reflect.ValueOf(Idempotent).Pointer()

// isIdempotent reports whether mws holds Idempotent.
func isIdempotent(mws []MiddlewareFunc) bool {
	for _, mw := range mws {
		if reflect.ValueOf(mw).Pointer() == idempotentPtr {
			return true
		}
	}
	return false
}

// EventID returns the event's id (the additive "id" key the bundled client
// puts on events with a ref), "" when it has none (an upstream client, an
// event without a ref). Pass it to your own store as an idempotency key.
func (c *Context) EventID() string { return c.fe.id }

// validEventID reports whether id may be an event id.
func validEventID(id string) bool {
	return len(id) <= MaxEventIDLength && base64URLOr(id, '.')
}

// base64URLOr reports whether every byte of s is of base64url's alphabet
// ([A-Za-z0-9_-]) or is extra (0 for none).
func base64URLOr(s string, extra byte) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == extra && extra != 0:
		default:
			return false
		}
	}
	return true
}

// onceRun is what the Hub records of one claimed event while it runs.
type onceRun struct {
	key   string
	claim []byte // the value of the claim (in buf)
	buf   [claimSize]byte
	mu    sync.Mutex
	rec   []byte // recDone, then the frames: uvarint length, a flag byte (1: the answer), the frame
	max   int    // the bytes rec may reach; over it, rec becomes bare
}

// record adds one frame sent by the event's Context, without the bytes
// frame[cut[0]:cut[1]] (an answer's ref: cut is nil for other frames). It
// reports whether the frame is in the record (false once the record went
// over its bound and keeps no frames).
func (r *onceRun) record(frame []byte, cut []int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rec) == 1 && r.rec[0] == recBare {
		return false
	}
	n := len(frame)
	if cut != nil {
		n -= cut[1] - cut[0]
	}
	if len(r.rec)+n+binary.MaxVarintLen64+1 > r.max {
		r.rec = []byte{recBare}
		return false
	}
	r.rec = binary.AppendUvarint(r.rec, uint64(n))
	if cut == nil {
		r.rec = append(r.rec, 0)
		r.rec = append(r.rec, frame...)
		return true
	}
	r.rec = append(r.rec, 1)
	r.rec = append(r.rec, frame[:cut[0]]...)
	r.rec = append(r.rec, frame[cut[1]:]...)
	return true
}

// hubOnce is the Hub's exactly-once state.
type hubOnce struct {
	store DedupeStore // nil: off (Config.DedupeTTL < 0)
	local bool        // store is in this process: calls need no timeout
	token [8]byte     // random: the claims of this Hub
	seq   sync.Mutex
	n     uint64
}

// initOnce picks the store: Config.Dedupe, the Broker if it is one, else a
// store of the Hub's own.
func (h *Hub) initOnce() {
	if h.cfg.DedupeTTL < 0 {
		return
	}
	_, _ = rand.Read(h.once.token[:])
	switch s, ok := h.broker.(DedupeStore); {
	case h.cfg.Dedupe != nil:
		h.once.store = h.cfg.Dedupe
	case ok:
		h.once.store = s
	default:
		h.once.store = pubsub.NewDedupe(0)
	}
	switch h.once.store.(type) {
	case *pubsub.Dedupe, *pubsub.Memory:
		h.once.local = true // answers at once, never blocks on a network
	}
}

// onceCtx returns the context of a store call made for cn: parent bounded
// by Config.DedupeTimeout, or parent itself for an in-process store (which
// never waits: no timer to make per event).
func (h *Hub) onceCtx(parent context.Context) (context.Context, context.CancelFunc) {
	if h.once.local {
		return parent, func() {}
	}
	return context.WithTimeout(parent, h.cfg.DedupeTimeout)
}

// claimSize is the most bytes of a claim's value.
const claimSize = 1 + 8 + binary.MaxVarintLen64

// claimValue appends to buf the pending record of one claim: recPending,
// this Hub's token and a sequence number, so a claim go-redis retried
// after a lost answer is recognised as ours.
func (h *Hub) claimValue(buf []byte) []byte {
	h.once.seq.Lock()
	h.once.n++
	n := h.once.n
	h.once.seq.Unlock()
	buf = append(buf, recPending)
	buf = append(buf, h.once.token[:]...)
	return binary.AppendUvarint(buf, n)
}

// onceKey is the record key of lc's event: its id alone, so that a tab
// reloaded into another room (a random room per page load, as Django
// LiveView's {% liveview_room_uuid %}) still finds the record of an event
// it sent before the reload and does not run it again. The record keeps
// the room of the run (onceRecord), and replay gives its frames only to
// the same room: a client that learnt another page's id gets "processed",
// never that page's frames.
//
// The key is a copy: fe.id aliases the frame (decodeFast), and an
// in-process store keeps its keys for DedupeTTL, which would keep every
// frame (up to MaxMessageSize) for as long while counting a few bytes.
func onceKey(lc *Context) string { return strings.Clone(lc.fe.id) }

// onceRecord starts the record of a run in room: recDone, the room's
// length and the room, then the frames (recordSend), with room for a
// typical answer's frames.
func onceRecord(room string) []byte {
	rec := make([]byte, 0, 1+binary.MaxVarintLen64+len(room)+onceRecordHint)
	rec = append(rec, recDone)
	rec = binary.AppendUvarint(rec, uint64(len(room)))
	return append(rec, room...)
}

// onceRecordHint is the frame bytes a record is first made room for.
const onceRecordHint = 256

// recordRoom splits a recDone record's payload (after its first byte) into
// the room of the run and its frames.
func recordRoom(b []byte) (room string, frames []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// claimOnce decides the fate of an event with an id whose function fn is
// registered: it reports true when the event was answered here (a
// duplicate, or the store unreachable) and must not run; else the event
// runs and lc records its frames.
func (h *Hub) claimOnce(lc *Context) bool {
	store := h.once.store
	if store == nil || lc.fe.id == "" || h.reg.idempotent(lc.fe.function) {
		return false
	}
	key := onceKey(lc)
	run := &onceRun{key: key}
	val := h.claimValue(run.buf[:0])
	ctx, cancel := h.onceCtx(lc.conn.ctx)
	rec, claimed, err := store.ClaimEvent(ctx, key, val, h.cfg.DedupeLease)
	cancel()
	if err == nil && !claimed && string(rec) == string(val) {
		claimed = true // our own claim, retried by the client library
	}
	switch {
	case err != nil:
		h.logHandshake(logDedupeDown, slog.LevelWarn, "liveview: dedupe store unreachable: events with an id are answered \"retry\", not run",
			lc.conn.logAttrs("function", clip(lc.fe.function, MaxClientStringLog), "err", clip(err.Error(), maxErrorLog))...)
		h.answerOnce(lc, onceRetry)
		return true
	case claimed:
		run.claim, run.rec, run.max = val, onceRecord(lc.conn.room), lc.conn.onceBudget(h.cfg.DedupeFrameBytes)
		lc.once = run
		return false
	}
	h.replay(lc, rec)
	return true
}

// replay answers a duplicate from rec, the record of its first run.
func (h *Hub) replay(lc *Context, rec []byte) {
	if len(rec) == 0 || rec[0] == recPending {
		h.answerOnce(lc, onceRetry)
		return
	}
	if rec[0] != recDone {
		h.answerOnce(lc, onceProcessed)
		return
	}
	room, payload, ok := recordRoom(rec[1:])
	if !ok || room != lc.conn.room { // another room's page: it ran, its frames are not this page's
		h.answerOnce(lc, onceProcessed)
		return
	}
	frames, ok := parseRecord(payload)
	if !ok {
		h.answerOnce(lc, onceProcessed)
		return
	}
	answered := false
	for _, f := range frames {
		b := f.frame
		if f.answer {
			b = withRef(b, lc.fe.ref)
			answered = true
		}
		if err := lc.conn.write(b, true); err != nil {
			return
		}
	}
	if !answered {
		h.answerOnce(lc, onceReplayed)
	}
	lc.answered.Store(true)
}

type recFrame struct {
	frame  []byte
	answer bool
}

// parseRecord splits a recDone record's frames.
func parseRecord(b []byte) ([]recFrame, bool) {
	var out []recFrame
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k-1) < n {
			return nil, false
		}
		out = append(out, recFrame{answer: b[k] == 1, frame: b[k+1 : k+1+int(n)]})
		b = b[k+1+int(n):]
	}
	return out, true
}

// withRef puts "ref": ref and "once": "replayed" first in frame, a JSON
// object encoded without a ref.
func withRef(frame []byte, ref int64) []byte {
	b := make([]byte, 0, len(frame)+40)
	b = append(b, `{"ref":`...)
	b = strconv.AppendInt(b, ref, 10)
	b = append(b, `,"once":"replayed"`...)
	if len(frame) > 2 {
		b = append(b, ',')
	}
	return append(b, frame[1:]...)
}

// answerOnce answers lc's ref with {"ref": n, "once": what}; an event
// without a ref gets nothing.
func (h *Hub) answerOnce(lc *Context, what string) {
	lc.answered.Store(true)
	if lc.fe.ref == 0 {
		return
	}
	b := make([]byte, 0, 48)
	b = append(b, `{"ref":`...)
	b = strconv.AppendInt(b, lc.fe.ref, 10)
	b = append(b, `,"once":"`...)
	b = append(b, what...)
	b = append(b, `"}`...)
	if err := lc.conn.write(b, true); err != nil && !errors.Is(err, ErrConnClosed) && !errors.Is(err, ErrSlowClient) {
		h.log.Warn("liveview: sending once answer failed", lc.conn.logAttrs("function", clip(lc.fe.function, MaxClientStringLog), "err", err)...)
	}
}

// completeOnce stores the record of a claimed event that has run, after
// its answer was sent.
func (h *Hub) completeOnce(lc *Context) {
	r := lc.once
	if r == nil {
		return
	}
	r.mu.Lock()
	rec := r.rec
	r.rec = []byte{recBare} // later sends are not recorded
	r.mu.Unlock()
	lc.conn.onceSpent(len(rec))
	ctx := lc.conn.ctx // the record outlives the socket: not cut off by its end
	if !h.once.local {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), h.cfg.DedupeTimeout)
		defer cancel()
	}
	done, err := h.once.store.CompleteEvent(ctx, r.key, r.claim, rec, h.cfg.DedupeTTL)
	switch {
	case err != nil:
		// The claim stays (pending) until DedupeLease: re-sends meanwhile
		// are answered "retry", then run again.
		h.logHandshake(logDedupeDown, slog.LevelWarn, "liveview: dedupe store unreachable: an event's record was not stored; its claim expires after Config.DedupeLease",
			lc.conn.logAttrs("function", clip(lc.fe.function, MaxClientStringLog), "err", clip(err.Error(), maxErrorLog))...)
	case !done:
		// The run outlasted its lease: a re-send may have claimed the id
		// and run it again; that run's record is kept, not overwritten.
		h.log.Warn("liveview: an event ran longer than Config.DedupeLease: its claim had expired, a re-send of it may have run again; its record was not stored",
			lc.conn.logAttrs("function", clip(lc.fe.function, MaxClientStringLog), "lease", h.cfg.DedupeLease)...)
	}
}

// recordSend records frame (m encoded), sent by lc, in its run's record,
// and reports whether it is there. The answer is recorded without its ref
// (replay puts the re-send's ref there): refAt is the span of `"ref":N`
// with the comma before it (Message.encode); for a ref that came first,
// the comma after it goes instead, as if m had been encoded without a Ref.
func (lc *Context) recordSend(m *Message, frame []byte, refAt [2]int) bool {
	r := lc.once
	if r == nil {
		return false
	}
	if m.Ref == 0 || m.Ref != lc.fe.ref {
		return r.record(frame, nil)
	}
	if refAt[0] == 1 && refAt[1] < len(frame) && frame[refAt[1]] == ',' {
		refAt[1]++
	}
	return r.record(frame, refAt[:])
}

// connOnce is a connection's budget of recorded frame bytes within
// Config.DedupeTTL (Config.DedupeConnBytes).
type connOnce struct {
	mu    sync.Mutex
	spent []onceSpend
	sum   int
}

type onceSpend struct {
	n   int
	exp time.Time
}

// onceBudget returns the bytes the next record may hold: at most perEvent
// and what is left of the connection's budget.
func (c *conn) onceBudget(perEvent int) int {
	o := &c.onceState
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	i := 0
	for i < len(o.spent) && !o.spent[i].exp.After(now) {
		o.sum -= o.spent[i].n
		i++
	}
	o.spent = o.spent[i:]
	return max(1, min(perEvent, c.hub.cfg.DedupeConnBytes-o.sum))
}

// onceSpent charges a stored record of n bytes to the connection.
func (c *conn) onceSpent(n int) {
	if n <= 1 {
		return
	}
	o := &c.onceState
	o.mu.Lock()
	o.spent = append(o.spent, onceSpend{n: n, exp: time.Now().Add(c.hub.cfg.DedupeTTL)})
	o.sum += n
	o.mu.Unlock()
}

// checkEventID returns the error for an event whose id is invalid.
func checkEventID(id string) error {
	if id == "" || validEventID(id) {
		return nil
	}
	return fmt.Errorf("%w: invalid \"id\" (at most %d of [A-Za-z0-9._-])", ErrBadMessage, MaxEventIDLength)
}
