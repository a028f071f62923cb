package liveview

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// TestFlashRedirectEncoding: the flash and redirect keys, with and without
// other keys, and Extra's collision rule for them.
func TestFlashRedirectEncoding(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"flash", Message{Flash: &Flash{Kind: "info", Text: "Saved"}}, `{"flash":{"kind":"info","text":"Saved"}}`},
		{"flash text is any text", Message{Flash: &Flash{Kind: "error", Text: `<b>"x"</b> & é`}}, `{"flash":{"kind":"error","text":"<b>\"x\"</b> & é"}}`},
		{"empty text removes", Message{Flash: &Flash{Kind: "info"}}, `{"flash":{"kind":"info","text":""}}`},
		{"kind with digits and dashes", Message{Flash: &Flash{Kind: "level-2", Text: "x"}}, `{"flash":{"kind":"level-2","text":"x"}}`},
		{"flash with a navigation", Message{Target: "#main", HTML: "<p>2</p>", URL: "/2", Flash: &Flash{Kind: "success", Text: "Moved"}},
			`{"target":"#main","html":"<p>2</p>","url":"/2","flash":{"kind":"success","text":"Moved"}}`},
		{"redirect", Message{Redirect: "/login?next=%2Fa"}, `{"redirect":"/login?next=%2Fa"}`},
		{"flash and redirect", Message{Flash: &Flash{Kind: "info", Text: "Bye"}, Redirect: "https://example.com/"},
			`{"flash":{"kind":"info","text":"Bye"},"redirect":"https://example.com/"}`},
		{"Extra may use the keys when the fields are unset", Message{Extra: map[string]any{"flash": 1, "redirect": "javascript:x"}},
			`{"flash":1,"redirect":"javascript:x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.m.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
	for _, m := range []Message{
		{Flash: &Flash{Kind: "info", Text: "x"}, Extra: map[string]any{"flash": 1}},
		{Redirect: "/a", Extra: map[string]any{"redirect": "/b"}},
	} {
		if _, err := m.MarshalJSON(); err == nil || !strings.Contains(err.Error(), "collides") {
			t.Errorf("%+v: err %v, want a collision", m, err)
		}
	}
}

// TestFlashKind: a kind is 1 to 32 of a-z, 0-9 and "-".
func TestFlashKind(t *testing.T) {
	for kind, ok := range map[string]bool{
		"info": true, "error": true, "x": true, "a-1": true, strings.Repeat("k", 32): true,
		"": false, "Info": false, "a b": false, "a_b": false, "é": false, `x"y`: false,
		strings.Repeat("k", 33): false, "info liveview-flash-error": false,
	} {
		_, err := Message{Flash: &Flash{Kind: kind, Text: "t"}}.MarshalJSON()
		if ok != (err == nil) {
			t.Errorf("kind %q: err %v, want ok=%v", kind, err, ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "liveview: ") {
			t.Errorf("kind %q: error %q without the liveview: prefix", kind, err)
		}
	}
}

// TestRedirectURL: http, https and relative URLs are sent; any other
// scheme, and what a browser would strip before reading one, is refused
// with ErrUnsafeURL.
func TestRedirectURL(t *testing.T) {
	for _, u := range []string{"/login", "?page=2", "#top", "page2", "../up", "https://example.com/a?b=c", "HTTP://example.com", "//cdn.example.com/x", "/a%20b"} {
		if err := checkRedirect(u); err != nil {
			t.Errorf("%q refused: %v", u, err)
		}
	}
	for _, u := range []string{"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>x</script>", "vbscript:x", "mailto:a@example.com",
		"file:///etc/passwd", " javascript:alert(1)", "java\tscript:alert(1)", "\x00javascript:x", "/a b", "http://a\nb", "%zz"} {
		err := checkRedirect(u)
		if !errors.Is(err, ErrUnsafeURL) || !strings.HasPrefix(err.Error(), "liveview: ") {
			t.Errorf("%q: err %v, want one wrapping ErrUnsafeURL", u, err)
		}
		if _, merr := (Message{Redirect: u}).MarshalJSON(); !errors.Is(merr, ErrUnsafeURL) {
			t.Errorf("Message{Redirect: %q}: err %v", u, merr)
		}
	}
}

// TestFlashRedirectHelpers: Context.Flash and Context.Redirect over a real
// WebSocket, their refusals (nothing sent, the handler's error), and a
// Flash published to a room.
func TestFlashRedirectHelpers(t *testing.T) {
	var mu sync.Mutex
	var errs []error
	keep := func(err error) error {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		return nil
	}
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("flash", func(c *Context) error { return c.Flash(c.Data("kind"), c.Data("text")) })
		h.Handle("redirect", func(c *Context) error { return c.Redirect(c.Data("url")) })
		h.Handle("bad_flash", func(c *Context) error { return keep(c.Flash("Bad Kind", "x")) })
		h.Handle("bad_redirect", func(c *Context) error {
			return keep(errors.Join(c.Redirect("javascript:alert(1)"), c.Redirect("")))
		})
		h.Handle("publish", func(c *Context) error {
			return c.Publish("others", Message{Flash: &Flash{Kind: "info", Text: "From " + c.Room()}})
		})
	})
	c := ts.dial(t, "flashes")
	c.send("flash", map[string]any{"kind": "success", "text": "Saved <3"}, nil)
	equalJSON(t, c.read(), `{"flash":{"kind":"success","text":"Saved <3"}}`)
	c.send("redirect", map[string]any{"url": "/done?x=1"}, nil)
	equalJSON(t, c.read(), `{"redirect":"/done?x=1"}`)
	c.send("bad_flash", nil, nil)
	c.send("bad_redirect", nil, nil)
	c.ping("after the refusals") // nothing was sent for them
	mu.Lock()
	if len(errs) != 2 || errs[0] == nil || !errors.Is(errs[1], ErrUnsafeURL) || strings.Count(errs[1].Error(), "liveview: unsafe redirect URL") != 2 {
		t.Errorf("refusals returned %v", errs)
	}
	mu.Unlock()

	other := ts.dial(t, "others")
	other.ping("joined")
	c.send("publish", nil, nil)
	equalJSON(t, other.read(), `{"flash":{"kind":"info","text":"From flashes"}}`)
}

// TestSessionExpired: ErrSessionExpired, wrapped or not, from Config.Room,
// Config.OnConnect, a handler or a middleware closes the connection with
// 4401 "liveview:expired" (a handshake is upgraded first); what the
// handler sent before arrives first; Config.ErrorHandler is not called;
// an expired handshake holds no connection nor client address slot.
func TestSessionExpired(t *testing.T) {
	var mu sync.Mutex
	var handled []error
	disconnected := make(chan struct{}, 16)
	logs := &logRecorder{}
	cfg := Config{
		Logger: logs.logger(),
		Room: func(c echo.Context) (string, error) {
			if c.Request().Header.Get("X-Room-Expired") != "" {
				return "", ErrSessionExpired
			}
			return c.Param("room"), nil
		},
		OnConnect: func(c echo.Context, _ *Context) error {
			switch c.Request().Header.Get("X-Expire") {
			case "plain":
				return ErrSessionExpired
			case "wrapped":
				return fmt.Errorf("token of %s: %w", "ada", ErrSessionExpired)
			case "http":
				return echo.NewHTTPError(http.StatusUnauthorized).SetInternal(ErrSessionExpired)
			case "refused":
				return errors.New("not allowed")
			}
			return nil
		},
		OnDisconnect: func(*Context) { disconnected <- struct{}{} },
		ErrorHandler: func(_ *Context, err error) {
			mu.Lock()
			handled = append(handled, err)
			mu.Unlock()
		},
	}
	setup := func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("expire", func(c *Context) error {
			if err := c.HTML("#before", "sent first"); err != nil {
				return err
			}
			return fmt.Errorf("checking the session: %w", ErrSessionExpired)
		})
		h.Handle("user_error", func(*Context) error { return &Error{Message: "Log in again", Internal: ErrSessionExpired} })
		h.Handle("guarded", echoHandler, func(HandlerFunc) HandlerFunc {
			return func(*Context) error { return ErrSessionExpired }
		})
	}
	wantExpired := func(t *testing.T, c *client) {
		t.Helper()
		if code, reason := closeCode(t, c); code != CloseSessionExpired || reason != "liveview:expired" {
			t.Errorf("close %d %q, want 4401 liveview:expired", code, reason)
		}
	}

	t.Run("handshake", func(t *testing.T) {
		one := cfg
		one.MaxConnsPerIP = 1
		ts := newTestServer(t, one, setup)
		for _, hdr := range []http.Header{
			{"X-Expire": {"plain"}}, {"X-Expire": {"wrapped"}}, {"X-Expire": {"http"}}, {"X-Room-Expired": {"1"}},
		} {
			hdr.Set("Origin", ts.srv.URL)
			wantExpired(t, ts.dialHeader(t, "r", hdr)) // the upgrade completed: a browser can read the code
		}
		// Another error still refuses the handshake.
		ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL("r"), http.Header{"Origin": {ts.srv.URL}, "X-Expire": {"refused"}})
		if err == nil {
			ws.Close()
			t.Fatal("a refused handshake was upgraded")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("refused handshake: %v %v, want 403", resp, err)
		}
		// The expired handshakes hold no connection: with MaxConnsPerIP 1
		// this one is accepted, and no OnDisconnect ran for them.
		ts.dial(t, "r").ping("accepted")
		select {
		case <-disconnected:
			t.Error("OnDisconnect ran for an expired handshake")
		default:
		}
	})
	t.Run("handler, user error, middleware", func(t *testing.T) {
		ts := newTestServer(t, cfg, setup)
		for _, fn := range []string{"expire", "user_error", "guarded"} {
			c := ts.dial(t, "r")
			c.ping("before " + fn)
			c.send(fn, nil, nil)
			if fn == "expire" {
				equalJSON(t, c.read(), `{"target":"#before","html":"sent first"}`)
			}
			wantExpired(t, c)
			<-disconnected // OnDisconnect runs as for any close
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != 0 {
		t.Errorf("ErrorHandler saw %v", handled)
	}
	if !strings.Contains(logs.String(), "session expired, connection closed with 4401") {
		t.Errorf("no log line for the expired connections:\n%s", logs)
	}
}
