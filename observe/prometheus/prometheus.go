// Package prometheus exports a liveview Hub's metrics to Prometheus
// (client_golang), through the Hub's Hooks. It is a module of its own:
// an app that does not import it has no client_golang in its build.
//
//	reg := prometheus.NewRegistry() // or prometheus.DefaultRegisterer
//	m, err := lvprom.New(reg)
//	if err != nil { ... }
//	hub := liveview.New(liveview.Config{Hooks: m.Hooks()})
//	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
//
// The metrics, with the names and labels of the README's metrics table:
//
//	liveview_connections                       gauge     open connections
//	liveview_connections_opened_total          counter
//	liveview_connections_closed_total          counter   {reason}: client_close, error, slow_client, shutdown, disconnected, expired
//	liveview_handshakes_refused_total          counter   {reason}: origin_refused, rate_limited, refused, unavailable, busy
//	liveview_slow_clients_dropped_total        counter   connections closed for falling behind
//	liveview_events_total                      counter   {function, outcome}: ok, error, panic, rejected, rate_limited
//	liveview_event_duration_seconds            histogram {function}
//	liveview_frames_sent_total                 counter
//	liveview_frames_sent_bytes_total           counter
//	liveview_send_queue_high_water_total       counter   {fraction}: 0.25, 0.5, 0.75, 1 (a connection's backlog crossed it)
//	liveview_broker_publish_duration_seconds   histogram
//	liveview_broker_publish_errors_total       counter
//	liveview_broker_gaps_total                 counter   times the Broker lost messages (Redis down) and recovered
//	liveview_broker_gap_seconds_total          counter
//	liveview_uploads_total                     counter   {outcome}: complete, refused
//	liveview_upload_bytes_total                counter   bytes of complete uploads
//	liveview_presence_diffs_total              counter
//	liveview_presence_joins_total              counter
//	liveview_presence_leaves_total             counter
//
// The function label is a registered handler name or "unknown" (the Hub
// caps it), so a client cannot create series. Broker gaps are counted
// with pubsub/redis's Broker without any option on it: the Hub registers
// the hook with the Broker itself.
package prometheus

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/echo-liveview/liveview"
)

// DefaultBuckets are the event and publish duration histograms' buckets,
// in seconds: from 250 µs (a handler that renders a small template) to 5 s.
var DefaultBuckets = []float64{.00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// Metrics holds the collectors, registered on the registry given to New.
// Its Hooks are safe for concurrent use.
type Metrics struct {
	conns        prometheus.Gauge
	opened       prometheus.Counter
	closed       *prometheus.CounterVec
	refused      *prometheus.CounterVec
	slow         prometheus.Counter
	events       *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	frames       prometheus.Counter
	frameBytes   prometheus.Counter
	highWater    *prometheus.CounterVec
	publish      prometheus.Histogram
	publishErrs  prometheus.Counter
	gaps         prometheus.Counter
	gapSeconds   prometheus.Counter
	uploads      *prometheus.CounterVec
	uploadBytes  prometheus.Counter
	presDiffs    prometheus.Counter
	presJoins    prometheus.Counter
	presLeaves   prometheus.Counter
	closedByCode []prometheus.Counter // by liveview.CloseReason, made at New

	fns sync.Map // function label -> *fnMetrics: bounded by the Hub's cap
}

// fnMetrics are one function's series, resolved once so that an event
// costs no label lookup.
type fnMetrics struct {
	outcomes []prometheus.Counter // by liveview.Outcome
	duration prometheus.Observer
}

// Option configures New.
type Option func(*options)

type options struct {
	buckets   []float64
	namespace string
}

// WithBuckets sets the buckets of both duration histograms (seconds).
// Default: DefaultBuckets.
func WithBuckets(b []float64) Option { return func(o *options) { o.buckets = b } }

// WithNamespace puts every name under namespace ("app" gives
// app_liveview_connections). Default: none.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// New creates the collectors and registers them on reg
// (prometheus.DefaultRegisterer when nil). It fails, with an error
// wrapping prometheus.AlreadyRegisteredError, when reg already has them
// (one Metrics per registry: share it between Hubs).
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	o := options{buckets: DefaultBuckets}
	for _, f := range opts {
		f(&o)
	}
	if reg == nil {
		reg = prometheus.DefaultRegisterer
	}
	ns := o.namespace
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help})
	}
	counterVec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help}, labels)
	}
	m := &Metrics{
		conns:       prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "liveview_connections", Help: "Open LiveView WebSocket connections."}),
		opened:      counter("liveview_connections_opened_total", "LiveView connections opened (upgrade completed)."),
		closed:      counterVec("liveview_connections_closed_total", "LiveView connections closed, by reason.", "reason"),
		refused:     counterVec("liveview_handshakes_refused_total", "LiveView handshakes refused before a connection existed, by reason.", "reason"),
		slow:        counter("liveview_slow_clients_dropped_total", "LiveView connections closed for falling behind their send queue."),
		events:      counterVec("liveview_events_total", "LiveView events handled, by function (registered names or unknown) and outcome.", "function", "outcome"),
		duration:    prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "liveview_event_duration_seconds", Help: "Time to run a LiveView event's middleware and handler.", Buckets: o.buckets}, []string{"function"}),
		frames:      counter("liveview_frames_sent_total", "LiveView frames written to sockets."),
		frameBytes:  counter("liveview_frames_sent_bytes_total", "Bytes of LiveView frames written to sockets."),
		highWater:   counterVec("liveview_send_queue_high_water_total", "Times a connection's send backlog first crossed a fraction of Config.SendQueueBytes.", "fraction"),
		publish:     prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "liveview_broker_publish_duration_seconds", Help: "Duration of the Hub's Broker.Publish calls.", Buckets: o.buckets}),
		publishErrs: counter("liveview_broker_publish_errors_total", "The Hub's Broker.Publish calls that failed."),
		gaps:        counter("liveview_broker_gaps_total", "Times the Broker lost messages (its connection was down) and recovered."),
		gapSeconds:  counter("liveview_broker_gap_seconds_total", "Total duration of the Broker's gaps."),
		uploads:     counterVec("liveview_uploads_total", "Uploads complete or refused.", "outcome"),
		uploadBytes: counter("liveview_upload_bytes_total", "Bytes of complete uploads."),
		presDiffs:   counter("liveview_presence_diffs_total", "Presence changes of the topics watched on this instance."),
		presJoins:   counter("liveview_presence_joins_total", "Presence entries joined, in those changes."),
		presLeaves:  counter("liveview_presence_leaves_total", "Presence entries left, in those changes."),
	}
	for _, c := range []prometheus.Collector{m.conns, m.opened, m.closed, m.refused, m.slow, m.events, m.duration,
		m.frames, m.frameBytes, m.highWater, m.publish, m.publishErrs, m.gaps, m.gapSeconds, m.uploads,
		m.uploadBytes, m.presDiffs, m.presJoins, m.presLeaves} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("liveview: prometheus: %w", err)
		}
	}
	for r := liveview.CloseReason(0); r.String() != "unknown"; r++ {
		m.closedByCode = append(m.closedByCode, m.closed.WithLabelValues(r.String()))
	}
	return m, nil
}

// MustNew is New that panics on error, for package-level setup.
func MustNew(reg prometheus.Registerer, opts ...Option) *Metrics {
	m, err := New(reg, opts...)
	if err != nil {
		panic(err)
	}
	return m
}

// fn returns the series of a function label.
func (m *Metrics) fn(name string) *fnMetrics {
	if v, ok := m.fns.Load(name); ok {
		return v.(*fnMetrics)
	}
	f := &fnMetrics{duration: m.duration.WithLabelValues(name)}
	for o := liveview.Outcome(0); o.String() != "unknown"; o++ {
		f.outcomes = append(f.outcomes, m.events.WithLabelValues(name, o.String()))
	}
	v, _ := m.fns.LoadOrStore(name, f)
	return v.(*fnMetrics)
}

// Hooks returns the Hub hooks that feed the collectors (Config.Hooks).
// Combine with others through liveview.MultiHooks.
func (m *Metrics) Hooks() *liveview.Hooks {
	return &liveview.Hooks{
		ConnOpened: func(liveview.ConnInfo) { m.conns.Inc(); m.opened.Inc() },
		ConnClosed: func(_ liveview.ConnInfo, r liveview.CloseReason) {
			m.conns.Dec()
			if int(r) < len(m.closedByCode) {
				m.closedByCode[r].Inc()
			}
			if r == liveview.ReasonSlowClient {
				m.slow.Inc()
			}
		},
		HandshakeRefused: func(_ *http.Request, r liveview.CloseReason) { m.refused.WithLabelValues(r.String()).Inc() },
		EventEnd: func(_ context.Context, ev liveview.EventDone) {
			f := m.fn(ev.Function)
			if int(ev.Outcome) < len(f.outcomes) {
				f.outcomes[ev.Outcome].Inc()
			}
			f.duration.Observe(ev.Duration.Seconds())
		},
		FrameSent: func(_ liveview.ConnInfo, n int) { m.frames.Inc(); m.frameBytes.Add(float64(n)) },
		QueueHighWater: func(q liveview.QueueLevel) {
			m.highWater.WithLabelValues(strconv.FormatFloat(q.Fraction, 'g', -1, 64)).Inc()
		},
		BrokerPublish: func(p liveview.BrokerPublish) {
			m.publish.Observe(p.Duration.Seconds())
			if p.Err != nil {
				m.publishErrs.Inc()
			}
		},
		BrokerGap: func(g liveview.BrokerGap) {
			m.gaps.Inc()
			m.gapSeconds.Add(g.End.Sub(g.Start).Seconds())
		},
		Upload: func(u liveview.UploadInfo) {
			if u.Err != nil {
				m.uploads.WithLabelValues("refused").Inc()
				return
			}
			m.uploads.WithLabelValues("complete").Inc()
			m.uploadBytes.Add(float64(u.Bytes))
		},
		PresenceDiff: func(p liveview.PresenceInfo) {
			m.presDiffs.Inc()
			m.presJoins.Add(float64(p.Joins))
			m.presLeaves.Add(float64(p.Leaves))
		},
	}
}
