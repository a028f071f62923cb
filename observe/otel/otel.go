// Package otel reports a liveview Hub's events to OpenTelemetry, through
// the Hub's Hooks: one span per event, and metrics with the meaning of
// observe/prometheus's. It is a module of its own: an app that does not
// import it has no OpenTelemetry in its build.
//
//	tel, err := lvotel.New(lvotel.WithTracerProvider(tp), lvotel.WithMeterProvider(mp))
//	if err != nil { ... }
//	hub := liveview.New(liveview.Config{Hooks: tel.Hooks()})
//	e.Use(otelecho.Middleware("app")) // before the Hub: the handshake's span
//	e.Use(hub.Middleware())
//
// # Spans
//
// Each event is a span named after its function (a registered name or
// "unknown"), of kind server, a child of the span in the handshake
// request's context when there is one (tracing middleware such as
// otelecho's put it there before the Hub saw the request): every event of
// a page is found under the page's connection. Attributes: liveview.room,
// liveview.function, liveview.conn, and at the end liveview.outcome (ok,
// error, panic, rejected, rate_limited) and liveview.error_kind; an error
// or panic sets the span's status to Error and records the error. The
// handler's Context.Context carries the span, so the handler's own
// instrumented calls (a database, an HTTP client) are its children.
//
// # Metrics
//
// The meter "github.com/echo-liveview/liveview/observe/otel" records
// liveview.connections (up-down counter), liveview.connections.opened,
// liveview.connections.closed {liveview.reason},
// liveview.handshakes.refused {liveview.reason},
// liveview.slow_clients.dropped, liveview.events {liveview.function,
// liveview.outcome}, liveview.event.duration (s) {liveview.function},
// liveview.frames.sent, liveview.frames.sent.size (By),
// liveview.send_queue.high_water {liveview.fraction},
// liveview.broker.publish.duration (s), liveview.broker.publish.errors,
// liveview.broker.gaps, liveview.broker.gap.duration (s),
// liveview.uploads {liveview.outcome}, liveview.uploads.size (By),
// liveview.presence.diffs, liveview.presence.joins and
// liveview.presence.leaves.
package otel

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/echo-liveview/liveview"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/echo-liveview/liveview/observe/otel"

// Attribute keys.
const (
	AttrRoom      = attribute.Key("liveview.room")
	AttrFunction  = attribute.Key("liveview.function")
	AttrConn      = attribute.Key("liveview.conn")
	AttrOutcome   = attribute.Key("liveview.outcome")
	AttrErrorKind = attribute.Key("liveview.error_kind")
	AttrReason    = attribute.Key("liveview.reason")
	AttrFraction  = attribute.Key("liveview.fraction")
)

// Option configures New.
type Option func(*options)

type options struct {
	tp      trace.TracerProvider
	mp      metric.MeterProvider
	noSpans bool
}

// WithTracerProvider sets where spans go. Default: otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tp = tp } }

// WithMeterProvider sets where metrics go. Default: otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option { return func(o *options) { o.mp = mp } }

// WithoutSpans records metrics only.
func WithoutSpans() Option { return func(o *options) { o.noSpans = true } }

// Telemetry holds the tracer and the instruments. Its Hooks are safe for
// concurrent use.
type Telemetry struct {
	tracer  trace.Tracer
	noSpans bool

	conns       metric.Int64UpDownCounter
	opened      metric.Int64Counter
	closed      metric.Int64Counter
	refused     metric.Int64Counter
	slow        metric.Int64Counter
	events      metric.Int64Counter
	duration    metric.Float64Histogram
	frames      metric.Int64Counter
	frameBytes  metric.Int64Counter
	highWater   metric.Int64Counter
	publish     metric.Float64Histogram
	publishErrs metric.Int64Counter
	gaps        metric.Int64Counter
	gapSeconds  metric.Float64Counter
	uploads     metric.Int64Counter
	uploadBytes metric.Int64Counter
	presDiffs   metric.Int64Counter
	presJoins   metric.Int64Counter
	presLeaves  metric.Int64Counter

	fns sync.Map // function label -> *fnAttrs: bounded by the Hub's cap
}

// fnAttrs are one function's attribute sets, made once: an event costs no
// attribute allocation.
type fnAttrs struct {
	start    []trace.SpanStartOption
	outcomes [][]metric.AddOption // by liveview.Outcome
	duration []metric.RecordOption
	attrs    [][]attribute.KeyValue // end-of-span attributes by outcome
}

// New creates the tracer and the instruments. It fails when the meter
// refuses an instrument.
func New(opts ...Option) (*Telemetry, error) {
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	t := &Telemetry{tracer: o.tp.Tracer(ScopeName), noSpans: o.noSpans}
	m := o.mp.Meter(ScopeName)
	var errs []error
	i64 := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
		errs = append(errs, err)
		return h
	}
	var err error
	t.conns, err = m.Int64UpDownCounter("liveview.connections", metric.WithUnit("{connection}"), metric.WithDescription("Open LiveView WebSocket connections."))
	errs = append(errs, err)
	t.opened = i64("liveview.connections.opened", "{connection}", "LiveView connections opened.")
	t.closed = i64("liveview.connections.closed", "{connection}", "LiveView connections closed, by reason.")
	t.refused = i64("liveview.handshakes.refused", "{handshake}", "LiveView handshakes refused, by reason.")
	t.slow = i64("liveview.slow_clients.dropped", "{connection}", "LiveView connections closed for falling behind.")
	t.events = i64("liveview.events", "{event}", "LiveView events handled, by function and outcome.")
	t.duration = hist("liveview.event.duration", "Time to run a LiveView event's middleware and handler.")
	t.frames = i64("liveview.frames.sent", "{frame}", "LiveView frames written to sockets.")
	t.frameBytes = i64("liveview.frames.sent.size", "By", "Bytes of LiveView frames written to sockets.")
	t.highWater = i64("liveview.send_queue.high_water", "{crossing}", "Times a connection's send backlog first crossed a fraction of its budget.")
	t.publish = hist("liveview.broker.publish.duration", "Duration of the Hub's Broker.Publish calls.")
	t.publishErrs = i64("liveview.broker.publish.errors", "{publish}", "The Hub's Broker.Publish calls that failed.")
	t.gaps = i64("liveview.broker.gaps", "{gap}", "Times the Broker lost messages and recovered.")
	t.gapSeconds, err = m.Float64Counter("liveview.broker.gap.duration", metric.WithUnit("s"), metric.WithDescription("Total duration of the Broker's gaps."))
	errs = append(errs, err)
	t.uploads = i64("liveview.uploads", "{upload}", "Uploads complete or refused.")
	t.uploadBytes = i64("liveview.uploads.size", "By", "Bytes of complete uploads.")
	t.presDiffs = i64("liveview.presence.diffs", "{diff}", "Presence changes of the topics watched here.")
	t.presJoins = i64("liveview.presence.joins", "{entry}", "Presence entries joined.")
	t.presLeaves = i64("liveview.presence.leaves", "{entry}", "Presence entries left.")
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("liveview: otel: %w", err)
		}
	}
	return t, nil
}

// fn returns the attribute sets of a function label.
func (t *Telemetry) fn(name string) *fnAttrs {
	if v, ok := t.fns.Load(name); ok {
		return v.(*fnAttrs)
	}
	f := &fnAttrs{
		start:    []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)},
		duration: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(AttrFunction.String(name)))},
	}
	for o := liveview.Outcome(0); o.String() != "unknown"; o++ {
		f.outcomes = append(f.outcomes, []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrFunction.String(name), AttrOutcome.String(o.String())))})
		f.attrs = append(f.attrs, []attribute.KeyValue{AttrOutcome.String(o.String())})
	}
	v, _ := t.fns.LoadOrStore(name, f)
	return v.(*fnAttrs)
}

// add returns the option of attributes kv.
func add(kv ...attribute.KeyValue) metric.AddOption { return metric.WithAttributes(kv...) }

// Hooks returns the Hub hooks that record spans and metrics (Config.Hooks).
// Combine with others through liveview.MultiHooks.
func (t *Telemetry) Hooks() *liveview.Hooks {
	bg := context.Background()
	hk := &liveview.Hooks{
		ConnOpened: func(liveview.ConnInfo) { t.conns.Add(bg, 1); t.opened.Add(bg, 1) },
		ConnClosed: func(_ liveview.ConnInfo, r liveview.CloseReason) {
			t.conns.Add(bg, -1)
			t.closed.Add(bg, 1, add(AttrReason.String(r.String())))
			if r == liveview.ReasonSlowClient {
				t.slow.Add(bg, 1)
			}
		},
		HandshakeRefused: func(_ *http.Request, r liveview.CloseReason) {
			t.refused.Add(bg, 1, add(AttrReason.String(r.String())))
		},
		EventEnd: func(ctx context.Context, ev liveview.EventDone) {
			f := t.fn(ev.Function)
			if int(ev.Outcome) < len(f.outcomes) {
				t.events.Add(ctx, 1, f.outcomes[ev.Outcome]...)
			}
			t.duration.Record(ctx, ev.Duration.Seconds(), f.duration...)
			if t.noSpans || !ev.Started {
				return // no span of ours: the context's is the handshake's
			}
			span := trace.SpanFromContext(ctx)
			if !span.IsRecording() {
				return
			}
			if int(ev.Outcome) < len(f.attrs) {
				span.SetAttributes(f.attrs[ev.Outcome]...)
			}
			if ev.ErrorKind != "" {
				span.SetAttributes(AttrErrorKind.String(ev.ErrorKind))
			}
			if ev.Outcome == liveview.OutcomeError || ev.Outcome == liveview.OutcomePanic {
				if ev.Err != nil {
					span.RecordError(ev.Err)
				}
				span.SetStatus(codes.Error, ev.ErrorKind)
			}
			span.End()
		},
		FrameSent: func(_ liveview.ConnInfo, n int) { t.frames.Add(bg, 1); t.frameBytes.Add(bg, int64(n)) },
		QueueHighWater: func(q liveview.QueueLevel) {
			t.highWater.Add(bg, 1, add(AttrFraction.String(strconv.FormatFloat(q.Fraction, 'g', -1, 64))))
		},
		BrokerPublish: func(p liveview.BrokerPublish) {
			t.publish.Record(bg, p.Duration.Seconds())
			if p.Err != nil {
				t.publishErrs.Add(bg, 1)
			}
		},
		BrokerGap: func(g liveview.BrokerGap) {
			t.gaps.Add(bg, 1)
			t.gapSeconds.Add(bg, g.End.Sub(g.Start).Seconds())
		},
		Upload: func(u liveview.UploadInfo) {
			if u.Err != nil {
				t.uploads.Add(bg, 1, add(AttrOutcome.String("refused")))
				return
			}
			t.uploads.Add(bg, 1, add(AttrOutcome.String("complete")))
			t.uploadBytes.Add(bg, u.Bytes)
		},
		PresenceDiff: func(p liveview.PresenceInfo) {
			t.presDiffs.Add(bg, 1)
			t.presJoins.Add(bg, int64(p.Joins))
			t.presLeaves.Add(bg, int64(p.Leaves))
		},
	}
	if !t.noSpans {
		hk.EventStart = func(ctx context.Context, ev liveview.EventInfo) context.Context {
			f := t.fn(ev.Function)
			ctx, span := t.tracer.Start(ctx, ev.Function, f.start...)
			if span.IsRecording() {
				span.SetAttributes(AttrRoom.String(ev.Conn.Room), AttrFunction.String(ev.Function), AttrConn.String(ev.Conn.ID))
			}
			return ctx
		}
	}
	return hk
}
