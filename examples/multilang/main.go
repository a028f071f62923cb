// Command multilang is Django LiveView's internationalization example,
// ported: the same handlers answer in the language of the page that sent
// the event. The client sends <html lang> with every event; liveview picks
// the locale per message (frame lang, then the handshake's Accept-Language,
// then the bundle's default), so switching the page's language needs no
// reconnection and no translation.activate/deactivate pair.
//
// Translations are go-i18n JSON files (locales/); templates translate with
// {{t "id"}} through liveview.Templates, which renders fragments in the
// message's language and full pages in the browser's.
//
//	go run ./examples/multilang                 # http://localhost:8080
//	go run ./examples/multilang -addr 127.0.0.1:9000
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"html/template"
	"log"
	"log/slog"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/echo-liveview/liveview"
)

//go:embed templates locales
var files embed.FS

// staticFS holds the examples' stylesheet and favicon. Every example has
// its own copy of static/, so that it runs alone when copied.
//
//go:embed static
var staticFS embed.FS

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()

	e, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	srv := newServer(*addr, e)
	go func() {
		if err := e.StartServer(srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// e.Shutdown stops accepting and starts the Hub's drain (1012: browsers
	// reconnect to another instance, spread over Config.DrainWindow); the
	// Hub's own Shutdown waits until every WebSocket is closed.
	_ = e.Shutdown(shutdown)
	_ = liveview.Default().Shutdown(shutdown)
}

// newServer returns e's HTTP server (e.Server, so e.Shutdown stops it) set
// to listen on addr with the timeouts a server open to the internet needs:
// ReadHeaderTimeout closes a connection whose request headers, a WebSocket
// upgrade's included, do not arrive in time (else a client can hold a
// connection, a goroutine and a buffer per half-sent request forever), and
// IdleTimeout closes keep-alive connections left idle. Neither applies to
// an open WebSocket: it leaves net/http at the upgrade. See the README's
// "Production server".
func newServer(addr string, e *echo.Echo) *http.Server {
	s := e.Server
	s.Addr = addr
	s.ReadHeaderTimeout = 5 * time.Second
	s.IdleTimeout = 2 * time.Minute
	return s
}

// newBundle loads the translations: English is the default language.
func newBundle() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	for _, f := range []string{"locales/active.en.json", "locales/active.es.json"} {
		if _, err := b.LoadMessageFileFS(files, f); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func newApp() (*echo.Echo, error) {
	bundle, err := newBundle()
	if err != nil {
		return nil, err
	}
	// Parse with the placeholder functions, then let liveview clone the
	// templates once per language with t and locale bound.
	base, err := template.New("").Funcs(liveview.TemplateFuncs()).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	renderer, err := liveview.NewTemplates(base, bundle, nil)
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner = true
	e.Renderer = renderer
	e.Use(liveview.PluginWithConfig(liveview.Config{
		I18n: bundle,
		// "Shown N times on this page": the count survives a reconnect of
		// the page (a dropped network, a restart behind a shared Redis);
		// a reload is a new page and starts again.
		KeepValues: map[string]any{"shown": 0},
	}))
	serveStatic(e)
	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "index.html", nil) })
	return e, nil
}

func init() {
	// The Django example activates the language in a middleware; here the
	// locale is already per message, and a middleware only logs it.
	liveview.Use(func(next liveview.HandlerFunc) liveview.HandlerFunc {
		return func(c *liveview.Context) error {
			slog.Info("event", "function", c.Function(), "lang", c.Lang(), "locale", c.Locale().String())
			return next(c)
		}
	})

	liveview.Handle("show_content", func(c *liveview.Context) error {
		shown, _ := c.Get("shown").(int)
		shown++
		c.Set("shown", shown)
		return c.Render("#content", "content.html", map[string]any{
			"Title":   c.T("welcome"), // c.T in Go, {{t ...}} in the template
			"Shown":   shown,
			"Message": "content_message",
		})
	})

	liveview.Handle("greet", func(c *liveview.Context) error {
		var f struct {
			Name string `form:"name" validate:"required,min=2"`
		}
		if err := errors.Join(c.Bind(&f), c.Validate(&f)); err != nil {
			// Validation messages follow the page's language too.
			return c.RenderForm("#greeting", "greeting.html", &f, err)
		}
		return c.Render("#greeting", "greeting.html", liveview.NewFormView(c, &f, nil))
	})
}

// serveStatic serves the stylesheet and the favicon (also at /favicon.ico,
// which browsers ask for when a page names no icon).
func serveStatic(e *echo.Echo) {
	e.FileFS("/static/style.css", "static/style.css", staticFS)
	e.FileFS("/favicon.svg", "static/favicon.svg", staticFS)
	e.FileFS("/favicon.ico", "static/favicon.svg", staticFS)
}
