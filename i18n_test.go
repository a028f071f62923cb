package liveview

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// testBundle: English (default), Spanish and French; "only_en" exists in
// English only.
func testBundle() *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.MustAddMessages(language.English,
		&i18n.Message{ID: "hello", Other: "Hello"},
		&i18n.Message{ID: "greet", Other: "Hello, {{.Name}}"},
		&i18n.Message{ID: "unread", One: "You have {{.Count}} message", Other: "You have {{.Count}} messages"},
		&i18n.Message{ID: "only_en", Other: "English only"},
		&i18n.Message{ID: "broken", Other: "{{.Name.Missing}}"},
	)
	b.MustAddMessages(language.Spanish,
		&i18n.Message{ID: "hello", Other: "Hola"},
		&i18n.Message{ID: "greet", Other: "Hola, {{.Name}}"},
		&i18n.Message{ID: "unread", One: "Tienes {{.Count}} mensaje", Other: "Tienes {{.Count}} mensajes"},
		&i18n.Message{ID: "liveview.validation.required", Other: "¡Obligatorio!"},
		&i18n.Message{ID: "liveview.validation.is_even", Other: "Debe ser par."},
	)
	b.MustAddMessages(language.French, &i18n.Message{ID: "hello", Other: "Bonjour"})
	return b
}

func TestLocaleFallback(t *testing.T) {
	tests := []struct {
		name, lang, acceptLanguage string
		noBundle                   bool
		want                       string
	}{
		{"frame lang", "es", "fr", false, "es"},
		{"frame lang with region", "es-MX", "", false, "es"},
		{"frame lang, case-insensitive", "FR", "es", false, "fr"},
		{"unsupported frame lang: Accept-Language", "de", "es-ES,es;q=0.9,en;q=0.5", false, "es"},
		{"no frame lang: Accept-Language", "", "fr-CA", false, "fr"},
		{"unparsable frame lang: Accept-Language", "!!", "es", false, "es"},
		{"Accept-Language order by quality", "", "de;q=0.9,fr;q=0.8,es;q=0.95", false, "es"},
		{"nothing matches: default", "de", "ja,zh", false, "en"},
		{"nothing given: default", "", "", false, "en"},
		{"unparsable everything: default", "@@", ";;;==", false, "en"},
		{"no bundle: built-in Spanish", "es", "", true, "es"},
		{"no bundle: built-in default", "fr", "", true, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Logger: discardLogger()}
			if !tt.noBundle {
				cfg.I18n = testBundle()
			}
			h := New(cfg)
			defer h.Close()
			c := eventContext(t, h, &Event{Function: "f", Lang: tt.lang}, tt.acceptLanguage)
			if got := c.Locale().String(); got != tt.want {
				t.Errorf("Locale() = %s, want %s", got, tt.want)
			}
			if c.Localizer() == nil {
				t.Error("Localizer() is nil")
			}
		})
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		name, lang, id string
		args           []any
		want           string
		logged         bool
	}{
		{"plain", "en", "hello", nil, "Hello", false},
		{"plain es", "es", "hello", nil, "Hola", false},
		{"template data", "es", "greet", []any{map[string]any{"Name": "Ada"}}, "Hola, Ada", false},
		{"template data struct", "en", "greet", []any{struct{ Name string }{"Bo"}}, "Hello, Bo", false},
		{"plural one", "en", "unread", []any{1}, "You have 1 message", false},
		{"plural other", "en", "unread", []any{5}, "You have 5 messages", false},
		{"plural es", "es", "unread", []any{int64(2)}, "Tienes 2 mensajes", false},
		{"plural from json.Number", "es", "unread", []any{json.Number("1")}, "Tienes 1 mensaje", false},
		{"missing in es: English", "es", "only_en", nil, "English only", true},
		{"missing everywhere: the id", "es", "nope", nil, "nope", true},
		{"broken template: the id", "en", "broken", []any{map[string]any{"Name": "x"}}, "broken", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logRecorder
			h := New(Config{Logger: logs.logger(), I18n: testBundle()})
			defer h.Close()
			c := eventContext(t, h, &Event{Function: "f", Lang: tt.lang}, "")
			for range 3 { // logged once, however often
				if got := c.T(tt.id, tt.args...); got != tt.want {
					t.Fatalf("T(%q, %v) = %q, want %q", tt.id, tt.args, got, tt.want)
				}
			}
			if n := strings.Count(logs.String(), "translation"); n != map[bool]int{true: 1, false: 0}[tt.logged] {
				t.Errorf("logged %d times, want logged=%v:\n%s", n, tt.logged, logs.String())
			}
		})
	}
}

// TestTWithoutBundle: T never fails without Config.I18n.
func TestTWithoutBundle(t *testing.T) {
	c := eventContext(t, nil, nil, "")
	if got := c.T("welcome", 3); got != "welcome" {
		t.Errorf("T = %q, want the id", got)
	}
}

// TestLocalePerMessage: two events with different lang on one socket each
// get their language, and many connections with different languages run
// concurrently without mixing them up (run with -race).
func TestLocalePerMessage(t *testing.T) {
	ts := newTestServer(t, Config{I18n: testBundle()}, func(h *Hub, _ *echo.Echo) {
		h.Handle("hello", func(c *Context) error {
			var f struct {
				Name string `form:"name" validate:"required"`
			}
			msg := FieldErrors(c, c.Validate(&f))["name"]
			return c.HTML("#out", c.Data("n")+"|"+c.Locale().String()+"|"+c.T("hello")+"|"+msg)
		})
	})
	want := map[string]string{
		"en": "en|Hello|This field is required.",
		"es": "es|Hola|¡Obligatorio!",
		"fr": "fr|Bonjour|This field is required.",
		"":   "es|Hola|¡Obligatorio!", // this connection's Accept-Language
	}
	langs := []string{"en", "es", "fr", ""}
	const conns, events = 8, 20
	var wg sync.WaitGroup
	for i := range conns {
		c := ts.dialHeader(t, "r", http.Header{"Origin": {ts.srv.URL}, "Accept-Language": {"es"}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range events {
				lang := langs[(i+j)%len(langs)]
				n := fmt.Sprint(i, "-", j)
				b, _ := json.Marshal(map[string]any{"function": "hello", "data": map[string]any{"n": n}, "lang": lang})
				if err := c.ws.WriteMessage(1, b); err != nil {
					t.Errorf("write: %v", err)
					return
				}
				m, err := c.tryRead()
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if got := m["html"]; got != n+"|"+want[lang] {
					t.Errorf("lang %q: got %q, want %q", lang, got, n+"|"+want[lang])
				}
			}
		}()
	}
	wg.Wait()
}

// TestTemplatesRenderer: c.Render through Templates translates in the
// message's locale; an HTTP render uses Accept-Language.
func TestTemplatesRenderer(t *testing.T) {
	base := template.Must(template.New("").Funcs(TemplateFuncs()).Parse(
		`{{define "page"}}<html lang="{{locale}}">{{t "hello"}}</html>{{end}}` +
			`{{define "frag"}}{{t "greet" .}} / {{t "unread" 2}} / {{t "missing"}}{{end}}` +
			`{{define "plain"}}no i18n {{.}}{{end}}`))
	r, err := NewTemplates(base, testBundle(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Config{I18n: testBundle()}, func(h *Hub, e *echo.Echo) {
		e.Renderer = r
		e.GET("/page", func(c echo.Context) error { return c.Render(http.StatusOK, "page", nil) })
		h.Handle("frag", func(c *Context) error {
			return c.Render("#out", "frag", map[string]any{"Name": "Ada"})
		})
		h.Handle("plain", func(c *Context) error { return c.Render("#out", "plain", "x") })
	})
	c := ts.dial(t, "r")
	for _, tt := range []struct{ lang, want string }{
		{"es", "Hola, Ada / Tienes 2 mensajes / missing"},
		{"en", "Hello, Ada / You have 2 messages / missing"},
		{"fr", "Hello, Ada / You have 2 messages / missing"},
		{"es", "Hola, Ada / Tienes 2 mensajes / missing"},
	} {
		b, _ := json.Marshal(map[string]any{"function": "frag", "lang": tt.lang})
		c.sendRaw(1, b)
		if got := c.read()["html"]; got != tt.want {
			t.Errorf("lang %s: got %q, want %q", tt.lang, got, tt.want)
		}
	}
	c.send("plain", nil, nil)
	if got := c.read()["html"]; got != "no i18n x" {
		t.Errorf("plain template: %q", got)
	}

	for al, want := range map[string]string{"es-ES,es;q=0.9": `<html lang="es">Hola</html>`, "": `<html lang="en">Hello</html>`, "de": `<html lang="en">Hello</html>`} {
		req, _ := http.NewRequest("GET", ts.srv.URL+"/page", nil)
		if al != "" {
			req.Header.Set("Accept-Language", al)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want {
			t.Errorf("GET /page with Accept-Language %q: %q, want %q", al, body, want)
		}
	}
}

func TestNewTemplatesErrors(t *testing.T) {
	base := template.Must(template.New("x").Funcs(TemplateFuncs()).Parse(`{{t "hello"}}`))
	_ = base.Execute(io.Discard, nil)
	if _, err := NewTemplates(base, testBundle(), nil); err == nil || !strings.HasPrefix(err.Error(), "liveview: ") {
		t.Errorf("NewTemplates of an executed template = %v, want a liveview: error", err)
	}
	base = template.Must(template.New("x").Funcs(TemplateFuncs()).Parse(`{{t "hello"}}`))
	r, err := NewTemplates(base, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := r.Render(rec, "x", nil, nil); err != nil || rec.Body.String() != "hello" {
		t.Errorf("nil bundle: %q, %v", rec.Body.String(), err)
	}
}

// TestTemplatesOwnBundle: Templates matches the message's preferences
// against its own bundle, even when Config.I18n is nil (whose built-in
// catalog has no French).
func TestTemplatesOwnBundle(t *testing.T) {
	base := template.Must(template.New("x").Funcs(TemplateFuncs()).Parse(`{{locale}}:{{t "hello"}}`))
	r, err := NewTemplates(base, testBundle(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, Config{}, func(h *Hub, e *echo.Echo) {
		e.Renderer = r
		h.Handle("x", func(c *Context) error { return c.Render("#out", "x", nil) })
	})
	c := ts.dialHeader(t, "r", http.Header{"Origin": {ts.srv.URL}, "Accept-Language": {"fr"}})
	for lang, want := range map[string]string{"fr": "fr:Bonjour", "es": "es:Hola", "": "fr:Bonjour", "de": "fr:Bonjour"} {
		b, _ := json.Marshal(map[string]any{"function": "x", "lang": lang})
		c.sendRaw(1, b)
		if got := c.read()["html"]; got != want {
			t.Errorf("lang %q: %q, want %q", lang, got, want)
		}
	}
}
