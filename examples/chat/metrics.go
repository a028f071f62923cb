package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
)

// -metrics: the Hub's stats page at /debug/liveview (Hub.StatsHandler, a
// LiveView itself) and /metrics in the Prometheus text format.
//
// A real app imports github.com/echo-liveview/liveview/observe/prometheus
// (client_golang, the full set of liveview_* series, histograms
// included) and serves promhttp.Handler. This example lives in the
// library's own module, which must not depend on client_golang (users
// would find it in their module graph), so it counts a few of the same
// series itself, with the same names, through the same Config.Hooks.

// chatMetrics counts what the hooks report.
type chatMetrics struct {
	conns, opened, slow, gaps atomic.Int64
	mu                        sync.Mutex
	closed                    map[string]int64 // by reason
	events                    map[[2]string]int64
}

func newChatMetrics() *chatMetrics {
	return &chatMetrics{closed: map[string]int64{}, events: map[[2]string]int64{}}
}

func (m *chatMetrics) hooks() *liveview.Hooks {
	return &liveview.Hooks{
		ConnOpened: func(liveview.ConnInfo) { m.conns.Add(1); m.opened.Add(1) },
		ConnClosed: func(_ liveview.ConnInfo, r liveview.CloseReason) {
			m.conns.Add(-1)
			if r == liveview.ReasonSlowClient {
				m.slow.Add(1)
			}
			m.mu.Lock()
			m.closed[r.String()]++
			m.mu.Unlock()
		},
		EventEnd: func(_ context.Context, ev liveview.EventDone) {
			m.mu.Lock()
			m.events[[2]string{ev.Function, ev.Outcome.String()}]++ // Function is capped by the Hub
			m.mu.Unlock()
		},
		BrokerGap: func(liveview.BrokerGap) { m.gaps.Add(1) },
	}
}

// ServeHTTP writes the series in the Prometheus text format.
func (m *chatMetrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintf(w, "# TYPE liveview_connections gauge\nliveview_connections %d\n", m.conns.Load())
	fmt.Fprintf(w, "# TYPE liveview_connections_opened_total counter\nliveview_connections_opened_total %d\n", m.opened.Load())
	fmt.Fprintf(w, "# TYPE liveview_slow_clients_dropped_total counter\nliveview_slow_clients_dropped_total %d\n", m.slow.Load())
	fmt.Fprintf(w, "# TYPE liveview_broker_gaps_total counter\nliveview_broker_gaps_total %d\n", m.gaps.Load())
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprint(w, "# TYPE liveview_connections_closed_total counter\n")
	reasons := make([]string, 0, len(m.closed))
	for r := range m.closed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "liveview_connections_closed_total{reason=%q} %d\n", r, m.closed[r])
	}
	fmt.Fprint(w, "# TYPE liveview_events_total counter\n")
	keys := make([][2]string, 0, len(m.events))
	for k := range m.events {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(w, "liveview_events_total{function=%q,outcome=%q} %d\n", k[0], k[1], m.events[k])
	}
}

// mountMetrics serves /metrics and the stats page on e.
func mountMetrics(e *echo.Echo, hub *liveview.Hub, m *chatMetrics) {
	e.GET("/metrics", echo.WrapHandler(m))
	stats := hub.StatsHandler("/debug/liveview")
	e.GET("/debug/liveview", stats)
	e.GET("/debug/liveview/*", stats)
}
