package liveview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview/jsclient"
)

func TestQuickStartRender(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("say_hello", func(c *Context) error {
			return c.Render("#greeting", "greeting.html", c.FormValue("name"))
		})
	})
	c := ts.dial(t, "lobby")
	c.send("say_hello", nil, map[string]any{"name": "Ada <3"})
	equalJSON(t, c.read(), `{"target":"#greeting","html":"<h1>Hello, Ada &lt;3!</h1>"}`)
}

// TestFrames covers every send helper and the frame it produces.
func TestFrames(t *testing.T) {
	tests := []struct {
		name string
		send func(c *Context) error
		want string
	}{
		{"HTML", func(c *Context) error { return c.HTML("#a", "<b>x</b>") }, `{"target":"#a","html":"<b>x</b>"}`},
		{"HTML empty clears", func(c *Context) error { return c.HTML("#a", "") }, `{"target":"#a","html":""}`},
		{"Render", func(c *Context) error { return c.Render("#a", "item.html", "one") }, `{"target":"#a","html":"<li>one</li>"}`},
		{"Append", func(c *Context) error { return c.Append("#list", "item.html", "two") }, `{"target":"#list","html":"<li>two</li>","append":true}`},
		{"Remove", func(c *Context) error { return c.Remove("#item-1") }, `{"target":"#item-1","remove":true}`},
		{"Navigate", func(c *Context) error { return c.Navigate("#main", "/p/ada/", "Ada", "greeting.html", "Ada") },
			`{"target":"#main","html":"<h1>Hello, Ada!</h1>","url":"/p/ada/","title":"Ada"}`},
		{"ScrollTo", func(c *Context) error { return c.ScrollTo("#bottom") }, `{"scroll":"#bottom"}`},
		{"ScrollTop", func(c *Context) error { return c.ScrollTop() }, `{"scrollTop":true}`},
		{"Send extra keys", func(c *Context) error {
			return c.Send(Message{Extra: map[string]any{"event": "saved", "eventData": map[string]int{"id": 7}}})
		}, `{"event":"saved","eventData":{"id":7}}`},
	}
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		for i, tt := range tests {
			h.Handle("f"+strconv.Itoa(i), tt.send)
		}
	})
	c := ts.dial(t, "frames")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send("f"+strconv.Itoa(i), nil, nil)
			equalJSON(t, c.read(), tt.want)
		})
	}
}

func TestContextReadsEvent(t *testing.T) {
	got := make(chan map[string]any, 1)
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("inspect", func(c *Context) error {
			got <- map[string]any{
				"function": c.Function(), "room": c.Room(), "lang": c.Lang(),
				"alert": c.Data("data_alert_id"), "product": c.Data("product_id"),
				"name": c.FormValue("name"), "agree": c.FormValue("agree"), "firstName": c.FormValue("firstName"),
				"ua": c.Request().Header.Get("User-Agent"), "echo": c.Echo() != nil,
				"missing": c.Data("nope") + c.FormValue("nope"),
			}
			return nil
		})
	})
	c := ts.dialHeader(t, "r-1.x_y", http.Header{"Origin": {ts.srv.URL}, "User-Agent": {"tester"}})
	c.send("inspect",
		map[string]any{"dataAlertId": "5", "productId": "9"},
		map[string]any{"name": "Ada", "agree": true, "firstName": "kept as is"})
	select {
	case g := <-got:
		want := map[string]any{"function": "inspect", "room": "r-1.x_y", "lang": "en", "alert": "5", "product": "9",
			"name": "Ada", "agree": "true", "firstName": "kept as is", "ua": "tester", "echo": true, "missing": ""}
		if fmt.Sprint(g) != fmt.Sprint(want) {
			t.Fatalf("got  %v\nwant %v", g, want)
		}
	case <-time.After(readTimeout):
		t.Fatal("handler not called")
	}
}

// TestBadInput sends every kind of bad input; each gets the right error
// frame and the connection, and the others, keep working.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		typ   int
		frame string
		want  string
		debug string // substring of the error text with Config.Debug
	}{
		{"unknown function", websocket.TextMessage, `{"function":"nope"}`, `{"error":"Unknown function: nope"}`, "unknown function"},
		{"handler error", websocket.TextMessage, `{"function":"fail"}`, `{"error":"Handler error","function":"fail"}`, "db password wrong"},
		{"user error", websocket.TextMessage, `{"function":"userfail"}`, `{"error":"Name is taken","function":"userfail"}`, ""},
		{"handler panic", websocket.TextMessage, `{"function":"boom"}`, `{"error":"Handler error","function":"boom"}`, "kaboom"},
		{"bind error", websocket.TextMessage, `{"function":"badbind","form":{"age":"old"}}`, `{"error":"Invalid value: age","function":"badbind"}`, "age"},
		{"render error", websocket.TextMessage, `{"function":"badtemplate"}`, `{"error":"Handler error","function":"badtemplate"}`, "broken.html"},
		{"malformed JSON", websocket.TextMessage, `{"function":`, `{"error":"Invalid message"}`, "bad message"},
		{"not JSON", websocket.TextMessage, `hello`, `{"error":"Invalid message"}`, "not a JSON object"},
		{"JSON array", websocket.TextMessage, `[{"function":"ping"}]`, `{"error":"Invalid message"}`, "not a JSON object"},
		{"JSON string", websocket.TextMessage, `"ping"`, `{"error":"Invalid message"}`, "not a JSON object"},
		{"function not a string", websocket.TextMessage, `{"function":5}`, `{"error":"Invalid message"}`, "bad message"},
		{"data not an object", websocket.TextMessage, `{"function":"ping","data":[1]}`, `{"error":"Invalid message"}`, "bad message"},
		{"missing function", websocket.TextMessage, `{"data":{}}`, `{"error":"Invalid message"}`, "missing"},
		{"binary frame", websocket.BinaryMessage, `{"function":"ping"}`, `{"error":"Invalid message"}`, "binary"},
	}
	setup := func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("fail", func(*Context) error { return errors.New("db password wrong") })
		h.Handle("userfail", func(*Context) error {
			return &Error{Message: "Name is taken", Internal: errors.New("unique violation")}
		})
		h.Handle("boom", func(*Context) error { panic("kaboom") })
		h.Handle("badtemplate", func(c *Context) error { return c.Render("#x", "broken.html", 1) })
		h.Handle("badbind", func(c *Context) error {
			var f struct {
				Age int `form:"age"`
			}
			return c.Bind(&f)
		})
	}
	for _, debug := range []bool{false, true} {
		t.Run("debug="+strconv.FormatBool(debug), func(t *testing.T) {
			logs := &logRecorder{}
			ts := newTestServer(t, Config{Debug: debug, Logger: logs.logger()}, setup)
			bystander := ts.dial(t, "lobby")
			c := ts.dial(t, "lobby")
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c.t, bystander.t = t, t
					c.sendRaw(tt.typ, []byte(tt.frame))
					got := c.read()
					if !debug {
						equalJSON(t, got, tt.want)
					} else if msg, _ := got["error"].(string); !strings.Contains(msg, tt.debug) {
						t.Fatalf("debug error %q does not contain %q", msg, tt.debug)
					}
					if _, leak := got["available_functions"]; leak {
						t.Fatal("handler names leaked")
					}
					c.ping(strconv.Itoa(i))
					bystander.ping(strconv.Itoa(i))
				})
			}
			if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "stack=") {
				t.Error("panic not logged with its stack")
			}
		})
	}
}

func TestOversizedFrameCloses1009(t *testing.T) {
	ts := newTestServer(t, Config{MaxMessageSize: 1024}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	bystander := ts.dial(t, "lobby")
	c := ts.dial(t, "lobby")
	c.ping("small")
	c.send("ping", map[string]any{"n": strings.Repeat("x", 2000)}, nil)
	err := c.readError()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("want close 1009, got %v", err)
	}
	bystander.ping("alive")
	ts.dial(t, "lobby").ping("new connection")
}

func TestHandshakeRefusals(t *testing.T) {
	ts := newTestServer(t, Config{AllowedOrigins: []string{"https://app.example.com"}}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
	})
	tests := []struct {
		name   string
		path   string
		origin string
		status int // 101 means accepted
	}{
		{"same origin", "/ws/liveview/lobby/", ts.srv.URL, 101},
		{"no trailing slash", "/ws/liveview/lobby", ts.srv.URL, 101},
		{"no origin (non-browser)", "/ws/liveview/lobby/", "", 101},
		{"allowed origin", "/ws/liveview/lobby/", "https://app.example.com", 101},
		{"foreign origin", "/ws/liveview/lobby/", "https://evil.example", 403},
		{"origin with other port", "/ws/liveview/lobby/", "http://127.0.0.1:1", 403},
		{"garbage origin", "/ws/liveview/lobby/", "::", 403},
		{"invalid room", "/ws/liveview/a%20b/", ts.srv.URL, 400},
		{"room too long", "/ws/liveview/" + strings.Repeat("a", 101) + "/", ts.srv.URL, 400},
		{"room with unicode", "/ws/liveview/caf%C3%A9/", ts.srv.URL, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			u := "ws" + strings.TrimPrefix(ts.srv.URL, "http") + tt.path
			ws, resp, err := websocket.DefaultDialer.Dial(u, h)
			if tt.status == 101 {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				c := &client{t: t, ws: ws}
				c.ping("ok")
				ws.Close()
				return
			}
			if err == nil {
				ws.Close()
				t.Fatal("handshake accepted")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("want status %d, got %v (%v)", tt.status, resp, err)
			}
		})
	}
	// The server lives on.
	ts.dial(t, "lobby").ping("after")
}

func TestPassThroughAndScript(t *testing.T) {
	ts := newTestServer(t, Config{}, nil)
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/hello", 200, "app"},
		{"/ws/liveview/", 404, ""},              // no room: not ours, the app has no route
		{"/ws/liveview/a/b/", 404, ""},          // two segments: not ours
		{"/static/liveview/other.css", 404, ""}, // the app's own static files pass through
		{"/static/liveview/liveview.min.js", 200, ""},
		{"/static/liveview/liveview.js", 200, ""},
		{ts.hub.ScriptURL(), 200, ""},
		{"/static/liveview/liveview.esm.js", 200, ""},
		// The upload chunk, by the name the client loads it with.
		{"/static/liveview/" + jsclient.UploadsHashedName(), 200, ""},
		{"/static/liveview/liveview.uploads.js", 200, ""},
		{"/static/liveview/liveview.uploads.min.js", 200, ""},
		{"/static/liveview/liveview.uploads.000000000000.js", 404, ""},
		{"/static/liveview/x/liveview.min.js", 404, ""},
		{"/ws/liveview/lobby/", 426, ""}, // a plain GET on the endpoint is not an upgrade: the client's probe
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(ts.srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, b)
			}
			if tt.body != "" && string(b) != tt.body {
				t.Fatalf("body %q", b)
			}
			if strings.HasSuffix(tt.path, ".js") && resp.StatusCode == 200 && len(b) < 1000 {
				t.Fatalf("script too small: %d bytes", len(b))
			}
		})
	}
}

func TestRoomFunc(t *testing.T) {
	rooms := make(chan string, 4)
	ts := newTestServer(t, Config{
		Room: func(c echo.Context) (string, error) {
			switch c.Param("room") {
			case "deny":
				return "", errors.New("no")
			case "teapot":
				return "", echo.NewHTTPError(http.StatusTeapot)
			}
			return "user-" + c.Request().Header.Get("X-User"), nil
		},
	}, func(h *Hub, _ *echo.Echo) {
		h.Handle("where", func(c *Context) error { rooms <- c.Room(); return nil })
	})
	c := ts.dialHeader(t, "anything", http.Header{"X-User": {"42"}})
	c.send("where", nil, nil) // the JSON "room" the client sends is ignored
	if r := <-rooms; r != "user-42" {
		t.Fatalf("room %q", r)
	}
	for seg, status := range map[string]int{"deny": 403, "teapot": 418} {
		_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(seg), nil)
		if err == nil || resp == nil || resp.StatusCode != status {
			t.Fatalf("%s: want %d, got %v %v", seg, status, resp, err)
		}
	}
}

func TestBroadcastAndPublish(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("shout", func(c *Context) error { return c.Broadcast(Message{Target: "#news", HTML: c.Data("text")}) })
		h.Handle("tell", func(c *Context) error {
			return c.Publish(c.Data("to"), Message{Target: "#inbox", HTML: c.Data("text")})
		})
	})
	a1, a2, b := ts.dial(t, "room-a"), ts.dial(t, "room-a"), ts.dial(t, "room-b")

	// Broadcast reaches every room, the sender included.
	b.send("shout", map[string]any{"text": "hi all"}, nil)
	for _, c := range []*client{a1, a2, b} {
		equalJSON(t, c.read(), `{"target":"#news","html":"hi all"}`)
	}
	// Publish reaches only its room, the sender included if it is in it.
	a1.send("tell", map[string]any{"to": "room-a", "text": "psst"}, nil)
	for _, c := range []*client{a1, a2} {
		equalJSON(t, c.read(), `{"target":"#inbox","html":"psst"}`)
	}
	// b got nothing: its next frame is its own ping answer.
	b.ping("marker")

	// From outside any handler, e.g. a background job.
	if err := ts.hub.Publish(context.Background(), "room-b", Message{Target: "#job", HTML: "done"}); err != nil {
		t.Fatal(err)
	}
	equalJSON(t, b.read(), `{"target":"#job","html":"done"}`)
	a1.ping("marker")
	if err := ts.hub.Publish(context.Background(), "", Message{}); !errors.Is(err, ErrInvalidRoom) {
		t.Fatalf("empty room: %v", err)
	}
}

// TestOrdering sends 300 events back to back; the answers come back in order.
func TestOrdering(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	c := ts.dial(t, "lobby")
	const n = 300
	for i := range n {
		c.send("ping", map[string]any{"n": strconv.Itoa(i)}, nil)
	}
	for i := range n {
		if got := c.read()["html"]; got != strconv.Itoa(i) {
			t.Fatalf("answer %d: got %v", i, got)
		}
	}
}

// TestManyClients runs 50 clients x 100 events concurrently, each handler
// also broadcasting, under -race.
func TestManyClients(t *testing.T) {
	const clients, events = 50, 100
	onConnect := func(_ echo.Context, lc *Context) error { lc.Set("count", 0); return nil }
	ts := newTestServer(t, Config{OnConnect: onConnect}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", func(c *Context) error {
			c.Set("count", c.Get("count").(int)+1)
			return c.HTML("#pong", c.Data("n")+"/"+strconv.Itoa(c.Get("count").(int)))
		})
	})
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		c := ts.dial(t, "room-"+strconv.Itoa(i%5))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range events {
				b := fmt.Sprintf(`{"function":"ping","data":{"n":"%d"}}`, j)
				if err := c.ws.WriteMessage(websocket.TextMessage, []byte(b)); err != nil {
					errs <- err
					return
				}
			}
			for j := range events {
				m, err := c.tryRead()
				if err != nil {
					errs <- err
					return
				}
				if want := fmt.Sprintf("%d/%d", j, j+1); m["html"] != want {
					errs <- fmt.Errorf("client %d: got %v, want %s", i, m["html"], want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAsyncSend keeps the Context after the handler returned and sends from
// a goroutine, Django's thread-then-send pattern.
func TestAsyncSend(t *testing.T) {
	kept := make(chan *Context, 1)
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("later", func(c *Context) error {
			go func() {
				_ = c.HTML("#status", "working")
				kept <- c
			}()
			return nil
		})
	})
	c := ts.dial(t, "lobby")
	c.send("later", nil, nil)
	equalJSON(t, c.read(), `{"target":"#status","html":"working"}`)
	lc := <-kept
	if err := lc.HTML("#status", "done"); err != nil {
		t.Fatal(err)
	}
	equalJSON(t, c.read(), `{"target":"#status","html":"done"}`)
	c.ws.Close()
	select {
	case <-lc.Context().Done():
	case <-time.After(readTimeout):
		t.Fatal("Context not cancelled after close")
	}
	if err := lc.HTML("#status", "gone"); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

func TestMiddlewareOrderAndCancel(t *testing.T) {
	var (
		mu    sync.Mutex
		order []string
	)
	record := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		for _, name := range []string{"first", "second"} {
			h.Use(func(next HandlerFunc) HandlerFunc {
				return func(c *Context) error {
					record(name)
					if c.Data("deny") == name {
						return c.HTML("#msg", "denied by "+name)
					}
					return next(c)
				}
			})
		}
		h.Handle("ping", func(c *Context) error { record("handler"); return echoHandler(c) })
	})
	c := ts.dial(t, "lobby")
	c.ping("1")
	c.send("ping", map[string]any{"deny": "first"}, nil)
	equalJSON(t, c.read(), `{"target":"#msg","html":"denied by first"}`)
	c.send("ping", map[string]any{"deny": "second"}, nil)
	equalJSON(t, c.read(), `{"target":"#msg","html":"denied by second"}`)
	want := "first second handler first first second"
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
}

func TestHandleReplaces(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", func(c *Context) error { return c.HTML("#old", "") })
		h.Handle("ping", echoHandler)
	})
	ts.dial(t, "lobby").ping("new")
}

// TestSlowClientIsClosed: a client that stops reading is disconnected once
// its queue stays full; the sender learns it and other clients are
// unaffected.
func TestSlowClientIsClosed(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	for _, tt := range []struct {
		name  string
		flood func(h *Hub, c *Context) error
		want  []error
	}{
		// A Context send waits for room, then gives up: backpressure first.
		{"context send", func(_ *Hub, c *Context) error { return c.HTML("#big", big) }, []error{ErrSlowClient, ErrConnClosed}},
		// Fan-out never waits: the publisher is never held up by a client.
		{"publish", func(h *Hub, c *Context) error {
			if err := h.Publish(context.Background(), c.Room(), Message{Target: "#big", HTML: big}); err != nil {
				return err
			}
			if c.Context().Err() != nil {
				return ErrConnClosed
			}
			return nil
		}, []error{ErrConnClosed}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logRecorder{}
			sendErr := make(chan error, 1)
			var ts *testServer
			ts = newTestServer(t, Config{SendQueueBytes: 256 << 10, WriteTimeout: 300 * time.Millisecond, Logger: logs.logger()}, func(h *Hub, _ *echo.Echo) {
				h.Handle("ping", echoHandler)
				h.Handle("flood", func(c *Context) error {
					go func() {
						// Socket buffers absorb a few MB first; 256 MB cannot fit.
						for range 4096 {
							if err := tt.flood(ts.hub, c); err != nil {
								sendErr <- err
								return
							}
						}
						sendErr <- nil
					}()
					return nil
				})
			})
			other := ts.dial(t, "other-room")
			slow := ts.dial(t, "slow-room")
			slow.send("flood", nil, nil) // and never read again
			select {
			case err := <-sendErr:
				ok := false
				for _, w := range tt.want {
					ok = ok || errors.Is(err, w)
				}
				if !ok {
					t.Fatalf("sender got %v, want one of %v", err, tt.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("slow client never detected")
			}
			other.ping("unaffected")
			if !strings.Contains(logs.String(), "closing slow connection") {
				t.Fatalf("closing not logged:\n%s", logs.String())
			}
			if err := slow.readError(); err == nil {
				t.Fatal("slow client still open")
			}
		})
	}
}

// TestBackpressure: a handler sending far more frames than the queue holds
// to a client that does read gets them all through, in order, without a
// disconnect: Context sends wait for room instead of failing.
func TestBackpressure(t *testing.T) {
	const n = 2000
	ts := newTestServer(t, Config{SendQueueBytes: 64}, func(h *Hub, _ *echo.Echo) {
		h.Handle("stream", func(c *Context) error {
			for i := range n {
				if err := c.HTML("#n", strconv.Itoa(i)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	c := ts.dial(t, "lobby")
	c.send("stream", nil, nil)
	for i := range n {
		if got := c.read()["html"]; got != strconv.Itoa(i) {
			t.Fatalf("frame %d: got %v", i, got)
		}
	}
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{RateLimit: 1, RateBurst: 3}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	c := ts.dial(t, "lobby")
	for i := range 3 {
		c.ping(strconv.Itoa(i))
	}
	c.send("ping", map[string]any{"n": "x"}, nil)
	equalJSON(t, c.read(), `{"error":"Rate limit exceeded"}`)
}

func TestOnConnectAndDisconnect(t *testing.T) {
	disconnected := make(chan string, 1)
	ts := newTestServer(t, Config{
		OnConnect: func(c echo.Context, lc *Context) error {
			user := c.Request().Header.Get("X-User")
			if user == "" {
				return echo.NewHTTPError(http.StatusUnauthorized, "login first")
			}
			lc.Set("user", user)
			return nil
		},
		OnDisconnect: func(lc *Context) { disconnected <- lc.Get("user").(string) },
	}, func(h *Hub, _ *echo.Echo) {
		h.Handle("whoami", func(c *Context) error { return c.HTML("#me", c.Get("user").(string)) })
	})
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL("lobby"), nil)
	if err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401, got %v %v", resp, err)
	}
	c := ts.dialHeader(t, "lobby", http.Header{"X-User": {"ada"}})
	c.send("whoami", nil, nil)
	equalJSON(t, c.read(), `{"target":"#me","html":"ada"}`)
	c.ws.Close()
	select {
	case u := <-disconnected:
		if u != "ada" {
			t.Fatalf("OnDisconnect saw %q", u)
		}
	case <-time.After(readTimeout):
		t.Fatal("OnDisconnect not called")
	}
}

func TestNoRenderer(t *testing.T) {
	errc := make(chan error, 1)
	ts := newTestServer(t, Config{}, func(h *Hub, e *echo.Echo) {
		h.Handle("render", func(c *Context) error {
			err := c.Render("#x", "greeting.html", "x")
			errc <- err
			return err
		})
	})
	ts.e.Renderer = nil
	c := ts.dial(t, "lobby")
	c.send("render", nil, nil)
	if err := <-errc; !errors.Is(err, ErrNoRenderer) {
		t.Fatalf("got %v", err)
	}
	equalJSON(t, c.read(), `{"error":"Handler error","function":"render"}`)
}

func TestShutdown(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	cs := []*client{ts.dial(t, "a"), ts.dial(t, "b")}
	cs[0].ping("1")
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := ts.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if err := c.readError(); !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
			t.Fatalf("want 1012, got %v", err)
		}
	}
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL("a"), nil)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after shutdown: %v %v", resp, err)
	}
	if err := ts.hub.Broadcast(context.Background(), Message{}); !errors.Is(err, ErrHubClosed) {
		t.Fatalf("broadcast after shutdown: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, p := range []string{"/ws/liveview/", "ws/:room/", "/ws/x:room/", "/ws/:room/:other/", "/ws/:roomy/"} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.HasPrefix(fmt.Sprint(v), "liveview: ") {
					t.Errorf("Path %q: want liveview: panic, got %v", p, v)
				}
			}()
			New(Config{Path: p})
		}()
	}
	h := New(Config{Path: "/live/:room"})
	for path, want := range map[string]string{"/live/x": "x", "/live/x/": "x"} {
		if seg, ok := h.matchWS(path); !ok || seg != want {
			t.Errorf("%s: %q %v", path, seg, ok)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultHub(t *testing.T) {
	if Default() == nil {
		if err := Publish(context.Background(), "x", Message{}); !errors.Is(err, ErrNotMounted) {
			t.Fatalf("before Plugin: %v", err)
		}
	}
	Handle("default_ping", echoHandler)
	e := echo.New()
	mw := PluginWithConfig(Config{Logger: discardLogger()})
	h := Default()
	t.Cleanup(func() { h.Close() })
	e.Use(mw)
	if _, ok := h.reg.lookup("default_ping"); !ok {
		t.Fatal("package-level Handle not seen by the default hub")
	}
	if err := Broadcast(context.Background(), Message{HTML: "x"}); err != nil {
		t.Fatal(err)
	}
}

func TestNewRoomID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := NewRoomID()
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" || !ValidRoom(id) || seen[id] {
			t.Fatalf("bad room id %q", id)
		}
		seen[id] = true
	}
}

func TestSignedRooms(t *testing.T) {
	rooms := make(chan string, 1)
	ts := newTestServer(t, Config{RoomSecret: []byte("0123456789abcdef0123456789abcdef")}, func(h *Hub, _ *echo.Echo) {
		h.Handle("where", func(c *Context) error { rooms <- c.Room(); return nil })
	})
	signed := ts.hub.SignRoom("order-17.a")
	c := ts.dial(t, signed)
	c.send("where", nil, nil)
	if r := <-rooms; r != "order-17.a" {
		t.Fatalf("room %q", r)
	}
	other := New(Config{RoomSecret: []byte("another secret, another app....."), Logger: discardLogger()})
	defer other.Close()
	for _, seg := range []string{
		"order-17.a", // unsigned
		"order-18.a" + signed[len("order-17.a"):], // signature of another room
		other.SignRoom("order-17.a"),              // another secret
		tamper(signed),                            // tampered
		signed + "x",                              // too long a signature
	} {
		_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(seg), nil)
		if err == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: want 403, got %v %v", seg, resp, err)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("SignRoom of an invalid room must panic")
			}
		}()
		ts.hub.SignRoom("a b")
	}()
}

// tamper changes the last character of s.
func tamper(s string) string {
	last := "A"
	if strings.HasSuffix(s, "A") {
		last = "B"
	}
	return s[:len(s)-1] + last
}

// TestPublishDuringHandshake publishes without pause while clients connect:
// frames that arrive between joining the room and the end of the upgrade
// are held and delivered first, and every client receives the stream from
// the moment its socket is open.
func TestPublishDuringHandshake(t *testing.T) {
	ts := newTestServer(t, Config{}, nil)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = ts.hub.Publish(context.Background(), "busy", Message{Target: "#n", HTML: strconv.Itoa(i)})
			if i%64 == 0 {
				time.Sleep(time.Millisecond) // let the clients drain
			}
		}
	}()
	for range 30 {
		c := ts.dial(t, "busy")
		prev := -1
		for range 5 {
			n, err := strconv.Atoi(c.read()["html"].(string))
			if err != nil || n <= prev {
				t.Fatalf("frame %d after %d: out of order (%v)", n, prev, err)
			}
			prev = n
		}
		c.ws.Close()
	}
	close(stop)
	<-done
}
