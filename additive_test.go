package liveview

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// TestAdditiveHelpers covers the helpers for the additive keys (morph,
// event/eventData) over a real WebSocket.
func TestAdditiveHelpers(t *testing.T) {
	tests := []struct {
		name string
		send func(c *Context) error
		want string
	}{
		{"Morph", func(c *Context) error { return c.Morph("#form", "item.html", "one") },
			`{"target":"#form","html":"<li>one</li>","morph":true}`},
		{"Dispatch", func(c *Context) error { return c.Dispatch("cart:updated", map[string]int{"count": 3}) },
			`{"event":"cart:updated","eventData":{"count":3}}`},
		{"Dispatch nil detail", func(c *Context) error { return c.Dispatch("saved", nil) }, `{"event":"saved"}`},
		{"JS", func(c *Context) error { return c.JS("hide:#spinner; show:#result li:first-child") },
			`{"js":"hide:#spinner; show:#result li:first-child"}`},
	}
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		for i, tt := range tests {
			h.Handle("f"+strconv.Itoa(i), tt.send)
		}
		h.Handle("noname", func(c *Context) error { return c.Dispatch("", 1) })
		h.Handle("badjs", func(c *Context) error {
			for _, js := range []string{"", "hide", "toggel:#a"} {
				if err := c.JS(js); !errors.Is(err, ErrBadJS) {
					return fmt.Errorf("c.JS(%q) = %v, want ErrBadJS", js, err)
				}
			}
			if err := c.Send(Message{Target: "#a", HTML: "x", JS: "add-class:#a"}); !errors.Is(err, ErrBadJS) {
				return fmt.Errorf("Send with a bad JS = %v, want ErrBadJS", err)
			}
			if err := c.Broadcast(Message{JS: "hide"}); !errors.Is(err, ErrBadJS) {
				return fmt.Errorf("Broadcast with a bad JS = %v, want ErrBadJS", err)
			}
			return c.HTML("#ok", "nothing else sent")
		})
	})
	c := ts.dial(t, "additive")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send("f"+strconv.Itoa(i), nil, nil)
			equalJSON(t, c.read(), tt.want)
		})
	}
	c.t = t
	c.send("noname", nil, nil)
	equalJSON(t, c.read(), `{"error":"Handler error","function":"noname"}`)
	// An invalid JS list is refused before anything is sent.
	c.send("badjs", nil, nil)
	equalJSON(t, c.read(), `{"target":"#ok","html":"nothing else sent"}`)
}

// TestRefAnswers checks that an event's ref is answered exactly once, after
// the handler's own frames, and by the error frame when the handler failed.
func TestRefAnswers(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		want  []string // frames in order; the last one is followed by a ping
	}{
		{"no ref, no answer", `{"function":"render"}`, []string{`{"target":"#a","html":"x"}`}},
		{"ref after the handler's frames", `{"function":"render","ref":1}`,
			[]string{`{"target":"#a","html":"x"}`, `{"ref":1}`}},
		{"ref of a silent handler", `{"function":"silent","ref":2}`, []string{`{"ref":2}`}},
		{"ref on the error frame", `{"function":"fail","ref":3}`,
			[]string{`{"error":"Handler error","function":"fail","ref":3}`}},
		{"ref on a user error", `{"function":"userfail","ref":4}`,
			[]string{`{"target":"#a","html":"x"}`, `{"error":"Name is taken","function":"userfail","ref":4}`}},
		{"ref on a panic", `{"function":"boom","ref":5}`,
			[]string{`{"error":"Handler error","function":"boom","ref":5}`}},
		{"ref on an unknown function", `{"function":"nope","ref":6}`,
			[]string{`{"error":"Unknown function: nope","ref":6}`}},
		{"ref cancelled by middleware", `{"function":"blocked","ref":7}`, []string{`{"ref":7}`}},
		{"handler answering its ref itself", `{"function":"selfref","ref":8}`, []string{`{"ref":8}`}},
	}
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("render", func(c *Context) error { return c.HTML("#a", "x") })
		h.Handle("silent", func(*Context) error { return nil })
		h.Handle("fail", func(*Context) error { return errors.New("internal") })
		h.Handle("userfail", func(c *Context) error {
			_ = c.HTML("#a", "x")
			return &Error{Message: "Name is taken"}
		})
		h.Handle("boom", func(*Context) error { panic("kaboom") })
		h.Handle("blocked", echoHandler)
		h.Handle("selfref", func(c *Context) error { return c.Send(Message{Ref: 8}) })
		h.Use(func(next HandlerFunc) HandlerFunc {
			return func(c *Context) error {
				if c.Function() == "blocked" {
					return nil
				}
				return next(c)
			}
		})
	})
	c := ts.dial(t, "refs")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(websocket.TextMessage, []byte(tt.frame))
			for _, want := range tt.want {
				equalJSON(t, c.read(), want)
			}
			// The next frame must be the ping's: nothing else was sent.
			c.ping(strconv.Itoa(i))
		})
	}
}

// TestRefOnRateLimit: an event refused by the rate limit still gets its ref
// back on the error frame.
func TestRefOnRateLimit(t *testing.T) {
	ts := newTestServer(t, Config{RateLimit: 0.001, RateBurst: 1}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
	})
	c := ts.dial(t, "limited")
	c.ping("1")
	b, _ := json.Marshal(map[string]any{"function": "ping", "ref": 9})
	c.sendRaw(websocket.TextMessage, b)
	equalJSON(t, c.read(), `{"error":"Rate limit exceeded","ref":9}`)
}
