package liveview

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// announce is the handler of the burst tests: every event broadcasts one
// frame carrying the event's n, as the demo's and chat's "announce" do.
func announce(c *Context) error {
	return c.Broadcast(Message{Target: "#news", HTML: "<p>announcement " + c.Data("n") + "</p>", Append: true})
}

// readN reads n frames from c and checks they are the announcements 0..n-1
// in order.
func readN(c *client, n int) error {
	for i := range n {
		m, err := c.tryRead()
		if err != nil {
			return fmt.Errorf("frame %d of %d: %w", i, n, err)
		}
		if want := "<p>announcement " + strconv.Itoa(i) + "</p>"; m["html"] != want {
			return fmt.Errorf("frame %d: got %v, want %q", i, m["html"], want)
		}
	}
	return nil
}

// readRawN is readN without decoding: it checks that frame i carries
// "announcement i<", cheaply enough for big frames under -race.
func readRawN(c *client, n int) error {
	for i := range n {
		c.ws.SetReadDeadline(time.Now().Add(readTimeout))
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("frame %d of %d: %w", i, n, err)
		}
		if want := "announcement " + strconv.Itoa(i) + "<"; !strings.Contains(string(b), want) {
			return fmt.Errorf("frame %d: %.80s..., want %q", i, b, want)
		}
	}
	return nil
}

// burst sends n announce events from c back to back, without reading.
func burst(c *client, n int) error {
	for i := range n {
		b := `{"function":"announce","data":{"n":"` + strconv.Itoa(i) + `"}}`
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte(b)); err != nil {
			return err
		}
	}
	return nil
}

// TestBurstDoesNotDropReaders is the attack of issue 10: one client sends
// a burst of broadcast-producing events as fast as it can while 50 others
// read normally. No reader may be disconnected; each gets every frame, in
// order. Default Config: the rate limit's burst (500) lets them all in.
func TestBurstDoesNotDropReaders(t *testing.T) {
	const readers, n = 50, 500
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger()}, func(h *Hub, _ *echo.Echo) {
		h.Handle("announce", announce)
	})
	var clients []*client
	for range readers {
		clients = append(clients, ts.dial(t, "lobby"))
	}
	attacker := ts.dial(t, "lobby")
	errs := make(chan error, readers+2)
	var wg sync.WaitGroup
	for i, c := range append(clients, attacker) { // the sender is a reader too
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readN(c, n); err != nil {
				errs <- fmt.Errorf("reader %d: %w", i, err)
			}
		}()
	}
	if err := burst(attacker, n); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if strings.Contains(logs.String(), "slow connection") {
		t.Errorf("a healthy reader was closed:\n%s", logs.String())
	}
}

// TestStalledReaderIsDropped: a client that stops reading is disconnected
// once it is behind (its backlog passes Config.SendQueueBytes, or a write to
// it makes no progress for Config.WriteTimeout, whichever comes first),
// while a steady stream of broadcasts goes on, and every other reader gets
// every frame in order, with no disconnect.
func TestStalledReaderIsDropped(t *testing.T) {
	const readers = 10
	const budget = 1 << 20
	logs := &logRecorder{}
	dropped := make(chan struct{})
	var stalledConn *Context
	var mu sync.Mutex
	ts := newTestServer(t, Config{
		Logger: logs.logger(), SendQueueBytes: budget, WriteTimeout: 2 * time.Second,
		OnConnect: func(c echo.Context, lc *Context) error {
			if c.QueryParam("stalled") != "" {
				mu.Lock()
				stalledConn = lc
				mu.Unlock()
			}
			return nil
		},
		OnDisconnect: func(lc *Context) {
			mu.Lock()
			defer mu.Unlock()
			if lc.conn == stalledConn.conn {
				close(dropped)
			}
		},
	}, nil)
	var clients []*client
	for range readers {
		clients = append(clients, ts.dial(t, "lobby"))
	}
	// Never reads. (Reading what the kernel buffered for it would take
	// minutes through its small window, so the test checks the server side:
	// OnDisconnect ran, and the log line.)
	ts.dialSmallBuffer(t, "lobby/?stalled=1")
	errs := make(chan error, readers)
	counts := make([]int, readers)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				c.ws.SetReadDeadline(time.Now().Add(readTimeout))
				_, b, err := c.ws.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("reader %d after %d frames: %w", i, n, err)
					return
				}
				if strings.Contains(string(b), `"html":"end"`) {
					counts[i] = n
					return
				}
				if want := `"html":"` + strconv.Itoa(n) + `"`; !strings.Contains(string(b), want) {
					errs <- fmt.Errorf("reader %d: frame %.40s..., want %s", i, b, want)
					return
				}
			}
		}()
	}
	// 8 KiB frames at about 4 MB/s until the stalled client is dropped:
	// it fills the kernel's socket buffers, then its backlog.
	start := time.Now()
	pad := map[string]any{"pad": strings.Repeat("x", 8<<10)}
	sent := 0
	for ; sent < 20000; sent++ {
		select {
		case <-dropped:
		default:
			if err := ts.hub.Broadcast(context.Background(), Message{Target: "#n", HTML: strconv.Itoa(sent), Extra: pad}); err != nil {
				t.Fatal(err)
			}
			if sent%8 == 7 {
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		break
	}
	elapsed := time.Since(start)
	if err := ts.hub.Broadcast(context.Background(), Message{Target: "#n", HTML: "end"}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, n := range counts {
		if n != sent {
			t.Errorf("reader %d got %d frames, want %d", i, n, sent)
		}
	}
	select {
	case <-dropped:
	default:
		t.Fatalf("stalled client not dropped after %d frames (%d MB) in %v", sent, sent*8/1024, elapsed)
	}
	t.Logf("stalled client dropped after %d frames of 8 KiB (%.1f MB) in %v", sent, float64(sent)*8/1024, elapsed)
	if got := strings.Count(logs.String(), "closing slow connection"); got != 1 {
		t.Errorf("%d slow-connection lines, want 1 (the stalled client):\n%s", got, logs.String())
	}
}

// dialSmallBuffer connects with a 4 KiB socket receive buffer, so that a
// client that stops reading is behind after a few frames instead of after
// the megabytes loopback buffers take by default.
func (ts *testServer) dialSmallBuffer(t testing.TB, room string) *client {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var nd net.Dialer
		conn, err := nd.DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4 << 10)
		}
		return conn, err
	}, HandshakeTimeout: readTimeout}
	ws, _, err := d.Dial(ts.wsURL(room), map[string][]string{"Origin": {ts.srv.URL}})
	if err != nil {
		t.Fatalf("dial %s: %v", room, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

// TestPublishLimit: one connection's events may publish
// Config.PublishBurst bytes at once; beyond, Broadcast and Publish return
// ErrRateLimited, the client gets a "Rate limit exceeded" frame, readers get
// exactly what was published, and Hub.Broadcast is not limited.
func TestPublishLimit(t *testing.T) {
	const frame = 1 << 10 // about 1 KiB per broadcast
	ts := newTestServer(t, Config{PublishLimit: 1, PublishBurst: 10 * frame}, func(h *Hub, _ *echo.Echo) {
		h.Handle("big", func(c *Context) error {
			return c.Broadcast(Message{Target: "#n", HTML: c.Data("n") + strings.Repeat("x", frame-40)})
		})
		h.Handle("tell", func(c *Context) error {
			return c.Publish(c.Room(), Message{Target: "#n", HTML: strings.Repeat("t", frame)})
		})
	})
	reader := ts.dial(t, "lobby")
	sender := ts.dial(t, "other")
	for i := range 20 {
		sender.send("big", map[string]any{"n": strconv.Itoa(i)}, nil)
	}
	var published, limited int
	for range 20 {
		m := sender.read()
		switch {
		case m["error"] == "Rate limit exceeded":
			limited++
		case m["target"] == "#n":
			published++
		default:
			t.Fatalf("unexpected frame %v", m)
		}
	}
	if published == 0 || published > 10 || limited != 20-published {
		t.Fatalf("published %d, limited %d: want at most 10 published, the rest limited", published, limited)
	}
	for i := range published {
		if got := reader.read()["html"].(string); !strings.HasPrefix(got, strconv.Itoa(i)+"x") {
			t.Fatalf("reader frame %d: %.10s", i, got)
		}
	}
	// The budget is spent for Publish too, but not for the Hub's own sends.
	sender.send("tell", nil, nil)
	if m := sender.read(); m["error"] != "Rate limit exceeded" {
		t.Fatalf("publish after the budget: %v", m)
	}
	if err := ts.hub.Broadcast(context.Background(), Message{Target: "#job", HTML: strings.Repeat("y", 20*frame)}); err != nil {
		t.Fatalf("Hub.Broadcast: %v", err)
	}
	if m := reader.read(); m["target"] != "#job" {
		t.Fatalf("reader: %v", m)
	}
}

// BenchmarkBurstReaders measures the largest burst one connection can make
// without a healthy reader being dropped (the closing note of issue 10):
// each size is a burst of announce events with the publish limit off, the
// default SendQueueBytes and 50 readers; "dropped" reports how many readers
// were disconnected.
//
//	go test -run '^$' -bench BurstReaders -benchtime 1x .
func BenchmarkBurstReaders(b *testing.B) {
	for _, n := range []int{500, 2000, 10000, 50000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				ts := newTestServer(b, Config{RateLimit: -1, PublishLimit: -1}, func(h *Hub, _ *echo.Echo) {
					h.Handle("announce", announce)
				})
				var clients []*client
				for range 50 {
					clients = append(clients, ts.dial(b, "lobby"))
				}
				attacker := ts.dial(b, "lobby")
				var dropped sync.WaitGroup
				var mu sync.Mutex
				lost := 0
				for _, c := range append(clients, attacker) {
					dropped.Add(1)
					go func() {
						defer dropped.Done()
						if err := readRawN(c, n); err != nil {
							mu.Lock()
							lost++
							mu.Unlock()
						}
					}()
				}
				if err := burst(attacker, n); err != nil {
					b.Fatal(err)
				}
				dropped.Wait()
				b.ReportMetric(float64(lost), "dropped")
			}
		})
	}
}
