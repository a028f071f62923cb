package liveview

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// benchRuns numbers the runs of BenchmarkOnce, whose ids must differ.
var benchRuns atomic.Int64

// BenchmarkOnce is BenchmarkDispatch's click with an event id, so each
// event is claimed and recorded: "off" (no id, as today), "memory" (the
// default store of the memory broker), "redis" (pubsub/redis.Broker on a
// private redis-server on loopback: two commands per event, the claim's
// SET and the record's EVALSHA, whose script runs a GET and a SET;
// reported as redis_cmds/op, the SETs per event, one per command).
//
// In memory mode the store is a pubsub.Dedupe of its own (the code of
// pubsub.Memory's), so the benchmark also reports store_B/record: the
// bytes the store counts per record against its bound.
func BenchmarkOnce(b *testing.B) {
	for _, mode := range []string{"off", "memory", "redis"} {
		b.Run(mode, func(b *testing.B) {
			cfg := Config{Logger: discardLogger(), RateLimit: -1}
			var srv *redisserver.Server
			var store *pubsub.Dedupe
			if mode == "memory" {
				store = pubsub.NewDedupe(0)
				cfg.Dedupe = store
			}
			if mode == "redis" {
				srv = redisserver.Start(b)
				c := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
				br := redis.New(c)
				defer func() { _ = br.Close(); _ = c.Close() }()
				cfg.Broker = br
			}
			h := New(cfg)
			defer h.Close()
			var ran atomic.Int64
			h.Handle("click", func(c *Context) error {
				ran.Add(1)
				return c.Render("#item-"+c.Data("id"), "item.html", c.FormValue("name"))
			})
			e := echo.New()
			e.Renderer = testTemplates
			req := httptest.NewRequest(http.MethodGet, "/ws/liveview/lobby/", nil)
			c := newConn(h, e, req, "lobby")
			defer c.cancel()
			frames := make([][]byte, 0, 1024)
			for i := range cap(frames) {
				id := ""
				if mode != "off" {
					id = fmt.Sprintf(`,"id":"b%d.%d"`, i, i)
				}
				frames = append(frames, fmt.Appendf(nil, `{"function":"click","data":{"id":"7"},"form":{"name":"Ada"},"ref":%d%s,"lang":"en","room":"lobby"}`, i+1, id))
			}
			if srv != nil {
				srv.Do("CONFIG", "RESETSTAT")
			}
			n, round, run := 0, 0, benchRuns.Add(1)
			b.ReportAllocs()
			for b.Loop() {
				f := frames[n%len(frames)]
				if n%len(frames) == 0 && mode != "off" {
					round++ // new ids for every round, and every run of the benchmark (the store may be shared)
					for i := range frames {
						frames[i] = fmt.Appendf(frames[i][:0], `{"function":"click","data":{"id":"7"},"form":{"name":"Ada"},"ref":%d,"id":"r%d.%d.%d","lang":"en","room":"lobby"}`, i+1, run, round, i)
					}
					f = frames[0]
				}
				h.handleFrame(c, f)
				c.discardQueued()
				n++
			}
			if int(ran.Load()) != n { // a store that refused claims answers "retry"
				b.Fatalf("%d of %d events ran", ran.Load(), n)
			}
			if store != nil && store.Len() > 0 {
				b.ReportMetric(float64(store.Bytes())/float64(store.Len()), "store_B/record")
			}
			if srv != nil {
				calls := srv.CommandCalls()
				b.ReportMetric(float64(calls["set"])/float64(n), "redis_cmds/op")
				b.ReportMetric(float64(calls["evalsha"])/float64(n), "evalsha/op")
			}
		})
	}
}
