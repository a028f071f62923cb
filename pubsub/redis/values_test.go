package redis_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/liveviewtest"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestKeepValuesRedis: two Hubs, each with its own broker on one
// redis-server, behind one app: a kept value Set on one is restored on
// the other before OnConnect, as an int (one SET per change, one GET per
// handshake with a secret).
func TestKeepValuesRedis(t *testing.T) {
	srv := redisserver.Start(t)
	var to atomic.Int32
	seen := make(chan any, 8)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	var mws [2]echo.MiddlewareFunc
	for i := range mws {
		b := redis.New(newClient(t, srv.Addr(), 3), redis.WithLogger(quietLogger()), redis.WithPublishTimeout(300*time.Millisecond))
		h := liveview.New(liveview.Config{
			Broker:        b,
			Logger:        slog.New(slog.NewTextHandler(&lockedBuffer{}, nil)),
			KeepValues:    map[string]any{"count": 0},
			DedupeTimeout: 300 * time.Millisecond,
			OnConnect: func(_ echo.Context, c *liveview.Context) error {
				seen <- c.Get("count")
				return nil
			},
		})
		h.Handle("inc", func(c *liveview.Context) error {
			n, _ := c.Get("count").(int)
			c.Set("count", n+1)
			return c.HTML("#n", fmt.Sprint(i, ":", n+1))
		})
		t.Cleanup(func() { _ = h.Close(); _ = b.Close() })
		mws[i] = h.Middleware()
	}
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		a, b := mws[0](next), mws[1](next)
		return func(c echo.Context) error {
			if to.Load() == 1 {
				return b(c)
			}
			return a(c)
		}
	})
	page := `<!DOCTYPE html><html lang="en" data-room="lobby"><body data-controller="page">
<button id="inc" data-liveview-function="inc" data-action="page#run">+</button><p id="n"></p>
<script src="/static/liveview/liveview.min.js" defer></script></body></html>`
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, page) })

	p := liveviewtest.New(t, e).Open("/")
	if v := <-seen; v != nil {
		t.Fatalf("first connect found %#v", v)
	}
	srv.Do("CONFIG", "RESETSTAT")
	p.Click("#inc")
	p.Click("#inc")
	if got := p.Text("#n"); got != "0:2" {
		t.Fatalf("#n %q", got)
	}
	to.Store(1)
	p.Reconnect()
	if v := <-seen; v != 2 {
		t.Fatalf("after Reconnect to the other instance: count %#v, want 2 (an int)", v)
	}
	t.Logf("commands since the first connect: %v", srv.CommandCalls())
	p.Click("#inc")
	if got := p.Text("#n"); got != "1:3" {
		t.Fatalf("on the other instance: #n %q, want 1:3", got)
	}

}
