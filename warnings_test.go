package liveview

import (
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// Trap 9: an app without e.Renderer hears about it at the first
// connection, not at the first render.
func TestTrapNoRendererWarning(t *testing.T) {
	const warning = "e.Renderer is not set"
	tests := []struct {
		name     string
		renderer echo.Renderer
		want     int
	}{
		{"no renderer: one warning", nil, 1},
		{"renderer: none", testTemplates, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logRecorder
			ts := newTestServer(t, Config{Logger: logs.logger()}, func(h *Hub, e *echo.Echo) {
				e.Renderer = tt.renderer
				h.Handle("ping", echoHandler)
			})
			for range 2 {
				c := ts.dial(t, "lobby")
				c.ping("1") // the handshake, and so the warning, is over
			}
			if n := strings.Count(logs.String(), warning); n != tt.want {
				t.Fatalf("%d warnings, want %d:\n%s", n, tt.want, logs.String())
			}
		})
	}
}

// Trap 9: an unknown function's log line suggests the registered name that
// was probably meant; the client never learns it.
func TestTrapUnknownFunctionSuggestion(t *testing.T) {
	tests := []struct {
		sent, want string // want "" for no suggestion
	}{
		{"say_helo", "say_hello"},
		{"sayHello", "say_hello"},
		{"say-hello", "say_hello"},
		{"delete_coment", "delete_comment"},
		{"load_more_post", "load_more_posts"},
		{"zzz", ""},
		{"delete", ""},
	}
	var logs logRecorder
	ts := newTestServer(t, Config{Logger: logs.logger()}, func(h *Hub, _ *echo.Echo) {
		for _, n := range []string{"say_hello", "delete_comment", "load_more_posts", "ping"} {
			h.Handle(n, echoHandler)
		}
	})
	for _, tt := range tests {
		t.Run(tt.sent, func(t *testing.T) {
			c := ts.dial(t, "lobby") // a new connection: its first unknown function is logged
			c.sendEvent(tt.sent, "en", nil, nil, false)
			equalJSON(t, c.read(), `{"error":"Unknown function: `+tt.sent+`"}`)
			c.ping("after") // the log line is written before the next event runs
			var line string
			for l := range strings.Lines(logs.String()) {
				if strings.Contains(l, "unknown function") && strings.Contains(l, "function="+tt.sent+" ") {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no log line for %s:\n%s", tt.sent, logs.String())
			}
			switch {
			case tt.want == "" && strings.Contains(line, "did_you_mean"):
				t.Fatalf("unexpected suggestion: %s", line)
			case tt.want != "" && !strings.Contains(line, "did_you_mean="+tt.want+" "):
				t.Fatalf("want did_you_mean=%s: %s", tt.want, line)
			}
		})
	}
}
