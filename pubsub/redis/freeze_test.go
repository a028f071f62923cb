package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/pubsubtest"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// Bounds of the frozen-server tests. They are generous on purpose (a noisy
// two-core machine under -race): each is several times the value it checks,
// and well under what the broker did before it bounded its waits (a 5s
// Publish, a 10s detection).
const (
	// boundedWait: a Publish, or a Subscribe, that meets a silent server
	// before the broker has noticed (default target: 1s for Publish).
	boundedWait = 4 * time.Second
	// detectWithin: from SIGSTOP to the broker reporting the connection
	// down (default target: about 2s).
	detectWithin = 6 * time.Second
	// atOnce: a call that fails fast, without reaching for Redis.
	atOnce = time.Second
)

// timed runs f and returns how long it took.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// logCounter is a slog.Handler that counts records at Warn and above and
// keeps their messages, to check that a fault does not flood the log.
type logCounter struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCounter) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }
func (l *logCounter) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// otherClient is a go-redis client of another type than *goredis.Client,
// as a ClusterClient is.
type otherClient struct{ *goredis.Client }

// TestFrozenServer pauses redis-server (SIGSTOP: alive, connections open,
// no answers) under a subscribed broker and checks, for several
// configurations: the first Publish gives up within its bound; the hang is
// detected within seconds; from then on Publish and Subscribe fail at once
// with ErrUnavailable; after SIGCONT the broker resubscribes, delivery
// resumes, and the gap is reported exactly once; the log gets a bounded
// number of lines.
func TestFrozenServer(t *testing.T) {
	srv := redisserver.Start(t)
	tests := []struct {
		name   string
		client func(*goredis.Options)
		// detached: the client is not a *goredis.Client (as a
		// ClusterClient), so Publish runs PUBLISH on a goroutine of its own.
		detached bool
		opts     []redis.Option
		local    bool
		// Bounds of the first Publish and of the detection.
		publishBound, detectBound time.Duration
		// hold keeps the server frozen this long after the detection,
		// checking that the broker still fails at once.
		hold time.Duration
	}{
		{name: "Defaults"},
		{name: "Local", opts: []redis.Option{redis.WithLocalDelivery()}, local: true},
		{name: "RESP2", client: func(o *goredis.Options) { o.Protocol = 2 }},
		{name: "ContextTimeoutEnabled", client: func(o *goredis.Options) { o.ContextTimeoutEnabled = true }},
		{name: "NoReadTimeout", client: func(o *goredis.Options) { o.ReadTimeout = -1 }},
		{name: "Detached", detached: true},
		{
			name:         "Short",
			opts:         []redis.Option{redis.WithPublishTimeout(200 * time.Millisecond), redis.WithHealthCheck(200 * time.Millisecond)},
			publishBound: 2 * time.Second, detectBound: 3 * time.Second,
		},
		// Beyond go-redis's ReadTimeout (5s): the detached PUBLISH and the
		// reconnection attempts time out inside go-redis meanwhile.
		{name: "LongFreeze", hold: 7 * time.Second},
		{name: "LongFreeze/Local", opts: []redis.Option{redis.WithLocalDelivery()}, local: true, hold: 7 * time.Second},
		{name: "LongFreeze/Detached", detached: true, hold: 7 * time.Second},
	}
	for _, tt := range tests {
		if tt.publishBound == 0 {
			tt.publishBound, tt.detectBound = boundedWait, detectWithin
		}
		t.Run(tt.name, func(t *testing.T) {
			o := &goredis.Options{Addr: srv.Addr(), Protocol: 3}
			if tt.client != nil {
				tt.client(o)
			}
			var c goredis.UniversalClient = goredis.NewClient(o)
			if tt.detached {
				c = otherClient{c.(*goredis.Client)}
			}
			t.Cleanup(func() { _ = c.Close() })
			logs := &logCounter{}
			gaps := make(chan redis.Gap, 10)
			local := tt.local
			b := redis.New(c, append([]redis.Option{
				redis.WithLogger(slog.New(logs)),
				redis.WithGapHandler(func(g redis.Gap) { gaps <- g }),
			}, tt.opts...)...)
			t.Cleanup(func() { _ = b.Close() })
			r := pubsubtest.NewRecorder()
			if _, err := b.Subscribe(t.Context(), "t", r.Handle); err != nil {
				t.Fatal(err)
			}
			if err := b.Publish(t.Context(), "t", []byte("before")); err != nil {
				t.Fatal(err)
			}
			r.WaitFor(t, "before")

			srv.Pause()
			paused := time.Now()
			resumed := false
			defer func() {
				if !resumed {
					srv.Resume()
				}
			}()

			// (a) The first Publish gives up within its bound.
			var err error
			d := timed(func() { err = b.Publish(t.Context(), "t", []byte("frozen-1")) })
			t.Logf("first Publish during the freeze: %v after %v", err, d)
			if !errors.Is(err, redis.ErrUnavailable) {
				t.Errorf("Publish during the freeze: %v, want ErrUnavailable", err)
			}
			if d > tt.publishBound {
				t.Errorf("Publish during the freeze took %v, want under %v", d, tt.publishBound)
			}

			// The hang is detected.
			waitFor(t, "the hang to be detected", func() bool { return !b.Stats().Connected })
			detected := time.Since(paused)
			t.Logf("hang detected %v after SIGSTOP", detected)
			if detected > tt.detectBound {
				t.Errorf("hang detected after %v, want under %v", detected, tt.detectBound)
			}

			// (a) Further Publishes fail at once.
			for i := range 5 {
				d := timed(func() { err = b.Publish(t.Context(), "t", []byte("frozen-"+strconv.Itoa(i+2))) })
				if !errors.Is(err, redis.ErrUnavailable) || d > atOnce {
					t.Errorf("Publish after detection: %v after %v, want ErrUnavailable under %v", err, d, atOnce)
				}
			}
			// (b) Subscribe fails at once too (with local delivery, it
			// succeeds at once, for local messages now and remote ones
			// after the resume).
			r2 := pubsubtest.NewRecorder()
			var sub2Err error
			d = timed(func() { _, sub2Err = b.Subscribe(t.Context(), "t2", r2.Handle) })
			t.Logf("Subscribe after detection: %v after %v", sub2Err, d)
			if d > atOnce {
				t.Errorf("Subscribe after detection took %v, want under %v", d, atOnce)
			}
			if local {
				if sub2Err != nil {
					t.Errorf("Subscribe after detection, local delivery: %v, want success", sub2Err)
				}
			} else if !errors.Is(sub2Err, redis.ErrUnavailable) {
				t.Errorf("Subscribe after detection: %v, want ErrUnavailable", sub2Err)
			}

			for i, end := 0, time.Now().Add(tt.hold); time.Now().Before(end); i++ {
				time.Sleep(250 * time.Millisecond)
				d := timed(func() { err = b.Publish(t.Context(), "t", []byte("held-"+strconv.Itoa(i))) })
				if !errors.Is(err, redis.ErrUnavailable) || d > atOnce {
					t.Fatalf("Publish %v into the freeze: %v after %v, want ErrUnavailable under %v", time.Since(paused), err, d, atOnce)
				}
				d = timed(func() {
					var sub pubsub.Subscription
					if sub, err = b.Subscribe(t.Context(), "held", func([]byte) {}); err == nil {
						err = sub.Unsubscribe()
					}
				})
				if local != (err == nil) || d > atOnce {
					t.Fatalf("Subscribe and Unsubscribe %v into the freeze: %v after %v, want an error: %v, under %v", time.Since(paused), err, d, !local, atOnce)
				}
			}

			// (c) After SIGCONT, the broker resubscribes and delivery resumes.
			srv.Resume()
			resumed = true
			cont := time.Now()
			waitFor(t, "the gap to end", func() bool { s := b.Stats(); return s.Gaps == 1 && s.GapSince.IsZero() })
			t.Logf("resubscribed %v after SIGCONT", time.Since(cont))
			after := 0
			got := r.WaitUntil(t, "a message after the resume", func(m []string) bool {
				after++
				_ = b.Publish(t.Context(), "t", []byte("after-"+strconv.Itoa(after)))
				return len(m) > 0 && strings.HasPrefix(m[len(m)-1], "after-")
			})
			t.Logf("delivery resumed %v after SIGCONT", time.Since(cont))
			seen := map[string]bool{}
			for _, m := range got {
				if seen[m] {
					t.Errorf("%q delivered twice: %q", m, got)
					break
				}
				seen[m] = true
			}
			if local {
				// The subscription made during the hang gets remote
				// messages now (published through Redis by another broker).
				other := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()))
				t.Cleanup(func() { _ = other.Close() })
				r2.WaitUntil(t, "a remote message on the subscription made during the hang", func(m []string) bool {
					_ = other.Publish(t.Context(), "t2", []byte("remote"))
					return len(m) > 0
				})
			}

			select {
			case g := <-gaps:
				t.Logf("gap: %v (%v)", g.Duration(), g.Err)
				if g.Duration() <= 0 || g.Err == nil {
					t.Errorf("gap %+v: want a positive duration and a cause", g)
				}
			case <-time.After(waitTimeout):
				t.Error("no gap reported")
			}
			select {
			case g := <-gaps:
				t.Errorf("a second gap reported: %+v", g)
			case <-time.After(100 * time.Millisecond):
			}
			s := b.Stats()
			if s.Disconnects != 1 || s.Hangs != 1 || s.Gaps != 1 || !s.Connected {
				t.Errorf("stats %+v: want 1 disconnect, a hang, 1 gap, connected", s)
			}
			if s.PublishErrors < 6 || s.PublishTimeouts != 1 {
				t.Errorf("stats %+v: want the 6 failed publishes counted, 1 of them timed out", s)
			}
			// Bounded logging: the loss, the resubscription, and with local
			// delivery one line for subscribing locally only.
			if lines := logs.lines(); len(lines) > 3 {
				t.Errorf("%d warnings for one freeze, want at most 3: %q", len(lines), lines)
			}
		})
	}
}

// TestFrozenServerConcurrentPublishers: many goroutines publishing when
// the server freezes each get their error within the bound (none waits for
// a pooled connection behind the others), then fail at once.
func TestFrozenServerConcurrentPublishers(t *testing.T) {
	srv := redisserver.Start(t)
	b := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()))
	t.Cleanup(func() { _ = b.Close() })
	if err := b.Publish(t.Context(), "t", []byte("warm")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broker to connect", func() bool { return b.Stats().Connected })
	srv.Pause()
	defer srv.Resume()

	const publishers = 50
	var (
		wg    sync.WaitGroup
		slow  atomic.Int64
		fails atomic.Int64
		worst atomic.Int64
	)
	for i := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 3 {
				var err error
				d := timed(func() { err = b.Publish(context.Background(), "t", []byte(fmt.Sprintf("%d-%d", i, j))) })
				if d > boundedWait {
					slow.Add(1)
				}
				if int64(d) > worst.Load() {
					worst.Store(int64(d))
				}
				if !errors.Is(err, redis.ErrUnavailable) {
					fails.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("slowest of %d publishes during the freeze: %v", 3*publishers, time.Duration(worst.Load()))
	if n := slow.Load(); n > 0 {
		t.Errorf("%d publishes took over %v", n, boundedWait)
	}
	if n := fails.Load(); n > 0 {
		t.Errorf("%d publishes did not fail with ErrUnavailable", n)
	}
}
