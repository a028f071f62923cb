package liveview_test

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/pubsub"
)

// presenceTemplates are the presence test app's templates: a page with
// the online list, and the list itself.
var presenceTemplates = template.Must(template.New("").Parse(`
{{define "room.html"}}<!DOCTYPE html>
<html lang="en" data-room="lobby">
<head><title>Lobby</title></head>
<body data-controller="page">
  <ul id="online"></ul>
  <button id="away" data-liveview-function="away" data-action="click->page#run">Away</button>
  <button id="burst" data-liveview-function="burst" data-action="click->page#run">Burst</button>
  <button id="leave" data-liveview-function="leave" data-action="click->page#run">Leave</button>
  <script src="/static/liveview/liveview.min.js" defer></script>
</body>
</html>{{end}}
{{define "online.html"}}{{range .}}<li id="u-{{.Key}}">{{.Meta.name}} {{.Meta.status}} x{{.Count}}</li>{{end}}{{end}}`))

type presenceRenderer struct{}

func (presenceRenderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return presenceTemplates.ExecuteTemplate(w, name, data)
}

// presenceApp is a lobby whose visitors (the X-User header) track
// themselves in "lobby" and see who is online in #online. cfg's Presence
// and Broker are shared when several apps model several instances.
func presenceApp(t *testing.T, cfg liveview.Config, diffs chan<- presence.Diff) (*echo.Echo, *liveview.Hub) {
	t.Helper()
	e := echo.New()
	e.Renderer = presenceRenderer{}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.PresenceInterval = 10 * time.Millisecond
	cfg.OnConnect = func(ec echo.Context, c *liveview.Context) error {
		user := ec.Request().Header.Get("X-User")
		c.Set("user", user)
		if err := c.Track("lobby", user, map[string]string{"name": user, "status": "here"}); err != nil {
			return err
		}
		if diffs != nil {
			if err := c.WatchPresence("lobby", func(_ *liveview.Context, d presence.Diff) { diffs <- d }); err != nil {
				return err
			}
		}
		return c.ShowPresence("lobby", "#online", "online.html")
	}
	hub := liveview.New(cfg)
	hub.Handle("away", func(c *liveview.Context) error {
		user := c.Get("user").(string)
		return c.Track("lobby", user, map[string]string{"name": user, "status": "away"})
	})
	hub.Handle("leave", func(c *liveview.Context) error {
		c.HidePresence("lobby")
		return c.Untrack("lobby")
	})
	// A hostile handler: a burst of status changes from one visitor.
	hub.Handle("burst", func(c *liveview.Context) error {
		user := c.Get("user").(string)
		for i := range 200 {
			if err := c.Track("lobby", user, map[string]any{"name": user, "status": fmt.Sprint("s", i)}); err != nil {
				return err
			}
		}
		return c.Track("lobby", user, map[string]string{"name": user, "status": "calm"})
	})
	e.Use(hub.Middleware())
	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "room.html", nil) })
	t.Cleanup(func() { _ = hub.Close() })
	return e, hub
}

// TestPresenceShow: two tabs of one user are one key with two metas, the
// list is rendered into every page and follows changes (a status, a tab
// closed, a visitor leaving), and the last tab's close removes the key.
func TestPresenceShow(t *testing.T) {
	e, hub := presenceApp(t, liveview.Config{}, nil)
	lt := liveviewtest.New(t, e)
	ada1 := lt.Open("/", liveviewtest.WithHeader("X-User", "ada"))
	ada2 := lt.Open("/", liveviewtest.WithHeader("X-User", "ada"))
	bob := lt.Open("/", liveviewtest.WithHeader("X-User", "bob"))
	for _, p := range []*liveviewtest.Page{ada1, ada2, bob} {
		p.WaitText("#online", "ada here x2bob here x1")
	}
	list, err := hub.Presence(context.Background(), "lobby")
	if err != nil || len(list) != 2 || list[0].Key != "ada" || list[0].Count() != 2 || list[1].Key != "bob" {
		t.Fatalf("Hub.Presence = %+v, %v", list, err)
	}

	bob.Click("#away")
	ada1.WaitText("#online", "ada here x2bob away x1")
	ada2.Close()
	ada1.WaitText("#online", "ada here x1bob away x1")
	bob.WaitText("#online", "ada here x1bob away x1")

	bob.Click("#leave") // untracked and no longer watching
	ada1.WaitText("#online", "ada here x1")
	if got := bob.Text("#online"); got != "ada here x1bob away x1" {
		t.Errorf("bob's list after leaving: %q", got)
	}
	ada1.Close()
	waitPresence(t, hub, "lobby", "")
}

// waitPresence waits until hub lists want ("key xN, ..."; "" for nobody).
func waitPresence(t *testing.T, hub *liveview.Hub, topic, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, err := hub.Presence(context.Background(), topic)
		var parts []string
		for _, p := range list {
			parts = append(parts, fmt.Sprintf("%s x%d", p.Key, p.Count()))
		}
		got := strings.Join(parts, ", ")
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("presence of %q: %q (%v), want %q", topic, got, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPresenceInstances: two Hubs sharing a Broker and a Tracker store
// (the in-process one here; presence/redis has the same test over Redis)
// agree on the list, and a page on one sees the visitors of the other.
func TestPresenceInstances(t *testing.T) {
	broker := pubsub.NewMemory()
	store := presence.NewMemory(presence.Limits{})
	t.Cleanup(func() { _ = store.Close(); _ = broker.Close() })
	cfg := liveview.Config{Broker: broker, Presence: store}
	e1, hub1 := presenceApp(t, cfg, nil)
	e2, hub2 := presenceApp(t, cfg, nil)
	a := liveviewtest.New(t, e1).Open("/", liveviewtest.WithHeader("X-User", "ada"))
	b := liveviewtest.New(t, e2).Open("/", liveviewtest.WithHeader("X-User", "bob"))
	a.WaitText("#online", "ada here x1bob here x1")
	b.WaitText("#online", "ada here x1bob here x1")
	a2 := liveviewtest.New(t, e2).Open("/", liveviewtest.WithHeader("X-User", "ada")) // a tab on the other instance
	a.WaitText("#online", "ada here x2bob here x1")
	waitPresence(t, hub1, "lobby", "ada x2, bob x1")
	waitPresence(t, hub2, "lobby", "ada x2, bob x1")
	a.Close()
	b.WaitText("#online", "ada here x1bob here x1")
	a2.Close()
	b.WaitText("#online", "bob here x1")
}

// TestPresenceWatch: WatchPresence gets each change as entries joined and
// left, the status change as a leave and a join of the same ref.
func TestPresenceWatch(t *testing.T) {
	diffs := make(chan presence.Diff, 16)
	e, _ := presenceApp(t, liveview.Config{}, diffs)
	lt := liveviewtest.New(t, e)
	ada := lt.Open("/", liveviewtest.WithHeader("X-User", "ada"))
	ada.WaitText("#online", "ada here x1")
	bob := lt.Open("/", liveviewtest.WithHeader("X-User", "bob"))
	next := func(what string) presence.Diff {
		t.Helper()
		select {
		case d := <-diffs:
			return d
		case <-time.After(10 * time.Second):
			t.Fatalf("no diff for %s", what)
			return presence.Diff{}
		}
	}
	// ada's watch sees bob's join (bob's may too: the Hub watches the
	// topic once for both, and bob's function may be registered before
	// the diff of his own Track is delivered).
	if d := next("bob's join"); len(d.Joins) != 1 || d.Joins[0].Key != "bob" || len(d.Leaves) != 0 || d.Topic != "lobby" {
		t.Fatalf("bob's join: %+v", d)
	}
	bob.Click("#away")
	for seen := 0; seen < 2; { // ada's and bob's watches
		d := next("bob away")
		if len(d.Leaves) == 0 && len(d.Joins) == 1 && d.Joins[0].Key == "bob" && strings.Contains(string(d.Joins[0].Meta), "here") {
			continue // bob's own join, seen by his watch
		}
		if len(d.Joins) != 1 || len(d.Leaves) != 1 || d.Joins[0].Ref != d.Leaves[0].Ref || !strings.Contains(string(d.Joins[0].Meta), "away") {
			t.Fatalf("bob away: %+v", d)
		}
		seen++
	}
}

// TestPresenceRefusals: bad topics, too many topics, a meta too large or
// not JSON are clear errors, and the connection lives on.
func TestPresenceRefusals(t *testing.T) {
	errs := make(chan error, 8)
	e := echo.New()
	e.Renderer = presenceRenderer{}
	hub := liveview.New(liveview.Config{MaxTopics: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(func() { _ = hub.Close() })
	hub.Handle("away", func(c *liveview.Context) error {
		errs <- c.Track("bad topic", "k", nil)
		errs <- c.Track("t1", "k", strings.Repeat("x", 5000))
		errs <- c.Track("t1", "k", func() {})
		errs <- c.Track("t1", "", nil)
		errs <- c.Track("t1", "k", nil)
		errs <- c.Track("t2", "k", nil)
		errs <- c.Track("t3", "k", nil)
		errs <- c.ShowPresence("t1", "", "online.html")
		return nil
	})
	e.Use(hub.Middleware())
	e.GET("/", func(c echo.Context) error { return c.Render(http.StatusOK, "room.html", nil) })
	p := liveviewtest.New(t, e).Open("/")
	p.Click("#away")
	for _, want := range []struct {
		name string
		is   error
	}{
		{"bad topic", liveview.ErrInvalidTopic},
		{"meta too large", presence.ErrTooLarge},
		{"meta not JSON", nil},
		{"empty key", presence.ErrInvalid},
		{"t1", nil},
		{"t2", nil},
		{"third topic", liveview.ErrTooManyTopics},
		{"ShowPresence without target", nil},
	} {
		err := <-errs
		switch {
		case want.is != nil && !errors.Is(err, want.is):
			t.Errorf("%s: %v, want %v", want.name, err, want.is)
		case want.is == nil && (want.name == "t1" || want.name == "t2") && err != nil:
			t.Errorf("%s: %v", want.name, err)
		case want.is == nil && want.name != "t1" && want.name != "t2" && (err == nil || !strings.HasPrefix(err.Error(), "liveview: ")):
			t.Errorf("%s: %v, want a liveview: error", want.name, err)
		}
	}
	waitPresence(t, hub, "t1", "k x1")
	p.Close()
	waitPresence(t, hub, "t1", "")
	waitPresence(t, hub, "t2", "")
}

// TestPresenceBurst: one visitor changing status 200 times in a row costs
// the other pages a few coalesced renders, not 200 frames, and nobody is
// disconnected.
func TestPresenceBurst(t *testing.T) {
	e, _ := presenceApp(t, liveview.Config{}, nil)
	lt := liveviewtest.New(t, e)
	var watchers []*liveviewtest.Page
	for i := range 20 {
		watchers = append(watchers, lt.Open("/", liveviewtest.WithHeader("X-User", fmt.Sprint("w", i))))
	}
	hostile := lt.Open("/", liveviewtest.WithHeader("X-User", "zed"))
	for _, w := range watchers {
		w.WaitText("#u-zed", "zed here x1")
	}
	before := len(watchers[0].Frames())
	hostile.Click("#burst")
	var wg sync.WaitGroup
	for _, w := range watchers {
		wg.Go(func() { w.WaitText("#u-zed", "zed calm x1") })
	}
	wg.Wait()
	if n := len(watchers[0].Frames()) - before; n > 50 {
		t.Errorf("a watcher got %d frames for 201 changes, want them coalesced", n)
	}
	for _, w := range watchers {
		if strings.Count(w.HTML("#online"), "<li") != 21 {
			t.Errorf("a watcher's list: %s", w.HTML("#online"))
		}
	}
}
