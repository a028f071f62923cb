package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
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

// TestSessionSecret: the key comes from the environment, is refused when
// short, and is random (different at every start) when absent.
func TestSessionSecret(t *testing.T) {
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))

	t.Setenv(sessionSecretEnv, "")
	a, err := sessionSecret()
	if err != nil || len(a) != 32 {
		t.Fatalf("unset: %d bytes, %v", len(a), err)
	}
	if !strings.Contains(logs.String(), "sessions won't survive a restart") {
		t.Errorf("unset: no warning in the log: %q", logs.String())
	}
	b, _ := sessionSecret()
	if bytes.Equal(a, b) {
		t.Fatal("unset: the same key twice, want a random one")
	}

	t.Setenv(sessionSecretEnv, "too short")
	if _, err := sessionSecret(); err == nil || !strings.Contains(err.Error(), sessionSecretEnv) {
		t.Fatalf("short: %v, want an error naming %s", err, sessionSecretEnv)
	}

	long := strings.Repeat("k", 64)
	t.Setenv(sessionSecretEnv, long)
	if k, err := sessionSecret(); err != nil || string(k) != long {
		t.Fatalf("set: %q, %v", k, err)
	}
}

// startDemo serves the demo app with a fresh session key; its Hub (the
// default one newApp mounts) is closed when the test ends.
func startDemo(t *testing.T) *liveviewtest.LT {
	t.Helper()
	e := newApp(sessions.NewCookieStore(bytes.Repeat([]byte("k"), 32)))
	hub := liveview.Default()
	t.Cleanup(func() { _ = hub.Close() })
	return liveviewtest.New(t, e)
}

// TestQuickStart: Django LiveView's quick start, unchanged: the greeting
// comes back over the WebSocket, "World" when no name was typed.
func TestQuickStart(t *testing.T) {
	page := startDemo(t).Open("/")
	if got := page.Text("#greeting"); got != "Hello, World!" {
		t.Errorf("first render %q", got)
	}
	for _, tc := range []struct{ name, want string }{
		{"Ada", "Hello, Ada!"},
		{"<b>Bob</b>", "Hello, <b>Bob</b>!"}, // escaped by html/template
		{"", "Hello, World!"},
	} {
		page.Fill("input[name=name]", tc.name)
		page.Click("button[data-liveview-function=say_hello]")
		if got := page.Text("#greeting"); got != tc.want {
			t.Errorf("name %q: greeting %q, want %q", tc.name, got, tc.want)
		}
	}
	if n := page.Count("#greeting b"); n != 0 {
		t.Errorf("typed HTML became %d elements: %s", n, page.HTML("#greeting"))
	}
	if errs := page.Errors(); len(errs) != 0 {
		t.Errorf("error frames %+v", errs)
	}
}

// TestPerUserRooms: the room comes from the session, so what one user
// publishes reaches both of that user's tabs and nobody else, while an
// announcement reaches everybody.
func TestPerUserRooms(t *testing.T) {
	lt := startDemo(t)
	alice, bob := lt.NewUser(), lt.NewUser()
	tab1 := alice.Open("/room")
	tab2 := alice.Open("/room")
	other := bob.Open("/room")
	if a, b := tab1.Text("#user"), other.Text("#user"); a == "" || a == b || tab2.Text("#user") != a {
		t.Fatalf("users: alice %q and %q, bob %q: want one ID per session", a, tab2.Text("#user"), b)
	}

	const note = "button[data-liveview-function=notify_me]"
	tab1.Click(note)
	for _, tab := range []*liveviewtest.Page{tab1, tab2} {
		tab.WaitFor("#notifications li")
		if got := tab.Text("#notifications li"); !strings.HasPrefix(got, "Note at ") {
			t.Errorf("alice's notification %q", got)
		}
	}
	// Bob's own notification comes through his room after alice's would
	// have, had it been published there.
	other.Click(note)
	other.WaitFor("#notifications li")
	if n := other.Count("#notifications li"); n != 1 {
		t.Errorf("bob has %d notifications, want 1 (his own): rooms leak between users", n)
	}
	if n := tab1.Count("#notifications li"); n != 1 {
		t.Errorf("alice has %d notifications, want 1", n)
	}

	other.Fill("input[name=text]", "lunch")
	other.Click("button[data-liveview-function=announce]")
	for _, tab := range []*liveviewtest.Page{tab1, tab2, other} {
		tab.WaitText("#announcements li", "Announcement: lunch")
	}
	if tab1.URL() != "/room" {
		t.Errorf("the page navigated: %s", tab1.URL())
	}
}
