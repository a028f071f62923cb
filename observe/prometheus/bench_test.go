package prometheus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/echo-liveview/liveview"
	lvprom "github.com/echo-liveview/liveview/observe/prometheus"
)

// BenchmarkEvent is what the adapter adds to one event: the hooks the Hub
// calls for a click answered with one frame (EventStart, EventEnd,
// FrameSent). Add BenchmarkDispatchHooks/noop (the root module) for the
// Hub's side.
//
//	go test -run '^$' -bench . -benchmem ./observe/prometheus
func BenchmarkEvent(b *testing.B) {
	m, err := lvprom.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	benchEvent(b, m.Hooks())
}

func benchEvent(b *testing.B, hk *liveview.Hooks) {
	ci := liveview.ConnInfo{ID: "c1", Room: "lobby", Remote: "127.0.0.1:1"}
	ev := liveview.EventInfo{Conn: ci, Function: "click", Start: time.Now()}
	fail := errors.New("x")
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := ctx
		if hk.EventStart != nil {
			if r := hk.EventStart(ctx, ev); r != nil {
				c = r
			}
		}
		d := liveview.EventDone{EventInfo: ev, Duration: time.Millisecond, Started: true}
		if i++; i%100 == 0 {
			d.Outcome, d.ErrorKind, d.Err = liveview.OutcomeError, "handler_failed", fail
		}
		hk.EventEnd(c, d)
		hk.FrameSent(ci, 120)
	}
}
