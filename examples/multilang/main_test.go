package main

import (
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// TestNewServer: the server main starts is Echo's own (so e.Shutdown stops
// it) with a header timeout and an idle timeout.
func TestNewServer(t *testing.T) {
	e := echo.New()
	s := newServer("127.0.0.1:8080", e)
	if s != e.Server {
		t.Fatal("newServer must configure e.Server, which e.Shutdown stops")
	}
	if s.Addr != "127.0.0.1:8080" {
		t.Errorf("Addr %q", s.Addr)
	}
	if s.ReadHeaderTimeout <= 0 || s.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v, want a few seconds", s.ReadHeaderTimeout)
	}
	if s.IdleTimeout <= 0 || s.IdleTimeout > 5*time.Minute {
		t.Errorf("IdleTimeout %v, want a few minutes at most", s.IdleTimeout)
	}
}

// startMultilang serves the multilang app; its Hub (the default one newApp
// mounts) is closed when the test ends. opts apply to every page, such as
// the browser's language (liveviewtest.WithLang).
func startMultilang(t *testing.T, opts ...liveviewtest.Option) *liveviewtest.LT {
	t.Helper()
	e, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	hub := liveview.Default()
	t.Cleanup(func() { _ = hub.Close() })
	return liveviewtest.New(t, e, opts...)
}

const (
	showContent = "button[data-liveview-function=show_content]"
	greet       = "button[data-liveview-function=greet]"
)

// TestEnglish: an English browser gets the page and the answers in
// English: the content with its plural, the validation message, the
// greeting.
func TestEnglish(t *testing.T) {
	page := startMultilang(t, liveviewtest.WithLang("en-US,en;q=0.9")).Open("/")
	if lang, _ := page.Attr("html", "lang"); lang != "en" {
		t.Errorf("<html lang=%q>, want en", lang)
	}
	page.Click(showContent)
	if got := page.Text("#content"); got != "Welcome This content is in your language. Shown 1 time on this page." {
		t.Errorf("content %q", got)
	}
	page.Click(greet)
	if got := page.Text("#greeting"); got != "This field is required." {
		t.Errorf("greeting without a name %q", got)
	}
	page.Fill("input[name=name]", "Ada")
	page.Click(greet)
	if got := page.Text("#greeting"); got != "Hello, Ada!" {
		t.Errorf("greeting %q", got)
	}
}

// TestSwitchLanguage: the page's language switcher (an inline script
// setting <html lang>, done here with SetAttr) makes the same handlers
// answer in Spanish, then in English again, on the same WebSocket: the
// count of the content goes on.
func TestSwitchLanguage(t *testing.T) {
	page := startMultilang(t).Open("/")
	page.Click(showContent)
	if got := page.Text("#content h2"); got != "Welcome" {
		t.Errorf("English first: %q", got)
	}

	page.SetAttr("html", "lang", "es")
	page.Click(showContent)
	if got := page.Text("#content"); got != "Bienvenido Este contenido está en tu idioma. Mostrado 2 veces en esta página." {
		t.Errorf("Spanish content %q", got)
	}
	page.Click(greet)
	if got := page.Text("#greeting"); got != "Este campo es obligatorio." {
		t.Errorf("Spanish validation message %q", got)
	}
	page.Fill("input[name=name]", "Ada")
	page.Click(greet)
	if got := page.Text("#greeting"); got != "¡Hola, Ada!" {
		t.Errorf("Spanish greeting %q", got)
	}

	page.SetAttr("html", "lang", "en")
	page.Click(greet)
	if got := page.Text("#greeting"); got != "Hello, Ada!" {
		t.Errorf("English again %q", got)
	}
	page.Click(showContent)
	if got := page.Text("#content p:last-child"); got != "Shown 3 times on this page." {
		t.Errorf("count in English again %q", got)
	}
}

// TestBrowserLanguage: a Spanish browser (Accept-Language) gets the page
// in Spanish, <html lang> included, and so the answers to its events;
// the page's lang, which every event carries, wins over the browser's.
func TestBrowserLanguage(t *testing.T) {
	page := startMultilang(t, liveviewtest.WithLang("es-ES,es;q=0.9,en;q=0.8")).Open("/")
	if lang, _ := page.Attr("html", "lang"); lang != "es" {
		t.Errorf("<html lang=%q>, want es", lang)
	}
	if got := page.Title(); got != "liveview para Echo: varios idiomas" {
		t.Errorf("title %q", got)
	}
	if got := page.Text(showContent); got != "Mostrar contenido" {
		t.Errorf("button %q", got)
	}
	page.Click(showContent)
	if got := page.Text("#content h2"); got != "Bienvenido" {
		t.Errorf("content %q", got)
	}
	page.SetAttr("html", "lang", "en")
	page.Click(showContent)
	if got := page.Text("#content h2"); got != "Welcome" {
		t.Errorf("content after switching to English %q", got)
	}
}

// TestShownSurvivesReconnect: the count of the content is kept across a
// reconnect of the page (Config.KeepValues), and a new page starts at 1.
func TestShownSurvivesReconnect(t *testing.T) {
	lt := startMultilang(t, liveviewtest.WithLang("en"))
	page := lt.Open("/")
	page.Click(showContent)
	page.Click(showContent)
	page.Reconnect()
	page.Click(showContent)
	if got := page.Text("#content .shown"); got != "Shown 3 times on this page." {
		t.Errorf("after a reconnect: %q, want the third time", got)
	}
	other := lt.Open("/")
	other.Click(showContent)
	if got := other.Text("#content .shown"); got != "Shown 1 time on this page." {
		t.Errorf("a new page: %q, want the first time", got)
	}
}
