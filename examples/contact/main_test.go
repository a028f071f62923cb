package main

import (
	"reflect"
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

// startContact serves the contact app; its Hub (the default one newApp
// mounts) is closed when the test ends.
func startContact(t *testing.T) *liveviewtest.LT {
	t.Helper()
	e := newApp()
	hub := liveview.Default()
	t.Cleanup(func() { _ = hub.Close() })
	return liveviewtest.New(t, e)
}

// fillBadly types a name, a bad email, a message too short and a word for
// a number, and submits.
func fillBadly(page *liveviewtest.Page) {
	page.Fill("input[name=name]", "Ada")
	page.Fill("input[name=email]", "ada-at-example")
	page.Fill("textarea[name=message]", "Hi")
	page.Fill("input[name=copies]", "two")
	page.Click("button[data-liveview-function=submit_contact]")
}

// TestContactErrors: an invalid submission shows an error next to each bad
// field and none next to the good ones.
func TestContactErrors(t *testing.T) {
	page := startContact(t).Open("/")
	fillBadly(page)
	for sel, want := range map[string]string{
		"#error-name":    "",
		"#error-email":   "Enter a valid email address.",
		"#error-topic":   "",
		"#error-message": "Use at least 10 characters.",
		"#error-copies":  "Enter a whole number.",
	} {
		if got := page.Text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if page.Exists("#contact-container .success") {
		t.Error("an invalid form was thanked for")
	}
}

// TestContactKeepsValues: the form that comes back with its errors keeps
// what was typed, the value that did not convert included.
func TestContactKeepsValues(t *testing.T) {
	page := startContact(t).Open("/")
	page.Change("select[name=topic]", "bug")
	page.Click("input[name=subscribe]")
	fillBadly(page)
	if page.Text("#error-email") == "" {
		t.Fatal("the form did not come back with its errors")
	}
	for _, field := range []struct{ name, want string }{
		{"name", "Ada"}, {"email", "ada-at-example"}, {"copies", "two"},
	} {
		if got, _ := page.Attr("input[name="+field.name+"]", "value"); got != field.want {
			t.Errorf("%s kept %q, want %q", field.name, got, field.want)
		}
	}
	if got := page.Text("textarea[name=message]"); got != "Hi" {
		t.Errorf("message kept %q", got)
	}
	if !page.Exists("select[name=topic] option[value=bug][selected]") || !page.Exists("input[name=subscribe][checked]") {
		t.Errorf("topic or subscribe lost: %s", page.HTML("#contact-container"))
	}
}

// TestContactBlur: leaving a field checks that field alone (Django
// LiveView's real-time validation): its error comes and goes, the other
// fields' slots stay empty.
func TestContactBlur(t *testing.T) {
	page := startContact(t).Open("/")
	page.Blur("input[name=name]")
	if got := page.Text("#error-name"); got != "This field is required." {
		t.Errorf("empty name on blur: %q", got)
	}
	if got := page.Text("#error-email"); got != "" {
		t.Errorf("the email was checked with the name: %q", got)
	}
	page.Fill("input[name=name]", "Ada")
	page.Blur("input[name=name]")
	if got := page.Text("#error-name"); got != "" {
		t.Errorf("valid name on blur: %q", got)
	}
	page.Fill("input[name=email]", "ada-at-example")
	page.Blur("input[name=email]")
	if got := page.Text("#error-email"); got != "Enter a valid email address." {
		t.Errorf("bad email on blur: %q", got)
	}
}

// TestContactSuccess: once every field is valid, a thank you replaces the
// form, even after a failed submission.
func TestContactSuccess(t *testing.T) {
	page := startContact(t).Open("/")
	fillBadly(page)
	page.Fill("input[name=email]", "ada@example.com")
	page.Fill("textarea[name=message]", "Hi there, a longer message.")
	page.Fill("input[name=copies]", "2")
	page.Click("button[data-liveview-function=submit_contact]")
	if got := page.Text("#contact-container h2"); got != "Thank you, Ada!" {
		t.Errorf("heading %q", got)
	}
	if got := page.Text("#contact-container p"); got != "We'll be in touch at ada@example.com." {
		t.Errorf("text %q", got)
	}
	if page.Exists("#contact-container form") || len(page.Errors()) != 0 {
		t.Errorf("form still there or error frames %+v", page.Errors())
	}
}

// TestContactFlash: flash messages say how it went: an error after an
// invalid submission, replaced by a success once it is valid; "Send
// another message" redirects to an empty form (a full page load), which
// shows the messages carried over.
func TestContactFlash(t *testing.T) {
	page := startContact(t).Open("/")
	fillBadly(page)
	if got := page.Flashes(); len(got) != 1 || got[0] != (liveview.Flash{Kind: "error", Text: "Please fix the fields marked in red."}) {
		t.Fatalf("after an invalid submission: %+v", got)
	}
	if got := page.Text("#flash .liveview-flash-error"); got != "Please fix the fields marked in red.×" {
		t.Errorf("the error message reads %q", got)
	}
	page.Fill("input[name=email]", "ada@example.com")
	page.Fill("textarea[name=message]", "Hi there, a longer message.")
	page.Fill("input[name=copies]", "2")
	page.Click("button[data-liveview-function=submit_contact]")
	success := liveview.Flash{Kind: "success", Text: "Message sent. Thank you, Ada!"}
	if got := page.Flashes(); len(got) != 1 || got[0] != success {
		t.Fatalf("after a valid submission: %+v", got)
	}

	page.Click("button[data-liveview-function=start_over]")
	if got := page.Redirected(); got != "/" {
		t.Fatalf("Redirected() = %q, want /", got)
	}
	page.FollowRedirect()
	if !page.Exists("#contact-container form") || page.Exists("#contact-container .success") {
		t.Errorf("not an empty form: %s", page.HTML("#contact-container"))
	}
	if v, _ := page.Attr("input[name=name]", "value"); v != "" {
		t.Errorf("the new form has a name: %q", v)
	}
	want := []liveview.Flash{success, {Kind: "info", Text: "Ready for a new message."}}
	if got := page.Flashes(); !reflect.DeepEqual(got, want) || page.Count("#flash .liveview-flash") != 2 {
		t.Errorf("the new page shows %+v: %s", got, page.HTML("#flash"))
	}
}
