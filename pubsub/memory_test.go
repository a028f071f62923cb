package pubsub_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/pubsubtest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestMemory(t *testing.T) {
	pubsubtest.Run(t, func(*testing.T) pubsub.Broker { return pubsub.NewMemory() })
}

func TestMemoryZeroValue(t *testing.T) {
	var m pubsub.Memory
	got := make(chan string, 1)
	if _, err := m.Subscribe(t.Context(), "t", func(p []byte) { got <- string(p) }); err != nil {
		t.Fatal(err)
	}
	if err := m.Publish(t.Context(), "t", []byte("zero")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "zero" {
		t.Errorf("got %q, want %q", s, "zero")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryCloseLeavesNoGoroutines checks that after Close, from the test
// or from a handler, every delivery goroutine exits, including those of
// subscriptions with a backlog and of unsubscribed ones. Close does not wait
// for them; goleak retries until they are gone.
func TestMemoryCloseLeavesNoGoroutines(t *testing.T) {
	for _, fromHandler := range []bool{false, true} {
		t.Run(fmt.Sprintf("fromHandler=%v", fromHandler), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			m := pubsub.NewMemory()
			closed := make(chan error, 50) // every subscriber of t1 may close
			for i := range 50 {
				topic := "t" + strconv.Itoa(i%5)
				sub, err := m.Subscribe(t.Context(), topic, func(p []byte) {
					if fromHandler && string(p) == "close" {
						closed <- m.Close()
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if i%10 == 0 {
					sub.Unsubscribe()
				}
			}
			for i := range 1000 {
				m.Publish(t.Context(), "t"+strconv.Itoa(i%5), []byte("x"))
			}
			if fromHandler {
				m.Publish(t.Context(), "t1", []byte("close"))
				if err := <-closed; err != nil {
					t.Fatal(err)
				}
			} else if err := m.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMemorySlowHandler checks that a blocked handler delays neither
// Publish nor other subscriptions, and still gets every message, in order,
// once it resumes.
func TestMemorySlowHandler(t *testing.T) {
	const n = 10000
	m := pubsub.NewMemory()
	defer m.Close()
	release := make(chan struct{})
	slowDone, fastDone := make(chan error, 1), make(chan error, 1)
	m.Subscribe(t.Context(), "t", counter(n, slowDone, func() { <-release }))
	m.Subscribe(t.Context(), "t", counter(n, fastDone, func() {}))
	for i := range n {
		if err := m.Publish(t.Context(), "t", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := wait(t, fastDone); err != nil {
		t.Errorf("subscriber beside a blocked one: %v", err)
	}
	close(release)
	if err := wait(t, slowDone); err != nil {
		t.Errorf("blocked subscriber: %v", err)
	}
}

// counter returns a handler that expects the payloads "0" to "n-1" in
// order, calls first before handling the first one, and reports on done
// after the last one or at the first wrong payload.
func counter(n int, done chan<- error, first func()) func([]byte) {
	next := 0
	return func(p []byte) {
		if next == 0 {
			first()
		}
		if next < 0 {
			return // already reported
		}
		if string(p) != strconv.Itoa(next) {
			done <- fmt.Errorf("got %q, want %d", p, next)
			next = -1
			return
		}
		if next++; next == n {
			done <- nil
		}
	}
}

func wait(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("timed out")
		return nil
	}
}

// BenchmarkMemoryPublish measures Publish of a 256-byte payload to one
// topic, including delivery to every subscriber: the benchmark ends when
// every handler has run for every message.
func BenchmarkMemoryPublish(b *testing.B) {
	for _, subscribers := range []int{0, 1, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", subscribers), func(b *testing.B) {
			m := pubsub.NewMemory()
			defer m.Close()
			done := subscribeDrain(b, m, "bench", subscribers)
			ctx := context.Background()
			payload := make([]byte, 256)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := m.Publish(ctx, "bench", payload); err != nil {
					b.Fatal(err)
				}
			}
			drain(b, m, "bench", subscribers, done)
		})
	}
}

// BenchmarkMemoryPublishParallel measures concurrent publishers, each on
// its own topic with one subscriber.
func BenchmarkMemoryPublishParallel(b *testing.B) {
	m := pubsub.NewMemory()
	defer m.Close()
	const topics = 64
	dones := make([]chan struct{}, topics)
	for i := range dones {
		dones[i] = subscribeDrain(b, m, strconv.Itoa(i), 1)
	}
	var next atomic.Int64
	payload := make([]byte, 256)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		topic := strconv.Itoa(int(next.Add(1)) % topics)
		ctx := context.Background()
		for pb.Next() {
			if err := m.Publish(ctx, topic, payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for i, done := range dones {
		drain(b, m, strconv.Itoa(i), 1, done)
	}
}

// subscribeDrain subscribes n handlers to topic that do nothing but signal
// done when they receive an empty payload, the end marker.
func subscribeDrain(b *testing.B, m *pubsub.Memory, topic string, n int) chan struct{} {
	done := make(chan struct{}, n)
	for range n {
		_, err := m.Subscribe(context.Background(), topic, func(p []byte) {
			if len(p) == 0 {
				done <- struct{}{}
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return done
}

// drain publishes the end marker and waits until the n subscribers got it,
// and therefore every message before it.
func drain(b *testing.B, m *pubsub.Memory, topic string, n int, done chan struct{}) {
	if err := m.Publish(context.Background(), topic, nil); err != nil {
		b.Fatal(err)
	}
	for range n {
		<-done
	}
}
