package otel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/echo-liveview/liveview"
	lvotel "github.com/echo-liveview/liveview/observe/otel"
)

// TestSpans: each event is a span named after its function, a child of the
// span the handshake request carried, with room, function and outcome;
// the handler's Context.Context carries it; the metrics count the same.
func TestSpans(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tel, err := lvotel.New(lvotel.WithTracerProvider(tp), lvotel.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	hub := liveview.New(liveview.Config{Hooks: tel.Hooks(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	inHandler := make(chan trace.SpanContext, 1)
	hub.Handle("ok", func(c *liveview.Context) error {
		inHandler <- trace.SpanContextFromContext(c.Context())
		return c.HTML("#x", "hi")
	})
	hub.Handle("fail", func(*liveview.Context) error { return errors.New("database down") })
	hub.Handle("boom", func(*liveview.Context) error { panic("nil map") })

	// What otelecho (or any tracing middleware) does before the Hub.
	var handshake trace.SpanContext
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, span := tp.Tracer("test").Start(c.Request().Context(), "GET /ws/liveview/:room/", trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			handshake = span.SpanContext()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	})
	e.Use(hub.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()
	defer hub.Close()

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/liveview/lobby/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, fn := range []string{"ok", "fail", "boom", "nope", "\x00bad"} {
		frame := fmt.Appendf(nil, `{"function":%q}`, fn)
		if fn == "\x00bad" {
			frame = []byte("not json")
		}
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}

	var events []sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.InstrumentationScope().Name == lvotel.ScopeName {
			events = append(events, s)
		}
	}
	want := []struct {
		name, outcome, kind string
		status              codes.Code
	}{
		{"ok", "ok", "", codes.Unset},
		{"fail", "error", "handler_failed", codes.Error},
		{"boom", "panic", "handler_panicked", codes.Error},
		{"unknown", "rejected", "unknown_function", codes.Unset},
	}
	if len(events) != len(want) {
		t.Fatalf("%d event spans, want %d (a frame that does not decode gets none)", len(events), len(want))
	}
	for i, w := range want {
		s := events[i]
		attrs := map[attribute.Key]string{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value.String()
		}
		if s.Name() != w.name || attrs[lvotel.AttrFunction] != w.name || attrs[lvotel.AttrRoom] != "lobby" ||
			attrs[lvotel.AttrOutcome] != w.outcome || attrs[lvotel.AttrErrorKind] != w.kind || attrs[lvotel.AttrConn] == "" {
			t.Errorf("span %d: name %q, attributes %v; want %q, outcome %q, kind %q", i, s.Name(), attrs, w.name, w.outcome, w.kind)
		}
		if s.Status().Code != w.status {
			t.Errorf("span %q: status %v, want %v", s.Name(), s.Status().Code, w.status)
		}
		if s.Parent().SpanID() != handshake.SpanID() || s.SpanContext().TraceID() != handshake.TraceID() {
			t.Errorf("span %q: parent %v in trace %v, want the handshake's %v in %v", s.Name(), s.Parent().SpanID(), s.SpanContext().TraceID(), handshake.SpanID(), handshake.TraceID())
		}
		if s.SpanKind() != trace.SpanKindServer {
			t.Errorf("span %q: kind %v", s.Name(), s.SpanKind())
		}
	}
	if got := <-inHandler; got.SpanID() != events[0].SpanContext().SpanID() {
		t.Errorf("the handler's Context.Context carries span %v, want its event's %v", got.SpanID(), events[0].SpanContext().SpanID())
	}

	if err := hub.Close(); err != nil { // every frame written, the connection closed
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					fn, _ := dp.Attributes.Value(lvotel.AttrFunction)
					oc, _ := dp.Attributes.Value(lvotel.AttrOutcome)
					counts[m.Name+"/"+fn.String()+"/"+oc.String()] += dp.Value
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					fn, _ := dp.Attributes.Value(lvotel.AttrFunction)
					counts[m.Name+"/"+fn.String()] += int64(dp.Count)
				}
			}
		}
	}
	for k, v := range map[string]int64{
		"liveview.events/ok/ok":                1,
		"liveview.events/fail/error":           1,
		"liveview.events/boom/panic":           1,
		"liveview.events/unknown/rejected":     2, // the unknown function and the frame that did not decode
		"liveview.event.duration/ok":           1,
		"liveview.connections//":               0,
		"liveview.connections.opened//":        1,
		"liveview.frames.sent//":               5,
		"liveview.event.duration/unknown":      2,
		"liveview.handshakes.refused//":        0,
		"liveview.connections.closed//":        1,
		"liveview.slow_clients.dropped//":      0,
		"liveview.broker.publish.errors//":     0,
		"liveview.send_queue.high_water//":     0,
		"liveview.uploads//":                   0,
		"liveview.presence.diffs//":            0,
		"liveview.broker.gaps//":               0,
		"liveview.frames.sent.size//":          counts["liveview.frames.sent.size//"],
		"liveview.broker.publish.duration/":    0,
		"liveview.events/unknown/rate_limited": 0,
	} {
		if counts[k] != v {
			t.Errorf("%s = %d, want %d", k, counts[k], v)
		}
	}
	if counts["liveview.frames.sent.size//"] < 5*10 {
		t.Errorf("frames.sent.size = %d", counts["liveview.frames.sent.size//"])
	}
}
