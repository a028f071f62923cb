package liveviewtest_test

import (
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// TestPushEvent sends what a client hook's this.pushEvent sends and gets
// Context.Reply's value back, or the handler's error.
func TestPushEvent(t *testing.T) {
	second := make(chan error, 1)
	a := newApp(t, liveview.Config{}, map[string]string{
		"/": doc(`<div id="chart" data-liveview-hook="Chart" data-kind="bar"></div>`),
	}, func(h *liveview.Hub) {
		h.Handle("chart_data", func(c *liveview.Context) error {
			err := c.Reply(map[string]any{"points": []int{1, 2, 3}, "n": c.Data("n"), "kind": c.Data("kind")})
			second <- c.Reply("again") // a ref is answered once
			return err
		})
		h.Handle("no_reply", func(*liveview.Context) error { return nil })
		h.Handle("broken", func(*liveview.Context) error { return liveview.NewError("no data") })
	})
	p := liveviewtest.New(t, a.e).Open("/")

	reply, err := p.PushEvent("#chart", "chart_data", map[string]any{"n": "5"})
	if err != nil {
		t.Fatal(err)
	}
	// The data is pushEvent's, not the element's dataset.
	want := map[string]any{"points": []any{1.0, 2.0, 3.0}, "n": "5", "kind": ""}
	if !reflect.DeepEqual(reply, want) {
		t.Errorf("reply %#v, want %#v", reply, want)
	}
	// The handler goes on after its first Reply answered the event.
	if err := <-second; !errors.Is(err, liveview.ErrNoRef) {
		t.Errorf("second Reply: %v, want ErrNoRef", err)
	}
	if reply, err := p.PushEvent("#chart", "no_reply", nil); reply != nil || err != nil {
		t.Errorf("no_reply: %v, %v; want nil, nil", reply, err)
	}
	if _, err := p.PushEvent("#chart", "broken", nil); err == nil || err.Error() != `liveviewtest: PushEvent("#chart", "broken"): no data` {
		t.Errorf("broken: %v", err)
	}
	if _, busy := p.Attr("#chart", "aria-busy"); busy {
		t.Error("the hook element keeps its loading state")
	}
}

// TestReconnectRecoversForms: after a reconnect the marked form re-sends
// its current values before anything else, and the page keeps its DOM.
func TestReconnectRecoversForms(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	a := newApp(t, liveview.Config{}, map[string]string{
		"/": doc(`<form id="f" data-liveview-recover="restore" data-step="2">
  <input name="title" value="Draft"><input type="checkbox" name="done">
</form>
<form id="plain"><input name="other" value="x"></form>
<p id="out"></p>`),
	}, func(h *liveview.Hub) {
		h.Handle("restore", func(c *liveview.Context) error {
			mu.Lock()
			calls = append(calls, c.FormValue("title")+" "+c.FormValue("done")+" "+c.Data("step"))
			mu.Unlock()
			return c.HTML("#out", "restored "+c.FormValue("title"))
		})
	})
	p := liveviewtest.New(t, a.e).Open("/")
	if len(calls) != 0 {
		t.Fatalf("recovery before any reconnect: %q", calls)
	}
	p.SetAttr("#f input[name=title]", "value", "Final")
	p.Reconnect()
	if got := p.Text("#out"); got != "restored Final" {
		t.Errorf("#out = %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"Final false 2"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("recover events %q, want %q", calls, want)
	}
}
