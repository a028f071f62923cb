package liveview

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
)

var errRefused = errors.New("refused")

// Trap 6: middleware for some handlers only, without a second Hub.
func TestTrapGroupMiddleware(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	mark := func(name string) MiddlewareFunc {
		return func(next HandlerFunc) HandlerFunc {
			return func(c *Context) error {
				mu.Lock()
				trace = append(trace, name)
				mu.Unlock()
				return next(c)
			}
		}
	}
	requireUser := func(next HandlerFunc) HandlerFunc {
		return func(c *Context) error {
			if c.Get("user") == nil {
				return NewError("Log in first.")
			}
			return next(c)
		}
	}
	handler := func(c *Context) error {
		mu.Lock()
		trace = append(trace, "handler")
		mu.Unlock()
		return c.HTML("#out", c.Function())
	}
	ts := newTestServer(t, Config{
		OnConnect: func(ec echo.Context, lc *Context) error {
			if u := ec.Request().URL.Query().Get("user"); u != "" {
				lc.Set("user", u)
			}
			return nil
		},
	}, func(h *Hub, _ *echo.Echo) {
		h.Use(mark("hub"))
		h.Handle("public", handler)
		h.Handle("own", handler, mark("own1"), mark("own2"))
		members := h.Group(requireUser, mark("members"))
		members.Handle("profile", handler)
		admin := members.Group(mark("admin"))
		admin.Handle("ban", handler, mark("ban"))
		members.Use(mark("members-late")) // after Handle: still applies
		h.Use(mark("hub-late"))
	})
	anon := ts.dial(t, "lobby")
	user := ts.dialURL(t, ts.wsURL("lobby")+"?user=ada")

	tests := []struct {
		name      string
		c         *client
		function  string
		wantFrame string
		wantTrace string
	}{
		{"public, anonymous", anon, "public", `{"target":"#out","html":"public"}`, "hub hub-late handler"},
		{"own middleware, in order", anon, "own", `{"target":"#out","html":"own"}`, "hub hub-late own1 own2 handler"},
		{"group refuses the anonymous", anon, "profile", `{"error":"Log in first.","function":"profile"}`, "hub hub-late"},
		{"subgroup refuses the anonymous", anon, "ban", `{"error":"Log in first.","function":"ban"}`, "hub hub-late"},
		{"group lets the user in", user, "profile", `{"target":"#out","html":"profile"}`, "hub hub-late members members-late handler"},
		{"subgroup and own, in order", user, "ban", `{"target":"#out","html":"ban"}`, "hub hub-late members members-late admin ban handler"},
		{"the user's public call skips the group", user, "public", `{"target":"#out","html":"public"}`, "hub hub-late handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			trace = nil
			mu.Unlock()
			tt.c.t = t
			tt.c.sendEvent(tt.function, "en", nil, nil, false)
			equalJSON(t, tt.c.read(), tt.wantFrame)
			mu.Lock()
			got := strings.Join(trace, " ")
			mu.Unlock()
			if got != tt.wantTrace {
				t.Fatalf("ran %q, want %q", got, tt.wantTrace)
			}
		})
	}
}

func TestTrapGroupRegistration(t *testing.T) {
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	for _, f := range []func(){
		func() { h.Group(nil) },
		func() { h.Group().Use(nil) },
		func() { h.Group().Handle("x", func(*Context) error { return nil }, nil) },
		func() { h.Handle("x", func(*Context) error { return nil }, nil) },
		func() { h.Group().Handle("", func(*Context) error { return nil }) },
	} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.HasPrefix(fmt.Sprint(v), "liveview: ") {
					t.Errorf("panic %v, want a liveview: message", v)
				}
			}()
			f()
		}()
	}
	// A name registered again through another group moves there.
	refuse := func(HandlerFunc) HandlerFunc { return func(*Context) error { return errRefused } }
	g := h.Group(refuse)
	g.Handle("x", func(*Context) error { return nil })
	h.Handle("x", func(*Context) error { return nil })
	fn, _ := h.reg.lookup("x")
	if err := fn(&Context{}); err != nil {
		t.Fatalf("re-registered outside the group, still refused: %v", err)
	}
	// The package-level forms act on the default Hub's handlers.
	Group(refuse).Handle("trap6_default", func(*Context) error { return nil })
	fn, ok := defaultRegistry.lookup("trap6_default")
	if !ok || !errors.Is(fn(&Context{}), errRefused) {
		t.Fatal("package-level Group: middleware not applied")
	}
	Handle("trap6_default_own", func(*Context) error { return nil }, refuse)
	if fn, ok := defaultRegistry.lookup("trap6_default_own"); !ok || !errors.Is(fn(&Context{}), errRefused) {
		t.Fatal("package-level Handle: middleware not applied")
	}
}
