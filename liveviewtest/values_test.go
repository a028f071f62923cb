package liveviewtest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
	"github.com/echo-liveview/liveview/pubsub"
)

type cart struct{ Items []string }

// twoHubs is one app served by two Hubs (two instances) sharing one
// pubsub.Memory broker: which one answers the WebSocket is switched with
// to. Each Hub's OnConnect reports what Get found of "cart" and "tmp".
type twoHubs struct {
	e     *echo.Echo
	to    atomic.Int32 // 0: hub a, 1: hub b
	room  atomic.Value // string: the room Config.Room gives
	seen  chan [2]any  // OnConnect's c.Get("cart"), c.Get("tmp")
	log   *syncBuffer
	hubs  [2]*liveview.Hub
	where chan int // the Hub that ran "add"
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTwoHubs(t *testing.T, cfg liveview.Config) *twoHubs {
	a := &twoHubs{seen: make(chan [2]any, 16), log: &syncBuffer{}, where: make(chan int, 16)}
	a.room.Store("lobby")
	broker := pubsub.NewMemory()
	t.Cleanup(func() { _ = broker.Close() })
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	var mws [2]echo.MiddlewareFunc
	for i := range a.hubs {
		c := cfg
		c.Broker = broker
		c.Logger = slog.New(slog.NewTextHandler(a.log, nil))
		c.Room = func(echo.Context) (string, error) { return a.room.Load().(string), nil }
		c.OnConnect = func(_ echo.Context, c *liveview.Context) error {
			a.seen <- [2]any{c.Get("cart"), c.Get("tmp")}
			return nil
		}
		h := liveview.New(c)
		h.Handle("add", func(c *liveview.Context) error {
			a.where <- i
			k, _ := c.Get("cart").(cart)
			k.Items = append(k.Items, c.Data("item"))
			c.Set("cart", k)
			c.Set("tmp", "scratch")
			return c.HTML("#n", fmt.Sprint(len(k.Items)))
		})
		h.Handle("big", func(c *liveview.Context) error {
			c.Set("cart", cart{Items: []string{strings.Repeat("x", 5000)}})
			return nil
		})
		h.Handle("bad", func(c *liveview.Context) error {
			c.Set("fn", func() {}) // does not encode to JSON
			return nil
		})
		t.Cleanup(func() { _ = h.Close() })
		a.hubs[i], mws[i] = h, h.Middleware()
	}
	page := doc(`<button id="add" data-liveview-function="add" data-data-item="apple" data-action="page#run">+</button>
<button id="big" data-liveview-function="big" data-action="page#run">big</button>
<button id="bad" data-liveview-function="bad" data-action="page#run">bad</button><p id="n"></p>`)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		ha, hb := mws[0](next), mws[1](next)
		return func(c echo.Context) error {
			if a.to.Load() == 1 {
				return hb(c)
			}
			return ha(c)
		}
	})
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, page) })
	a.e = e
	return a
}

// connected returns what the last OnConnect found.
func (a *twoHubs) connected(t *testing.T) (any, any) {
	t.Helper()
	select {
	case v := <-a.seen:
		return v[0], v[1]
	default:
		t.Fatal("OnConnect did not run")
		return nil, nil
	}
}

// TestKeepValues: a value listed in Config.KeepValues, Set by an event on
// one instance, is in the new connection's values (its type restored)
// before OnConnect runs when the page reconnects to another instance
// sharing the store; a key not listed is not; neither is a value over
// KeepBytes (nor the older one it replaced), one that does not encode, or
// anything for a page in another room.
func TestKeepValues(t *testing.T) {
	cfg := liveview.Config{KeepValues: map[string]any{"cart": cart{}, "fn": nil}}

	t.Run("kept across instances", func(t *testing.T) {
		a := newTwoHubs(t, cfg)
		p := liveviewtest.New(t, a.e).Open("/")
		if c, tmp := a.connected(t); c != nil || tmp != nil {
			t.Fatalf("first connect found %v %v", c, tmp)
		}
		p.Click("#add")
		p.Click("#add")
		if p.Text("#n") != "2" || <-a.where != 0 {
			t.Fatalf("#n %q", p.Text("#n"))
		}
		a.to.Store(1)
		p.Reconnect()
		c, tmp := a.connected(t)
		if k, ok := c.(cart); !ok || len(k.Items) != 2 || k.Items[1] != "apple" || tmp != nil {
			t.Fatalf("after Reconnect to the other Hub: cart %#v, tmp %#v; want the cart, no tmp", c, tmp)
		}
		<-a.where
		p.Click("#add") // on hub b, from the restored cart
		if w := <-a.where; w != 1 || p.Text("#n") != "3" {
			t.Fatalf("on hub %d: #n %q, want 3", w, p.Text("#n"))
		}
		a.to.Store(0)
		p.Reconnect()
		if c, _ := a.connected(t); len(c.(cart).Items) != 3 {
			t.Fatalf("back on hub a: %#v", c)
		}
	})

	t.Run("another page gets nothing", func(t *testing.T) {
		a := newTwoHubs(t, cfg)
		p := liveviewtest.New(t, a.e).Open("/")
		a.connected(t)
		p.Click("#add")
		q := liveviewtest.New(t, a.e).Open("/") // another page: its own secret
		if c, _ := a.connected(t); c != nil {
			t.Fatalf("another page found %#v", c)
		}
		q.Reconnect()
		if c, _ := a.connected(t); c != nil {
			t.Fatalf("another page's reconnect found %#v", c)
		}
	})

	t.Run("another room", func(t *testing.T) {
		a := newTwoHubs(t, cfg)
		p := liveviewtest.New(t, a.e).Open("/")
		a.connected(t)
		p.Click("#add")
		a.room.Store("other")
		a.to.Store(1)
		p.Reconnect()
		if c, _ := a.connected(t); c != nil {
			t.Fatalf("a reconnect into another room found %#v", c)
		}
	})

	t.Run("over KeepBytes", func(t *testing.T) {
		a := newTwoHubs(t, cfg)
		p := liveviewtest.New(t, a.e).Open("/")
		a.connected(t)
		p.Click("#add")
		p.Click("#big") // 5000 bytes: over the default 4 KiB
		a.to.Store(1)
		p.Reconnect()
		if c, _ := a.connected(t); c != nil {
			t.Fatalf("an over-size value (or the older one) was restored: %.80v", c)
		}
		if n := strings.Count(a.log.String(), "over Config.KeepBytes"); n != 1 {
			t.Fatalf("%d log lines about the bound, want 1:\n%s", n, a.log)
		}
	})

	t.Run("does not encode", func(t *testing.T) {
		a := newTwoHubs(t, cfg)
		p := liveviewtest.New(t, a.e).Open("/")
		a.connected(t)
		p.Click("#add")
		p.Click("#bad")
		a.to.Store(1)
		p.Reconnect()
		if c, _ := a.connected(t); len(c.(cart).Items) != 1 {
			t.Fatalf("the cart beside a value that does not encode: %#v", c)
		}
		if !strings.Contains(a.log.String(), "do not encode") {
			t.Fatalf("no log line:\n%s", a.log)
		}
	})

	t.Run("not listed", func(t *testing.T) {
		a := newTwoHubs(t, liveview.Config{})
		p := liveviewtest.New(t, a.e).Open("/")
		a.connected(t)
		p.Click("#add")
		a.to.Store(1)
		p.Reconnect()
		if c, tmp := a.connected(t); c != nil || tmp != nil {
			t.Fatalf("without KeepValues: %#v %#v", c, tmp)
		}
	})
}

// TestKeepValuesHostileSecret: a handshake with a forged (valid-looking,
// unknown) secret, none, a malformed or a huge one is accepted and
// restores nothing; the malformed ones log one bounded line.
func TestKeepValuesHostileSecret(t *testing.T) {
	a := newTwoHubs(t, liveview.Config{KeepValues: map[string]any{"cart": cart{}}})
	p := liveviewtest.New(t, a.e).Open("/")
	a.connected(t)
	p.Click("#add")
	srv := httptest.NewServer(a.e)
	t.Cleanup(srv.Close)
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/liveview/lobby/"
	for _, q := range []string{
		"",
		"?page=AAAAAAAAAAAAAAAAAAAAAA",           // forged: valid, unknown
		"?page=" + strings.Repeat("A", 21) + "!", // malformed
		"?page=" + strings.Repeat("A", 4000),     // huge
		"?page=%00%ff",
		"?page=a&page=b",
	} {
		ws, resp, err := websocket.DefaultDialer.Dial(base+q, nil)
		if err != nil {
			t.Fatalf("%.40q: refused: %v %v", q, err, resp)
		}
		if c, _ := a.connected(t); c != nil {
			t.Errorf("%.40q restored %#v", q, c)
		}
		_ = ws.Close()
	}
	log := a.log.String()
	if n := strings.Count(log, "invalid page secret"); n != 1 {
		t.Errorf("%d lines about invalid secrets, want 1 (bounded):\n%s", n, log)
	}
	if strings.Contains(log, strings.Repeat("A", 100)) {
		t.Errorf("the huge secret reached the log")
	}
}
