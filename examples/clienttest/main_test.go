package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

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

// TestPagesOpen: every fixture page loads and connects as the bundled
// client would, and its init events are answered (liveviewtest; the
// browser tests in e2e drive the same pages in Chromium).
func TestPagesOpen(t *testing.T) {
	e, hubs := newApp()
	t.Cleanup(func() {
		for _, h := range hubs {
			_ = h.Close()
		}
	})
	lt := liveviewtest.New(t, e)
	for _, name := range pages {
		t.Run(name, func(t *testing.T) {
			var opts []liveviewtest.Option
			if name == "custompath" {
				opts = append(opts, liveviewtest.WithSocketPath("/custom/ws"))
			}
			page := lt.Open("/p/"+name, opts...)
			if page.Room() == "" || !page.Exists("#log") {
				t.Errorf("room %q, #log present %v", page.Room(), page.Exists("#log"))
			}
		})
	}
}

// TestRulesPage: a few triggers of /p/rules as the server receives them
// (e2e's TestClientRulesParity checks every one against Chromium).
func TestRulesPage(t *testing.T) {
	e, hubs := newApp()
	t.Cleanup(func() {
		for _, h := range hubs {
			_ = h.Close()
		}
	})
	page := liveviewtest.New(t, e).Open("/p/rules")
	page.Click("#r-click")
	page.Click("#r-form-submit")
	page.Key("#r-keys", "ctrl+shift+p")
	page.Click("#r-frames")
	// Two inits, then the click, the submit and the key (frames log nothing).
	if got := page.Count("#log li"); got != 5 {
		t.Fatalf("%d events logged, want 5: %s", got, page.Text("#log"))
	}
	for i, want := range []string{
		`"data":{"data_x":"1","n":"init"}`,
		`{"data":{"n":"nested-init"},"form":{},"function":"record"`,
		`"data":{"0":"zero","1":"one","data_data_deep":"d","data_user_id":"7","foo-_bar":"fb","n":"click","page_x_param":"p","product_id":"3"}`,
		`{"data":{"n":"submit"},"form":{"agree":false,"title":"T"},"function":"record"`,
		`"function":"rules_shift"`,
	} {
		if got := page.Text(fmt.Sprintf("#log li:nth-child(%d)", i+1)); !strings.Contains(got, want) {
			t.Errorf("event %d: %s\nwant %s in it", i+1, got, want)
		}
	}
	if page.Text("#r-target") != "last" || page.URL() != "/p/rules?nav=1" || page.Title() != "Rules, navigated" {
		t.Errorf("frames: %q %q %q", page.Text("#r-target"), page.URL(), page.Title())
	}
}
