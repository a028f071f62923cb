package redis_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/pubsubtest"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait of these tests; nothing here is timed.
const waitTimeout = 30 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newClient returns a go-redis client for addr, closed when the test ends
// (after the brokers, whose cleanups run first when registered later).
func newClient(t testing.TB, addr string, protocol int) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: protocol})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestConformance runs the pubsub contract suite against the broker, with
// both wire protocols and both delivery modes.
func TestConformance(t *testing.T) {
	srv := redisserver.Start(t)
	tests := []struct {
		name     string
		protocol int
		opts     []redis.Option
	}{
		{"RESP3", 3, nil},
		{"RESP2", 2, nil},
		{"RESP3/Local", 3, []redis.Option{redis.WithLocalDelivery()}},
		{"RESP3/Prefix", 3, []redis.Option{redis.WithPrefix("app:")}},
		// SSUBSCRIBE and SPUBLISH on a single Redis 7.
		{"RESP3/Sharded", 3, []redis.Option{redis.WithShardedPubSub(true)}},
		{"RESP2/Sharded", 2, []redis.Option{redis.WithShardedPubSub(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pubsubtest.Run(t, func(t *testing.T) pubsub.Broker {
				c := newClient(t, srv.Addr(), tt.protocol)
				return redis.New(c, append([]redis.Option{redis.WithLogger(quietLogger())}, tt.opts...)...)
			})
		})
	}
}

// TestInstances: two brokers, each with its own client, behave as one
// broker: a message published on either reaches the subscribers of both,
// once, in order.
func TestInstances(t *testing.T) {
	srv := redisserver.Start(t)
	tests := []struct {
		name string
		a, b []redis.Option
	}{
		{"Remote", nil, nil},
		{"Local", []redis.Option{redis.WithLocalDelivery()}, []redis.Option{redis.WithLocalDelivery()}},
		{"Mixed", []redis.Option{redis.WithLocalDelivery()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := redis.New(newClient(t, srv.Addr(), 3), append(tt.a, redis.WithLogger(quietLogger()))...)
			b := redis.New(newClient(t, srv.Addr(), 3), append(tt.b, redis.WithLogger(quietLogger()))...)
			t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
			topic := "instances/" + tt.name
			ra, rb := pubsubtest.NewRecorder(), pubsubtest.NewRecorder()
			for _, s := range []struct {
				br pubsub.Broker
				r  *pubsubtest.Recorder
			}{{a, ra}, {b, rb}} {
				if _, err := s.br.Subscribe(t.Context(), topic, s.r.Handle); err != nil {
					t.Fatal(err)
				}
			}
			const n = 200
			for i := range n {
				for name, br := range map[string]pubsub.Broker{"a": a, "b": b} {
					if err := br.Publish(t.Context(), topic, []byte(name+"-"+strconv.Itoa(i))); err != nil {
						t.Fatal(err)
					}
				}
			}
			for who, r := range map[string]*pubsubtest.Recorder{"a": ra, "b": rb} {
				got := r.WaitUntil(t, "messages", func(m []string) bool { return len(m) >= 2*n })
				checkSequences(t, "subscriber on "+who, got, []string{"a", "b"}, n, true)
			}
		})
	}
}

// TestFaults kills Redis in the middle of traffic and restarts it: publishes
// fail with ErrUnavailable and never hang, the gap is reported, delivery
// resumes after the restart, and what arrives is in order without
// duplicates. goleak (TestMain) checks that nothing is left running.
func TestFaults(t *testing.T) {
	srv := redisserver.Start(t)
	for _, local := range []bool{false, true} {
		t.Run(fmt.Sprintf("local=%v", local), func(t *testing.T) {
			opts := []redis.Option{redis.WithLogger(quietLogger())}
			if local {
				opts = append(opts, redis.WithLocalDelivery())
			}
			gaps := make(chan redis.Gap, 10)
			pub := redis.New(newClient(t, srv.Addr(), 3), opts...)
			sub := redis.New(newClient(t, srv.Addr(), 3), append(opts, redis.WithGapHandler(func(g redis.Gap) { gaps <- g }))...)
			t.Cleanup(func() { _ = pub.Close(); _ = sub.Close() })
			topic := fmt.Sprintf("faults/%v", local)
			remote, own := pubsubtest.NewRecorder(), pubsubtest.NewRecorder()
			if _, err := sub.Subscribe(t.Context(), topic, remote.Handle); err != nil {
				t.Fatal(err)
			}
			if _, err := pub.Subscribe(t.Context(), topic, own.Handle); err != nil {
				t.Fatal(err)
			}

			// Traffic: one publisher, numbered messages, until told to stop.
			var (
				mu       sync.Mutex
				failures []error
				sent     int
			)
			stop, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; i < 100000; i++ {
					select {
					case <-stop:
						return
					default:
					}
					err := pub.Publish(context.Background(), topic, []byte("p-"+strconv.Itoa(i)))
					mu.Lock()
					sent = i + 1
					if err != nil {
						failures = append(failures, err)
					}
					mu.Unlock()
					time.Sleep(time.Millisecond)
				}
			}()
			t.Cleanup(func() {
				select {
				case <-stop:
				default:
					close(stop)
				}
				<-done
			})

			remote.WaitUntil(t, "messages", func(m []string) bool { return len(m) >= 20 }) // traffic flows
			srv.Kill()
			waitFor(t, "publishes to fail", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(failures) > 0
			})
			srv.Restart()
			mu.Lock()
			after := sent
			mu.Unlock()
			// Delivery resumes: a message sent after the restart arrives.
			remote.WaitUntil(t, "messages", func(m []string) bool {
				return len(m) > 0 && seq(m[len(m)-1]) > after
			})
			close(stop)
			<-done

			mu.Lock()
			for _, err := range failures {
				if !errors.Is(err, redis.ErrUnavailable) || !strings.HasPrefix(err.Error(), "liveview: ") {
					t.Errorf("publish error %q: want a liveview: error wrapping ErrUnavailable", err)
				}
			}
			mu.Unlock()
			checkSequences(t, "remote subscriber", remote.Messages(), []string{"p"}, -1, false)
			checkSequences(t, "publisher's own subscriber", own.Messages(), []string{"p"}, -1, false)
			if local {
				// Local delivery never stopped: the publisher's own
				// subscriber has every message it published.
				mu.Lock()
				n := sent
				mu.Unlock()
				got := own.WaitUntil(t, "messages", func(m []string) bool { return len(m) >= n })
				checkSequences(t, "publisher's own subscriber (local)", got, []string{"p"}, n, true)
			}
			select {
			case g := <-gaps:
				if g.Duration() <= 0 || g.Err == nil || g.Channels != 1 {
					t.Errorf("gap %+v: want a positive duration, a cause and 1 channel", g)
				}
				t.Logf("gap: %v (%v)", g.Duration(), g.Err)
			case <-time.After(waitTimeout):
				t.Error("no gap reported")
			}
			select {
			case g := <-gaps:
				t.Errorf("a second gap reported: %+v", g)
			default:
			}
			if s := sub.Stats(); s.Disconnects != 1 || s.Gaps != 1 || !s.GapSince.IsZero() || s.Channels != 1 || !s.Connected {
				t.Errorf("subscriber stats %+v: want 1 disconnect, 1 ended gap, 1 channel, connected", s)
			}
			if s := pub.Stats(); s.PublishErrors < 1 {
				t.Errorf("publisher stats %+v: want publish errors counted", s)
			}
		})
	}
}

// TestUnavailable: with Redis down, Publish and Subscribe fail at once with
// ErrUnavailable, unless local delivery lets Subscribe succeed locally.
func TestUnavailable(t *testing.T) {
	srv := redisserver.Start(t)
	addr := srv.Addr()
	srv.Stop()
	tests := []struct {
		name          string
		opts          []redis.Option
		subscribeFail bool
	}{
		{"Remote", nil, true},
		{"Local", []redis.Option{redis.WithLocalDelivery()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := redis.New(newClient(t, addr, 3), append(tt.opts, redis.WithLogger(quietLogger()))...)
			t.Cleanup(func() { _ = b.Close() })
			r := pubsubtest.NewRecorder()
			_, err := b.Subscribe(t.Context(), "t", r.Handle)
			if tt.subscribeFail != (err != nil) {
				t.Fatalf("Subscribe: %v, want failure: %v", err, tt.subscribeFail)
			}
			if err != nil && !errors.Is(err, redis.ErrUnavailable) {
				t.Errorf("Subscribe: %v, want ErrUnavailable", err)
			}
			err = b.Publish(t.Context(), "t", []byte("x"))
			if !errors.Is(err, redis.ErrUnavailable) {
				t.Errorf("Publish: %v, want ErrUnavailable", err)
			}
			if !tt.subscribeFail {
				r.WaitUntil(t, "messages", func(m []string) bool { return len(m) == 1 && m[0] == "x" })
			}
		})
	}
}

// TestClientStaysOpen: Close leaves the caller's client usable.
func TestClientStaysOpen(t *testing.T) {
	srv := redisserver.Start(t)
	c := newClient(t, srv.Addr(), 3)
	b := redis.New(c)
	if _, err := b.Subscribe(t.Context(), "t", func([]byte) {}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Errorf("client after broker Close: %v", err)
	}
}

// seq returns the number of "sender-number".
func seq(m string) int {
	_, n, _ := strings.Cut(m, "-")
	i, err := strconv.Atoi(n)
	if err != nil {
		return -1
	}
	return i
}

// checkSequences checks that msgs holds, per sender, increasing numbers
// without duplicates; with complete, exactly 0..n-1.
func checkSequences(t testing.TB, who string, msgs []string, senders []string, n int, complete bool) {
	t.Helper()
	next := make(map[string]int)
	for _, m := range msgs {
		sender, _, _ := strings.Cut(m, "-")
		i := seq(m)
		if i < 0 || !contains(senders, sender) {
			t.Errorf("%s: unexpected message %q", who, m)
			return
		}
		if i < next[sender] || (complete && i != next[sender]) {
			t.Errorf("%s: got %q after %s-%d: lost, duplicated or out of order", who, m, sender, next[sender]-1)
			return
		}
		next[sender] = i + 1
	}
	if complete {
		for _, s := range senders {
			if next[s] != n {
				t.Errorf("%s: %d messages from %s, want %d", who, next[s], s, n)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// waitFor polls cond every 10ms, failing after waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSilentServer: a server that stops answering without closing its
// connections (paused with SIGSTOP) is detected by the health check, the
// gap is reported, and delivery resumes once it answers again.
func TestSilentServer(t *testing.T) {
	srv := redisserver.Start(t)
	b := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()))
	t.Cleanup(func() { _ = b.Close() })
	r := pubsubtest.NewRecorder()
	if _, err := b.Subscribe(t.Context(), "t", r.Handle); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	waitFor(t, "the health check to notice", func() bool { return b.Stats().Disconnects == 1 })
	srv.Resume()
	waitFor(t, "the gap to end", func() bool { s := b.Stats(); return s.Gaps == 1 && s.GapSince.IsZero() })
	waitFor(t, "a message to arrive", func() bool {
		_ = b.Publish(t.Context(), "t", []byte("back"))
		return len(r.Messages()) > 0
	})
	if got := r.Messages(); got[0] != "back" {
		t.Errorf("received %q, want back", got)
	}
}

// TestPayloadsLikeEnvelopes: payloads that look like the broker's own
// envelope arrive intact, between brokers with and without local delivery.
func TestPayloadsLikeEnvelopes(t *testing.T) {
	srv := redisserver.Start(t)
	remote := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()))
	local := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()), redis.WithLocalDelivery())
	t.Cleanup(func() { _ = remote.Close(); _ = local.Close() })
	payloads := []string{
		"\x00lv1",
		"\x00lv1" + strings.Repeat("\x00", 16),
		"\x00lv1" + strings.Repeat("\x01", 16) + "payload",
		"\x00lv",
		"",
	}
	brokers := map[string]*redis.Broker{"remote": remote, "local": local}
	recorders := map[string]*pubsubtest.Recorder{}
	for name, b := range brokers {
		recorders[name] = pubsubtest.NewRecorder()
		if _, err := b.Subscribe(t.Context(), "env", recorders[name].Handle); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []string{"remote", "local"} {
		for _, p := range payloads {
			if err := brokers[from].Publish(t.Context(), "env", []byte(p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := append(append([]string(nil), payloads...), payloads...)
	for name, r := range recorders {
		got := r.WaitUntil(t, "messages", func(m []string) bool { return len(m) >= len(want) })
		count := map[string]int{}
		for _, m := range got {
			count[m]++
		}
		for _, p := range payloads {
			if count[p] != 2 {
				t.Errorf("%s subscriber got %q %d times, want 2 (all: %q)", name, p, count[p], got)
			}
		}
	}
}
