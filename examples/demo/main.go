// Command demo serves the Django LiveView quick start, unchanged, on an Echo
// app, plus a page showing rooms per user from a cookie session.
//
//	go run ./examples/demo            # http://localhost:8080
//	go run ./examples/demo -addr 127.0.0.1:9000
//
// Open / and type a name; open /room in two browsers (or a normal and a
// private window) to see that each user's notifications reach only that
// user's own tabs, while announcements reach everyone.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"html/template"
	"io"
	"log"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
)

//go:embed templates
var templateFS embed.FS

// renderer is the app's ordinary Echo renderer; liveview reuses it for
// fragments.
type renderer struct{ t *template.Template }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()

	e := newApp(sessions.NewCookieStore([]byte("demo-secret-change-me-32-bytes!!")))
	go func() {
		if err := e.Start(*addr); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = liveview.Default().Shutdown(shutdown) // Echo's Shutdown ignores WebSockets
	_ = e.Shutdown(shutdown)
}

// newApp wires the demo: session middleware first, then the plugin, whose
// rooms come from the session.
func newApp(store sessions.Store) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.Renderer = renderer{template.Must(template.ParseFS(templateFS, "templates/*.html"))}
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

	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "index.html", nil) })
	e.GET("/room", func(c echo.Context) error {
		return c.Render(http.StatusOK, "room.html", map[string]any{"User": c.Get("user")})
	})
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
