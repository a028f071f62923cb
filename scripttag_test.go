package liveview

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview/jsclient"
)

func TestScriptTag(t *testing.T) {
	hashed := jsclient.HashedName()
	tests := []struct {
		name     string
		cfg      Config
		src      string
		wsPath   string
		wsSample string // a URL the Hub must upgrade
	}{
		{"defaults", Config{}, "/static/liveview/" + hashed, "/ws/liveview/:room/", "/ws/liveview/r/"},
		{"prefix", Config{Prefix: "/app"}, "/app/static/liveview/" + hashed, "/app/ws/liveview/:room/", "/app/ws/liveview/r"},
		{"prefix without slashes", Config{Prefix: "app/"}, "/app/static/liveview/" + hashed, "/app/ws/liveview/:room/", "/app/ws/liveview/r/"},
		{"root prefix", Config{Prefix: "/"}, "/static/liveview/" + hashed, "/ws/liveview/:room/", "/ws/liveview/r/"},
		{"deep prefix and own paths", Config{Prefix: "/a/b/", Path: "/live/:room/ws", ScriptPath: "js"},
			"/a/b/js/" + hashed, "/a/b/live/:room/ws", "/a/b/live/r/ws"},
		{"quotes are escaped", Config{Path: `/x"y/:room/`}, "/static/liveview/" + hashed, `/x&#34;y/:room/`, `/x"y/r/`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = discardLogger()
			h := New(tt.cfg)
			defer h.Close()
			want := `<script src="` + tt.src + `" data-liveview-path="` + tt.wsPath + `" defer></script>`
			if got := string(h.ScriptTag()); got != want {
				t.Errorf("ScriptTag\n got %s\nwant %s", got, want)
			}
			if got := h.ScriptURL(); got != tt.src {
				t.Errorf("ScriptURL %s, want %s", got, tt.src)
			}
			if _, ok := h.matchWS(tt.wsSample); !ok {
				t.Errorf("%s is not the endpoint", tt.wsSample)
			}
		})
	}
}

func TestTemplateFuncsLiveviewScript(t *testing.T) {
	page := template.Must(template.New("page").Funcs(TemplateFuncs()).Parse(`<body>{{liveviewScript}}</body>`))

	defaultMu.Lock()
	saved := defaultHub
	defaultHub = nil
	defaultMu.Unlock()
	t.Cleanup(func() {
		defaultMu.Lock()
		defaultHub = saved
		defaultMu.Unlock()
	})
	if err := page.Execute(io.Discard, nil); !errors.Is(err, errNoScriptHub) {
		t.Errorf("before Plugin: %v, want errNoScriptHub", err)
	}

	PluginWithConfig(Config{Prefix: "/app", Logger: discardLogger()})
	h := Default()
	t.Cleanup(func() { h.Close() })
	var b strings.Builder
	if err := page.Execute(&b, nil); err != nil {
		t.Fatal(err)
	}
	want := `<body><script src="/app/static/liveview/` + jsclient.HashedName() +
		`" data-liveview-path="/app/ws/liveview/:room/" defer></script></body>`
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}

	// NewTemplates keeps it beside the translating functions.
	base := template.Must(template.New("").Funcs(TemplateFuncs()).Parse(`{{define "p"}}{{liveviewScript}}{{end}}`))
	r, err := NewTemplates(base, nil, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := r.Render(&b, "p", nil, nil); err != nil || b.String() != string(h.ScriptTag()) {
		t.Errorf("through NewTemplates: %q, %v", b.String(), err)
	}
}

// TestPrefixInEchoGroup: with Config.Prefix, a Hub mounted on an Echo
// group serves the client and the endpoint the tag names, and nothing at
// the unprefixed paths.
func TestPrefixInEchoGroup(t *testing.T) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	h := New(Config{Prefix: "/app", Logger: discardLogger()})
	h.Handle("ping", echoHandler)
	g := e.Group("/app")
	g.Use(h.Middleware())
	g.GET("/page", func(c echo.Context) error { return c.HTML(http.StatusOK, string(h.ScriptTag())) })
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})

	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/app/page"); code != http.StatusOK || !strings.Contains(body, `src="`+h.ScriptURL()+`"`) {
		t.Fatalf("page: %d %s", code, body)
	}
	if code, _ := get(h.ScriptURL()); code != http.StatusOK {
		t.Errorf("%s: %d", h.ScriptURL(), code)
	}
	if code, _ := get("/app/static/liveview/liveview.min.js"); code != http.StatusOK {
		t.Errorf("prefixed liveview.min.js: %d", code)
	}
	if code, _ := get("/static/liveview/liveview.min.js"); code != http.StatusNotFound {
		t.Errorf("unprefixed liveview.min.js: %d, want 404", code)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/app/ws/liveview/lobby/",
		http.Header{"Origin": {srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { ws.Close() })
	c.send("ping", map[string]any{"n": "1"}, nil)
	if m := c.read(); m["html"] == nil {
		t.Errorf("no answer over the prefixed endpoint: %v", m)
	}
	if _, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws/liveview/lobby/",
		http.Header{"Origin": {srv.URL}}); err == nil || res == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("unprefixed endpoint: %v %v, want 404", err, res)
	}
}
