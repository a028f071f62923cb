package liveviewtest_test

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"go.uber.org/goleak"

	"github.com/echo-liveview/liveview"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tmpl is the test apps' Echo renderer.
type tmpl struct{ t *template.Template }

func (r tmpl) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

// fragments are the templates the handlers render.
var fragments = template.Must(template.New("").Parse(`
{{define "greeting.html"}}<h1>Hello, {{.}}!</h1>{{end}}
{{define "item.html"}}<li>{{.}}</li>{{end}}
`))

// app is a test app: its pages (path -> HTML, served as is) and its Hub,
// closed when the test ends.
type app struct {
	e   *echo.Echo
	hub *liveview.Hub
}

// newApp starts nothing: it wires pages and a Hub made from cfg; setup
// registers the handlers. Use liveviewtest.New(t, a.e) to serve it.
func newApp(t testing.TB, cfg liveview.Config, pages map[string]string, setup func(h *liveview.Hub)) *app {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = tmpl{fragments}
	h := liveview.New(cfg)
	if setup != nil {
		setup(h)
	}
	e.Use(h.Middleware())
	for path, page := range pages {
		e.GET(path, func(c echo.Context) error { return c.HTML(http.StatusOK, page) })
	}
	t.Cleanup(func() { _ = h.Close() })
	return &app{e: e, hub: h}
}

// doc wraps body in a page whose <body> is the page controller.
func doc(body string) string {
	return `<!DOCTYPE html><html lang="en" data-room="lobby"><head><title>Test page</title></head>
<body data-controller="page"><div id="no-connection">offline</div>
` + body + `
<script src="/static/liveview/liveview.min.js" defer></script>
</body></html>`
}

// record answers with what it received, as JSON, in #got.
func record(c *liveview.Context) error {
	b, err := json.Marshal(map[string]any{"function": c.Function(), "data": c.DataMap(), "form": c.Form(), "lang": c.Lang()})
	if err != nil {
		return err
	}
	return c.HTML("#got", template.HTMLEscapeString(string(b)))
}

// failure runs fn with a testing.TB that records the first Fatal, runs
// fn's cleanups, and returns the message ("" when fn did not fail). fn runs
// on its own goroutine, as Fatal ends it.
func failure(t *testing.T, fn func(tb testing.TB)) string {
	t.Helper()
	tb := &recorder{TB: t}
	tb.run(fn)
	return tb.failed
}

// recorder is a testing.TB for examples and failure tests: Fatal records
// and ends the goroutine, Log goes to logf (nil: nowhere), Cleanup runs
// when run returns.
type recorder struct {
	testing.TB // nil in examples: only the methods below are called
	mu         sync.Mutex
	failed     string
	cleanups   []func()
	logf       func(string, ...any)
}

func (r *recorder) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (r *recorder) Helper() {}
func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}
func (r *recorder) Logf(format string, args ...any) {
	if r.logf != nil {
		r.logf(format, args...)
	}
}
func (r *recorder) Log(args ...any) { r.Logf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	if r.failed == "" {
		r.failed = fmt.Sprintf(format, args...)
	}
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed == "" {
		r.failed = fmt.Sprintf(format, args...)
	}
}
func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed != ""
}

// mustContain fails unless s contains every part.
func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not contain %q:\n%s", what, p, s)
		}
	}
}
