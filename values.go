package liveview

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"sort"
	"time"

	"github.com/echo-liveview/liveview/pubsub"
)

// Values across reconnects (Config.KeepValues). The bundled client draws a
// page secret once per page load (16 bytes of crypto.getRandomValues,
// base64url: 22 characters) and sends it on every handshake of the page as
// the query parameter PageSecretParam of the WebSocket URL. After an event
// that Set a kept key, the Hub saves the page's kept values, with its room,
// in the shared store (ValueStore) under a key derived from the secret
// (SHA-256: the store never holds the secret); the next handshake of the
// same page, on any instance, restores them before Config.OnConnect when
// the room is the same. A handshake without a secret, or with one that is
// not 22 characters of [A-Za-z0-9_-], restores nothing and saves nothing.

// PageSecretParam is the query parameter of the WebSocket URL that carries
// the page's secret (additive: an upstream client sends none).
const PageSecretParam = "page"

// pageSecretLen is the length of a page secret: 16 bytes, base64url.
const pageSecretLen = 22

// Defaults of the KeepValues Config fields.
const (
	DefaultKeepBytes = 4 << 10
	DefaultKeepTTL   = 30 * time.Minute
)

// ValueStore keeps the saved values of pages (Config.KeepValues), shared
// by every instance of the app. pubsub.Memory, pubsub.Dedupe and
// pubsub/redis.Broker implement it; the Hub uses Config.Dedupe when it
// does, else the Broker when it does, else an in-process store of its own
// (which only its own reconnects reach). Implementations are safe for
// concurrent use.
type ValueStore interface {
	// StoreValues stores val under key for ttl, replacing what key held.
	// An error means it may not be stored.
	StoreValues(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// LoadValues returns what key holds, nil when nothing (never stored,
	// expired). An error means the store could not tell.
	LoadValues(ctx context.Context, key string) ([]byte, error)
}

// connKept is what a connection knows of its saved values (under conn.mu).
type connKept struct {
	key   string // the store key, "" when the page sent no (valid) secret
	dirty bool   // a kept key was Set since the last save
	last  []byte // what was last saved or restored
}

// snapshot is the JSON saved for a page.
type snapshot struct {
	Room   string                     `json:"room"`
	Values map[string]json.RawMessage `json:"values"`
}

// initKeep picks the store of kept values: the dedupe store initOnce
// picked (Config.Dedupe, the Broker, or the Hub's own), when it is one,
// so the Hub has one bounded in-process store, not two; else
// Config.Dedupe or the Broker; else a store of its own.
func (h *Hub) initKeep() {
	if len(h.cfg.KeepValues) == 0 {
		return
	}
	if vs, ok := h.once.store.(ValueStore); ok {
		h.keep = vs
	} else if vs, ok := h.cfg.Dedupe.(ValueStore); ok { // dedupe off (DedupeTTL < 0)
		h.keep = vs
	} else if vs, ok := h.broker.(ValueStore); ok {
		h.keep = vs
	} else {
		h.keep = pubsub.NewDedupe(0)
	}
}

// validPageSecret reports whether s may be a page secret.
func validPageSecret(s string) bool {
	return len(s) == pageSecretLen && base64URLOr(s, 0)
}

// valuesKey is the store key of a page secret.
func valuesKey(secret string) string {
	sum := sha256.Sum256([]byte("liveview.values\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// restoreValues reads the page secret of cn's handshake and, when the
// store holds values saved by the same page in the same room, puts them in
// cn's values. Failures log (bounded) and restore nothing.
func (h *Hub) restoreValues(ctx context.Context, cn *conn) {
	if h.keep == nil {
		return
	}
	q := cn.req.URL.Query()
	if !q.Has(PageSecretParam) {
		return
	}
	secret := q.Get(PageSecretParam)
	if !validPageSecret(secret) {
		h.logHandshake(logKeptValues, slog.LevelInfo, "liveview: invalid page secret on the handshake: its values are neither restored nor saved",
			cn.logAttrs("length", len(secret))...)
		return
	}
	key := valuesKey(secret)
	cn.mu.Lock()
	cn.kept.key = key
	cn.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, h.cfg.DedupeTimeout)
	b, err := h.keep.LoadValues(ctx, key)
	cancel()
	if err != nil {
		h.logHandshake(logKeptValues, slog.LevelWarn, "liveview: value store unreachable: a reconnecting page's values were not restored", cn.logAttrs("err", clip(err.Error(), maxErrorLog))...)
		return
	}
	if len(b) == 0 || len(b) > h.cfg.KeepBytes+len(cn.room)+64 {
		return
	}
	var snap snapshot
	if json.Unmarshal(b, &snap) != nil || snap.Room != cn.room {
		return // another room's page (or not ours): nothing
	}
	vals := make(map[string]any, len(snap.Values))
	for k, raw := range snap.Values {
		proto, ok := h.cfg.KeepValues[k]
		if !ok {
			continue // no longer kept
		}
		v, err := decodeKept(proto, raw)
		if err != nil {
			h.logHandshake(logKeptValues, slog.LevelWarn, "liveview: a kept value does not decode into its Config.KeepValues type: not restored",
				cn.logAttrs("key", clip(k, MaxClientStringLog), "err", clip(err.Error(), maxErrorLog))...)
			continue
		}
		vals[k] = v
	}
	cn.mu.Lock()
	if cn.store == nil {
		cn.store = make(map[string]any, len(vals))
	}
	for k, v := range vals {
		cn.store[k] = v
	}
	cn.kept.last = b
	cn.mu.Unlock()
}

// decodeKept decodes raw into a value of proto's type (JSON's generic
// types for a nil proto).
func decodeKept(proto any, raw json.RawMessage) (any, error) {
	if proto == nil {
		var v any
		err := json.Unmarshal(raw, &v)
		return v, err
	}
	p := reflect.New(reflect.TypeOf(proto))
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		return nil, err
	}
	return p.Elem().Interface(), nil
}

// markKept notes that key was Set (under c.mu).
func (c *conn) markKept(key string) {
	if c.kept.key == "" {
		return
	}
	if _, ok := c.hub.cfg.KeepValues[key]; ok {
		c.kept.dirty = true
	}
}

// saveValues saves c's kept values after an event that Set one of them.
// Values that do not encode are left out; over Config.KeepBytes, an empty
// snapshot is saved (a reconnect restores nothing stale). Failures log.
func (h *Hub) saveValues(c *conn) {
	if h.keep == nil {
		return
	}
	c.mu.Lock()
	if !c.kept.dirty || c.kept.key == "" {
		c.mu.Unlock()
		return
	}
	c.kept.dirty = false
	key := c.kept.key
	keys := make([]string, 0, len(h.cfg.KeepValues))
	vals := make([]any, 0, len(h.cfg.KeepValues))
	for k := range h.cfg.KeepValues {
		if v, ok := c.store[k]; ok {
			keys = append(keys, k)
			vals = append(vals, v)
		}
	}
	c.mu.Unlock()
	snap := snapshot{Room: c.room, Values: make(map[string]json.RawMessage, len(keys))}
	var bad []string
	for i, k := range keys {
		b, err := json.Marshal(vals[i])
		if err != nil {
			bad = append(bad, k)
			continue
		}
		snap.Values[k] = b
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		h.logHandshake(logKeptValues, slog.LevelWarn, "liveview: kept values that do not encode to JSON are not kept", c.logAttrs("keys", bad)...)
	}
	b, _ := json.Marshal(snap) // RawMessages from json.Marshal: valid
	if n := len(b) - len(c.room); n > h.cfg.KeepBytes {
		h.logHandshake(logKeptValues, slog.LevelWarn, "liveview: kept values over Config.KeepBytes: not kept", c.logAttrs("bytes", n, "limit", h.cfg.KeepBytes)...)
		b, _ = json.Marshal(snapshot{Room: c.room, Values: map[string]json.RawMessage{}})
	}
	c.mu.Lock()
	same := bytes.Equal(b, c.kept.last)
	c.mu.Unlock()
	if same {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), h.cfg.DedupeTimeout)
	err := h.keep.StoreValues(ctx, key, b, h.cfg.KeepTTL)
	cancel()
	if err != nil {
		h.logHandshake(logKeptValues, slog.LevelWarn, "liveview: value store unreachable: a page's kept values were not saved", c.logAttrs("err", clip(err.Error(), maxErrorLog))...)
		if !errors.Is(err, pubsub.ErrDedupeFull) {
			c.mu.Lock()
			c.kept.dirty = true // tried again after the next event
			c.mu.Unlock()
		}
		return
	}
	c.mu.Lock()
	c.kept.last = b
	c.mu.Unlock()
}
