package liveview

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// readTimeout bounds every read in the protocol tests.
const readTimeout = 5 * time.Second

// tmpl is the app renderer used by the tests.
type tmpl struct{ t *template.Template }

func (r tmpl) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

var testTemplates = tmpl{template.Must(template.New("").Parse(`
{{define "greeting.html"}}<h1>Hello, {{.}}!</h1>{{end}}
{{define "item.html"}}<li>{{.}}</li>{{end}}
{{define "broken.html"}}{{.Missing.Field}}{{end}}`))}

// testServer is an Echo app with a Hub mounted, served over real TCP.
type testServer struct {
	hub *Hub
	srv *httptest.Server
	e   *echo.Echo
}

// newTestServer starts an Echo app with a Hub built from cfg; setup
// registers handlers. Everything is closed when the test ends.
func newTestServer(t testing.TB, cfg Config, setup func(h *Hub, e *echo.Echo)) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = testTemplates
	h := New(cfg)
	if setup != nil {
		setup(h, e)
	}
	e.Use(h.Middleware())
	e.GET("/hello", func(c echo.Context) error { return c.String(http.StatusOK, "app") })
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("hub close: %v", err)
		}
		srv.Close()
	})
	return &testServer{hub: h, srv: srv, e: e}
}

func (ts *testServer) wsURL(room string) string {
	return "ws" + strings.TrimPrefix(ts.srv.URL, "http") + "/ws/liveview/" + room + "/"
}

// client is a real WebSocket client.
type client struct {
	t  testing.TB
	ws *websocket.Conn
}

// dial connects to room with the server's own Origin.
func (ts *testServer) dial(t testing.TB, room string) *client {
	t.Helper()
	h := http.Header{"Origin": {ts.srv.URL}}
	return ts.dialHeader(t, room, h)
}

func (ts *testServer) dialHeader(t testing.TB, room string, h http.Header) *client {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(room), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", room, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

// send writes one event frame.
func (c *client) send(function string, data, form map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(map[string]any{"function": function, "data": data, "form": form, "lang": "en", "room": "ignored"})
	c.sendRaw(websocket.TextMessage, b)
}

func (c *client) sendRaw(typ int, b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(typ, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame decoded, failing after readTimeout.
func (c *client) read() map[string]any {
	c.t.Helper()
	m, err := c.tryRead()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *client) tryRead() (map[string]any, error) {
	c.ws.SetReadDeadline(time.Now().Add(readTimeout))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("server sent invalid JSON %q: %v", b, err)
	}
	return m, nil
}

// readError reads until the connection fails and returns that error.
func (c *client) readError() error {
	for {
		c.ws.SetReadDeadline(time.Now().Add(readTimeout))
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return err
		}
	}
}

// echoHandler answers "ping" events with {"target":"#pong","html":<data.n>}:
// tests use it to prove a connection still works and as an ordering marker.
func echoHandler(c *Context) error {
	return c.HTML("#pong", c.Data("n"))
}

// ping sends a ping event carrying n and expects its answer as the next
// frame.
func (c *client) ping(n string) {
	c.t.Helper()
	c.send("ping", map[string]any{"n": n}, nil)
	got := c.read()
	if got["target"] != "#pong" || got["html"] != n {
		c.t.Fatalf("ping %s: got %v", n, got)
	}
}

func equalJSON(t testing.TB, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("frame\n got: %s\nwant: %s", gb, wb)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// logRecorder captures log output for assertions.
type logRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logRecorder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logRecorder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logRecorder) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// queuedBytes returns c's backlog: the bytes queued and not yet written.
func (c *conn) queuedBytes() int {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return c.backlog
}
