package liveviewtest_test

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// TestOnce: the page's events carry ids (EventID in the handler, Pending
// while unanswered); one sent again (Resend, as after a drop before its
// answer) does not run again and its frames are replayed; after Reconnect
// the page still works and a new click runs.
func TestOnce(t *testing.T) {
	var runs atomic.Int64
	ids := make(chan string, 4)
	page := doc(`<button id="inc" data-liveview-function="inc" data-action="page#run">+</button><p id="n"></p>`)
	a := newApp(t, liveview.Config{}, map[string]string{"/": page}, func(h *liveview.Hub) {
		h.Handle("inc", func(c *liveview.Context) error {
			ids <- c.EventID()
			return c.HTML("#n", fmt.Sprint(runs.Add(1)))
		})
	})
	p := liveviewtest.New(t, a.e).Open("/")
	p.Click("#inc")
	id := <-ids
	if id == "" || len(p.Pending()) != 0 {
		t.Fatalf("EventID %q, pending %v", id, p.Pending())
	}
	p.HTML("#n") // applied
	p.Resend()
	if runs.Load() != 1 || !slices.Equal(p.Once(), []string{"replayed"}) || p.Text("#n") != "1" {
		t.Fatalf("after Resend: %d runs, once %v, #n %q", runs.Load(), p.Once(), p.Text("#n"))
	}
	p.Reconnect()
	p.Click("#inc")
	if id2 := <-ids; id2 == id || runs.Load() != 2 || p.Text("#n") != "2" {
		t.Fatalf("after Reconnect: id %q (first %q), %d runs, #n %q", id2, id, runs.Load(), p.Text("#n"))
	}
}

// TestOnceDroppedWhenExpired: an event whose handler expired the session
// (close 4401) is not kept pending: the ended session's events are
// dropped, never re-sent after a reload or a Reconnect, as socket.js does.
func TestOnceDroppedWhenExpired(t *testing.T) {
	var runs atomic.Int64
	page := doc(`<button id="bye" data-liveview-function="bye" data-action="page#run">Bye</button>`)
	a := newApp(t, liveview.Config{}, map[string]string{"/": page}, func(h *liveview.Hub) {
		h.Handle("bye", func(c *liveview.Context) error {
			runs.Add(1)
			return liveview.ErrSessionExpired
		})
	})
	p := liveviewtest.New(t, a.e).Open("/")
	p.Click("#bye")
	p.Wait("the session to expire", p.Expired)
	if got := p.Pending(); len(got) != 0 {
		t.Fatalf("pending after the session expired: %v", got)
	}
	if runs.Load() != 1 {
		t.Fatalf("bye ran %d times", runs.Load())
	}
}
