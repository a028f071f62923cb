package otel_test

import (
	"context"
	"errors"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/echo-liveview/liveview"
	lvotel "github.com/echo-liveview/liveview/observe/otel"
)

// BenchmarkEvent is what the adapter adds to one event: the hooks the Hub
// calls for a click answered with one frame (EventStart, EventEnd,
// FrameSent), with the SDK (a span recorded and ended into an in-memory
// processor; metrics aggregated by a manual reader), with metrics only,
// and with no-op providers. Add BenchmarkDispatchHooks/noop (the root
// module) for the Hub's side.
//
//	go test -run '^$' -bench . -benchmem ./observe/otel
func BenchmarkEvent(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts func() []lvotel.Option
	}{
		{"sdk-spans-and-metrics", func() []lvotel.Option {
			return []lvotel.Option{lvotel.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(discardSpans{}))),
				lvotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))}
		}},
		{"sdk-metrics-only", func() []lvotel.Option {
			return []lvotel.Option{lvotel.WithoutSpans(), lvotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())))}
		}},
		{"noop-providers", func() []lvotel.Option {
			return []lvotel.Option{lvotel.WithTracerProvider(tracenoop.NewTracerProvider()), lvotel.WithMeterProvider(metricnoop.NewMeterProvider())}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tel, err := lvotel.New(bc.opts()...)
			if err != nil {
				b.Fatal(err)
			}
			benchEvent(b, tel.Hooks())
		})
	}
}

// discardSpans is a span processor that drops ended spans (an exporter's
// batching is not the adapter's cost).
type discardSpans struct{}

func (discardSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discardSpans) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discardSpans) Shutdown(context.Context) error                  { return nil }
func (discardSpans) ForceFlush(context.Context) error                { return nil }

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
