package liveview

import (
	"errors"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// TestReply checks Context.Reply on the wire: the ref answer carries the
// reply, once; an event without a ref (an upstream client) cannot get one;
// a value encoding/json refuses sends nothing and the Hub still answers
// the ref.
func TestReply(t *testing.T) {
	errs := make(chan error, 4)
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ask", func(c *Context) error {
			errs <- c.Reply(map[string]any{"n": c.Data("n")})
			errs <- c.Reply("twice")
			return nil
		})
		h.Handle("bad", func(c *Context) error {
			errs <- c.Reply(func() {})
			return nil
		})
	})
	c := ts.dial(t, "r")

	c.sendRaw(websocket.TextMessage, []byte(`{"function":"ask","data":{"n":"4"},"form":{},"ref":3}`))
	equalJSON(t, c.read(), `{"ref":3,"reply":{"n":"4"}}`)
	if err := <-errs; err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if err := <-errs; !errors.Is(err, ErrNoRef) {
		t.Errorf("second Reply: %v, want ErrNoRef", err)
	}

	c.send("ask", map[string]any{"n": "5"}, nil) // no ref
	if err := <-errs; !errors.Is(err, ErrNoRef) {
		t.Errorf("Reply without ref: %v, want ErrNoRef", err)
	}
	<-errs

	c.sendRaw(websocket.TextMessage, []byte(`{"function":"bad","data":{},"form":{},"ref":4}`))
	if err := <-errs; err == nil || errors.Is(err, ErrNoRef) {
		t.Errorf("Reply(func): %v, want an encoding error", err)
	}
	equalJSON(t, c.read(), `{"ref":4}`) // the Hub's own answer
}
