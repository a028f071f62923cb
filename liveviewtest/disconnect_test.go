package liveviewtest_test

import (
	"strings"
	"testing"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// TestDisconnected: Hub.Disconnect of a topic the page joined closes it
// with 4403: Disconnected reports it with the banner's text (the reason,
// else the client's default message), other pages stay, and actions fail
// saying so.
func TestDisconnected(t *testing.T) {
	page := doc(`<button id="join" data-liveview-function="join" data-action="page#run">Join</button>
<button id="save" data-liveview-function="save" data-action="page#run">Save</button>
<p id="saved"></p>`)
	a := newApp(t, liveview.Config{}, map[string]string{"/": page}, func(h *liveview.Hub) {
		h.Handle("join", func(c *liveview.Context) error { return c.Join("user:" + c.Request().Header.Get("X-User")) })
		h.Handle("save", func(c *liveview.Context) error { return c.HTML("#saved", "saved") })
	})
	lt := liveviewtest.New(t, a.e)
	for _, tc := range []struct{ reason, banner string }{
		{"Signed out elsewhere.", "Signed out elsewhere."},
		{"", "You have been disconnected."}, // webSocketConfig.disconnectedMessage's default
	} {
		gone := lt.Open("/", liveviewtest.WithHeader("X-User", "1"))
		stays := lt.Open("/", liveviewtest.WithHeader("X-User", "2"))
		gone.Click("#join")
		stays.Click("#join")
		if ok, _ := gone.Disconnected(); ok {
			t.Fatal("disconnected at once")
		}
		if err := a.hub.Disconnect(t.Context(), "user:1", tc.reason); err != nil {
			t.Fatal(err)
		}
		gone.Wait("the disconnect", func() bool { ok, _ := gone.Disconnected(); return ok })
		if _, text := gone.Disconnected(); text != tc.banner {
			t.Errorf("Disconnected text %q, want %q", text, tc.banner)
		}
		if got := gone.Text("#no-connection"); got != tc.banner {
			t.Errorf("banner %q, want %q", got, tc.banner)
		}
		stays.Click("#save")
		if got := stays.Text("#saved"); got != "saved" {
			t.Errorf("the other page: %q", got)
		}
	}
	msg := failure(t, func(tb testing.TB) {
		p := liveviewtest.New(tb, a.e).Open("/", liveviewtest.WithHeader("X-User", "3"))
		p.Click("#join")
		_ = a.hub.Disconnect(t.Context(), "user:3", "bye")
		p.Wait("the disconnect", func() bool { ok, _ := p.Disconnected(); return ok })
		p.Click("#save")
	})
	if !strings.Contains(msg, "the server disconnected the page (close 4403") || !strings.Contains(msg, `"bye"`) {
		t.Errorf("an action after the disconnect: %q", msg)
	}
}
