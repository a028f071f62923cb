package liveview

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// The porting traps of issue 11, each with a test that fails without its
// fix: data-data-* keys (1, here), one-call rendered sends and Hub renders
// with a locale (4) and components (7) in component_test.go, middleware per
// handler and per group (6) in group_test.go, the warnings of a missing
// renderer and an unknown function (9) in warnings_test.go.

// sendEvent writes one event frame with the given lang; slow makes it take
// encoding/json's path (a string with an escape), so both decoders are
// tested.
func (c *client) sendEvent(function, lang string, data, form map[string]any, slow bool) {
	c.t.Helper()
	if slow {
		if form == nil {
			form = map[string]any{}
		}
		form["_slow"] = "an \"escaped\" value"
	}
	b, err := json.Marshal(map[string]any{"function": function, "data": data, "form": form, "lang": lang})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.TextMessage, b)
}

// dialURL connects to the WebSocket URL u (a query, say) with the server's
// own Origin.
func (ts *testServer) dialURL(t testing.TB, u string) *client {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {ts.srv.URL}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", u, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

// Trap 1: Django LiveView's docs read content["data"]["comment_id"] and
// data.get("modalId") for data-data-comment-id and data-data-modal-id,
// which arrive as data_comment_id and data_modal_id.
func TestTrapDataKeys(t *testing.T) {
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("read", func(c *Context) error { return c.HTML("#out", c.Data(c.FormValue("key"))) })
	})
	tests := []struct {
		name string
		data map[string]any // as the browser's dataset sends it
		key  string
		want string
	}{
		{"data-data-comment-id read as the docs do", map[string]any{"dataCommentId": "123"}, "comment_id", "123"},
		{"data-data-comment-id read as upstream's code does", map[string]any{"dataCommentId": "123"}, "data_comment_id", "123"},
		{"data-data-modal-id read as data.get(modalId)", map[string]any{"dataModalId": "7"}, "modalId", "7"},
		{"data-modal-id read camelCase", map[string]any{"modalId": "8"}, "modalId", "8"},
		{"infinite scroll's data-data-page", map[string]any{"dataPage": "2"}, "page", "2"},
		{"the exact key wins over data-data-*", map[string]any{"commentId": "1", "dataCommentId": "2"}, "comment_id", "1"},
		{"data-data-* still read by its own name", map[string]any{"commentId": "1", "dataCommentId": "2"}, "data_comment_id", "2"},
		{"no alias the other way", map[string]any{"commentId": "1"}, "data_comment_id", ""},
		{"absent", map[string]any{"dataCommentId": "1"}, "post_id", ""},
	}
	c := ts.dial(t, "lobby")
	for _, tt := range tests {
		for _, slow := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/slow=%v", tt.name, slow), func(t *testing.T) {
				c.t = t
				c.sendEvent("read", "en", tt.data, map[string]any{"key": tt.key}, slow)
				if got := c.read(); got["html"] != tt.want {
					t.Fatalf("Data(%q) with %v = %v, want %q", tt.key, tt.data, got["html"], tt.want)
				}
			})
		}
	}
}

func TestTrapDataKeysBind(t *testing.T) {
	type target struct {
		Comment int    `data:"comment_id"`
		Page    int    `data:"page"`
		Modal   string `data:"modalId"`
		Post    int    `data:"post_id"`
	}
	got := make(chan target, 1)
	ts := newTestServer(t, Config{}, func(h *Hub, _ *echo.Echo) {
		h.Handle("bind", func(c *Context) error {
			var v target
			if err := c.Bind(&v); err != nil {
				return err
			}
			if len(c.DataMap()) != 4 {
				return fmt.Errorf("Bind changed the shared DataMap: %v", c.DataMap())
			}
			got <- v
			return c.HTML("#done", "")
		})
	})
	c := ts.dial(t, "lobby")
	for _, slow := range []bool{false, true} {
		c.sendEvent("bind", "en", map[string]any{"dataCommentId": "12", "dataPage": "3", "dataModalId": "m", "postId": "5"}, nil, slow)
		if f := c.read(); f["target"] != "#done" {
			t.Fatalf("slow=%v: %v", slow, f)
		}
		if v := <-got; v != (target{Comment: 12, Page: 3, Modal: "m", Post: 5}) {
			t.Fatalf("slow=%v: bound %+v", slow, v)
		}
	}
}

func TestTrapDataKeysDebugHint(t *testing.T) {
	tests := []struct {
		name    string
		debug   bool
		data    map[string]any
		form    map[string]any
		read    func(c *Context)
		wantLog string // "" for no hint at all
	}{
		{"typo", true, map[string]any{"dataCommentId": "1"}, nil, func(c *Context) { c.Data("coment_id") }, `near=data_comment_id`},
		{"upstream's spelling of a data-comment-id", true, map[string]any{"commentId": "1"}, nil, func(c *Context) { c.Data("data_comment_id") }, `near=comment_id`},
		{"dashes", true, map[string]any{"dataCommentId": "1"}, nil, func(c *Context) { c.Data("comment-id") }, `near=data_comment_id`},
		{"Bind data tag", true, map[string]any{"commentID": "1"}, nil, func(c *Context) {
			var v struct {
				ID string `data:"comment_idd"`
			}
			_ = c.Bind(&v)
		}, `near=comment_id`},
		{"form name", true, nil, map[string]any{"email": "a@b"}, func(c *Context) { c.FormValue("Email") }, `near=email`},
		{"nothing near", true, map[string]any{"dataCommentId": "1"}, nil, func(c *Context) { c.Data("user") }, ""},
		{"found by alias: no hint", true, map[string]any{"dataCommentId": "1"}, nil, func(c *Context) { c.Data("comment_id") }, ""},
		{"without Debug", false, map[string]any{"dataCommentId": "1"}, nil, func(c *Context) { c.Data("coment_id") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logRecorder
			ts := newTestServer(t, Config{Debug: tt.debug, Logger: logs.logger()}, func(h *Hub, _ *echo.Echo) {
				h.Handle("read", func(c *Context) error { tt.read(c); return c.HTML("#done", "") })
			})
			c := ts.dial(t, "lobby")
			for range 3 { // logged once
				c.sendEvent("read", "en", tt.data, tt.form, false)
				c.read()
			}
			out := logs.String()
			n := strings.Count(out, "(a hint of Config.Debug")
			switch {
			case tt.wantLog == "" && n != 0:
				t.Fatalf("unexpected hint:\n%s", out)
			case tt.wantLog != "" && (n != 1 || !strings.Contains(out, tt.wantLog) || !strings.Contains(out, "function=read")):
				t.Fatalf("want one hint with %s, got %d:\n%s", tt.wantLog, n, out)
			}
		})
	}
}

// The aliases cost no allocation: not on a hit, not on a miss (the common
// path of handlers that read optional keys), not through data-data-*.
func TestTrapDataKeysAllocs(t *testing.T) {
	h := New(Config{Logger: discardLogger()})
	defer h.Close()
	lc, err := newEventContext(&conn{hub: h}, []byte(`{"function":"f","data":{"id":"7","dataCommentId":"3"},"form":{"name":"Ada"}}`))
	if err != nil || !lc.fast {
		t.Fatalf("fast path not taken: %v", err)
	}
	for _, key := range []string{"id", "comment_id", "data_comment_id", "absent"} {
		if n := testing.AllocsPerRun(100, func() { _ = lc.Data(key) }); n != 0 {
			t.Errorf("Data(%q): %v allocations", key, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = lc.FormValue("absent") }); n != 0 {
		t.Errorf("FormValue of an absent name: %v allocations", n)
	}
}
