// Command demo serves the Django LiveView quick start, unchanged, on an Echo
// app, plus a page showing rooms per user from a cookie session and one
// showing streams.
//
//	go run ./examples/demo            # http://localhost:8080
//	go run ./examples/demo -addr 127.0.0.1:9000
//
// Open / and type a name; open /room in two browsers (or a normal and a
// private window) to see that each user's notifications reach only that
// user's own tabs, while announcements reach everyone. /streams keeps a
// list of 10,000 rows up to date with stream frames (streams.go). / also
// links every other example, with the command that runs it.
//
// Session cookies are signed with $DEMO_SESSION_SECRET (at least 32 bytes,
// e.g. `export DEMO_SESSION_SECRET=$(openssl rand -hex 32)`); without it
// the demo makes a random key at start, so sessions end with the process.
package main

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
)

//go:embed templates
var templateFS embed.FS

// staticFS holds the examples' stylesheet and favicon. Every example has
// its own copy of static/, so that it runs alone when copied.
//
//go:embed static
var staticFS embed.FS

// renderer is the app's ordinary Echo renderer; liveview reuses it for
// fragments.
type renderer struct{ t *template.Template }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()

	secret, err := sessionSecret()
	if err != nil {
		log.Fatal(err)
	}
	e := newApp(sessions.NewCookieStore(secret))
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

// sessionSecretEnv names the variable holding the key that signs session
// cookies. Instances of one app must share it.
const sessionSecretEnv = "DEMO_SESSION_SECRET"

// sessionSecret returns the key that signs session cookies: the value of
// $DEMO_SESSION_SECRET, which must be at least 32 bytes, or, when it is not
// set, 32 random bytes made now, with a warning: sessions then won't
// survive a restart (nor work across instances).
func sessionSecret() ([]byte, error) {
	if v := os.Getenv(sessionSecretEnv); v != "" {
		if len(v) < 32 {
			return nil, fmt.Errorf("demo: %s must be at least 32 bytes (try: openssl rand -hex 32)", sessionSecretEnv)
		}
		return []byte(v), nil
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	slog.Warn("demo: " + sessionSecretEnv + " is not set: using a random session key, so sessions won't survive a restart")
	return key, nil
}

// newApp wires the demo: session middleware first, then the plugin, whose
// rooms come from the session.
func newApp(store sessions.Store) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	// TemplateFuncs gives the templates {{liveviewScript}}: the client's
	// script tag, with its content-hashed URL (cached for good) and endpoint.
	e.Renderer = renderer{template.Must(template.New("").Funcs(liveview.TemplateFuncs()).ParseFS(templateFS, "templates/*.html"))}
	e.Use(sessionMiddleware(store))
	e.Use(liveview.PluginWithConfig(liveview.Config{
		// Each visitor's connections share a room named after their
		// session's user; the URL segment and the client's JSON are ignored.
		Room: func(c echo.Context) (string, error) {
			user, _ := c.Get("user").(string)
			if user == "" {
				return "", echo.NewHTTPError(http.StatusUnauthorized, "no session")
			}
			return "user-" + user, nil
		},
	}))

	serveStatic(e)
	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "index.html", nil) })
	e.GET("/room", func(c echo.Context) error {
		return c.Render(http.StatusOK, "room.html", map[string]any{"User": c.Get("user")})
	})
	e.GET("/streams", func(c echo.Context) error { return c.Render(http.StatusOK, "streams.html", nil) }) // streams.go
	return e
}

// sessionMiddleware gives every visitor a random user ID in a cookie
// session (gorilla/sessions) and puts it in the Echo context as "user".
func sessionMiddleware(store sessions.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			s, _ := store.Get(c.Request(), "demo")
			user, _ := s.Values["user"].(string)
			if user == "" {
				user = liveview.NewRoomID()[:12]
				s.Values["user"] = user
				s.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
				if err := s.Save(c.Request(), c.Response()); err != nil {
					return err
				}
			}
			c.Set("user", user)
			return next(c)
		}
	}
}

func init() {
	// The quick start handler, as in Django LiveView's tutorial.
	liveview.Handle("say_hello", func(c *liveview.Context) error {
		name := c.FormValue("name")
		if name == "" {
			name = "World"
		}
		return c.Render("#greeting", "greeting.html", "Hello, "+name+"!")
	})
	// Reaches every tab of this user only.
	liveview.Handle("notify_me", func(c *liveview.Context) error {
		html, err := c.Fragment("notification.html", "Note at "+time.Now().Format("15:04:05"))
		if err != nil {
			return err
		}
		return c.Publish(c.Room(), liveview.Message{Target: "#notifications", HTML: html, Append: true})
	})
	// Reaches everyone.
	liveview.Handle("announce", func(c *liveview.Context) error {
		html, err := c.Fragment("notification.html", "Announcement: "+c.FormValue("text"))
		if err != nil {
			return err
		}
		return c.Broadcast(liveview.Message{Target: "#announcements", HTML: html, Append: true})
	})
}

// serveStatic serves the stylesheet and the favicon (also at /favicon.ico,
// which browsers ask for when a page names no icon).
func serveStatic(e *echo.Echo) {
	e.FileFS("/static/style.css", "static/style.css", staticFS)
	e.FileFS("/favicon.svg", "static/favicon.svg", staticFS)
	e.FileFS("/favicon.ico", "static/favicon.svg", staticFS)
}
