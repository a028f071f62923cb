package liveview

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// TestHTTPServerTimeoutsSpareWebSockets backs what the README says about
// http.Server timeouts: ReadTimeout and WriteTimeout (and ReadHeaderTimeout
// and IdleTimeout) never end an established WebSocket, because Hijack
// clears the connection's deadlines (net/http) and the upgrader clears them
// again (gorilla/websocket); from then on only melody's deadlines apply.
// Before the upgrade, WriteTimeout still runs: a handshake slower than it
// upgrades fine, but its refusal can no longer be written.
func TestHTTPServerTimeoutsSpareWebSockets(t *testing.T) {
	// timeout is short, but only the header read of a handshake must fit in
	// it; every sleep below is a lower bound.
	const timeout = 500 * time.Millisecond
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	h := New(Config{
		Logger: discardLogger(),
		OnConnect: func(c echo.Context, _ *Context) error {
			if c.Request().Header.Get("X-Slow") != "" {
				time.Sleep(2 * timeout)
			}
			if c.Request().Header.Get("X-Refuse") != "" {
				return echo.NewHTTPError(http.StatusForbidden, "refused")
			}
			return nil
		},
	})
	h.Handle("ping", echoHandler)
	e.Use(h.Middleware())
	srv := httptest.NewUnstartedServer(e)
	srv.Config.ReadTimeout = timeout
	srv.Config.WriteTimeout = timeout
	srv.Config.ReadHeaderTimeout = timeout
	srv.Config.IdleTimeout = timeout
	srv.Start()
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("hub close: %v", err)
		}
		srv.Close()
	})
	ts := &testServer{hub: h, srv: srv, e: e}

	t.Run("established socket outlives every timeout", func(t *testing.T) {
		t.Parallel()
		c := ts.dial(t, "lobby")
		c.ping("1")
		time.Sleep(3 * timeout) // every deadline would have passed
		c.ping("2")             // the server reads and writes
		if err := h.Publish(context.Background(), "lobby", Message{Target: "#p", HTML: "pushed"}); err != nil {
			t.Fatal(err)
		}
		if m := c.read(); m["html"] != "pushed" {
			t.Fatalf("got %v", m)
		}
	})
	t.Run("handshake slower than WriteTimeout still upgrades", func(t *testing.T) {
		t.Parallel()
		c := ts.dialHeader(t, "lobby2", http.Header{"Origin": {srv.URL}, "X-Slow": {"1"}})
		c.ping("3")
	})
	t.Run("refusal after WriteTimeout is lost", func(t *testing.T) {
		t.Parallel()
		ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL("lobby"), http.Header{"Origin": {srv.URL}, "X-Slow": {"1"}, "X-Refuse": {"1"}})
		if err == nil {
			ws.Close()
			t.Fatal("the socket opened")
		}
		if resp != nil {
			t.Fatalf("the client got an answer (%d) after WriteTimeout: the README says it cannot", resp.StatusCode)
		}
	})
}
