// Command contact is Django LiveView's "contact form with validation",
// ported: the form travels over the WebSocket, the handler binds and
// validates it, and the form comes back with an error next to each invalid
// field and everything the user typed kept, until it is valid and a thank
// you replaces it. Fields are also checked one by one when they lose focus
// (Django LiveView's "real-time validation"). Flash messages say how it
// went (c.Flash, shown in the page's data-liveview-flash element), and
// "Send another message" starts over with a full page load (c.Redirect),
// its message carried to the new page.
//
//	go run ./examples/contact                 # http://localhost:8080
//	go run ./examples/contact -addr 127.0.0.1:9000
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

// contact is the form. The same struct would bind a classic POST with
// Echo's c.Bind: form tags are the HTML field names.
type contact struct {
	Name      string `form:"name" validate:"required,max=50"`
	Email     string `form:"email" validate:"required,email"`
	Topic     string `form:"topic" validate:"oneof=question bug other"`
	Message   string `form:"message" validate:"required,min=10,max=1000"`
	Copies    int    `form:"copies" validate:"gte=0,lte=5"`
	Subscribe bool   `form:"subscribe"`
}

type renderer struct{ t *template.Template }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()

	e := newApp()
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

func newApp() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	// TemplateFuncs gives the templates {{liveviewScript}}: the client's
	// script tag, with its content-hashed URL (cached for good) and endpoint.
	e.Renderer = renderer{template.Must(template.New("").Funcs(liveview.TemplateFuncs()).ParseFS(templateFS, "templates/*.html"))}
	e.Use(liveview.Plugin())
	serveStatic(e)
	e.GET("/", func(c echo.Context) error {
		// The first render: an empty form, no errors.
		return c.Render(http.StatusOK, "index.html", &liveview.FormView{})
	})
	return e
}

func init() {
	liveview.Handle("submit_contact", func(c *liveview.Context) error {
		var f contact
		// Conversion errors (a word in "copies") and failed rules are
		// reported together; for a field with both, the first wins.
		if err := errors.Join(c.Bind(&f), c.Validate(&f)); err != nil {
			if rerr := c.RenderForm("#contact-container", "contact_form.html", &f, err); rerr != nil {
				return rerr
			}
			return c.Flash("error", "Please fix the fields marked in red.")
		}
		// Save it, send it... then thank the user. One message per kind: an
		// empty text takes down the error of an earlier try.
		return errors.Join(
			c.Render("#contact-container", "contact_success.html", f),
			c.Flash("error", ""),
			c.Flash("success", "Message sent. Thank you, "+f.Name+"!"),
		)
	})

	// start_over loads the page again, an empty form (a redirect is a full
	// page load); the flash message goes along.
	liveview.Handle("start_over", func(c *liveview.Context) error {
		return errors.Join(c.Flash("info", "Ready for a new message."), c.Redirect("/"))
	})

	// validate_field checks the field named by data-data-field as soon as it
	// loses focus, and fills its error slot.
	liveview.Handle("validate_field", func(c *liveview.Context) error {
		field := c.Data("data_field")
		var f contact
		err := errors.Join(c.Bind(&f), c.Validate(&f))
		if err != nil && liveview.FieldErrors(c, err) == nil {
			return err
		}
		return c.HTML("#error-"+template.HTMLEscapeString(field), template.HTMLEscapeString(liveview.FieldErrors(c, err)[field]))
	})
}

// serveStatic serves the stylesheet and the favicon (also at /favicon.ico,
// which browsers ask for when a page names no icon).
func serveStatic(e *echo.Echo) {
	e.FileFS("/static/style.css", "static/style.css", staticFS)
	e.FileFS("/favicon.svg", "static/favicon.svg", staticFS)
	e.FileFS("/favicon.ico", "static/favicon.svg", staticFS)
}
