package liveview_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/liveviewtest"
)

// uploadHookPage is a form with a file input, submitted to "save", and one
// whose function has no handler.
const uploadHookPage = `<!DOCTYPE html><html lang="en" data-room="lobby"><head><title>Upload</title></head>
<body data-controller="page">
<form id="f" data-action="submit->page#run:prevent" data-liveview-function="save">
<input type="file" name="docs" multiple><span data-liveview-upload-error="docs"></span>
<button type="submit">Save</button></form>
<form id="g" data-action="submit->page#run:prevent" data-liveview-function="nobody">
<input type="file" name="other"><span data-liveview-upload-error="other"></span>
<button type="submit">Send</button></form>
<div id="saved"></div>
<script src="/static/liveview/liveview.min.js" defer></script>
</body></html>`

// TestHooksUpload: a complete upload calls Upload once with its function,
// files and received bytes, before its handler runs; a refused one with
// the announced files and bytes and an error wrapping ErrUploadRefused and
// its reason; an upload for a function with no handler gets the function
// label "unknown".
func TestHooksUpload(t *testing.T) {
	var (
		mu      sync.Mutex
		uploads []liveview.UploadInfo
	)
	hooks := &liveview.Hooks{Upload: func(u liveview.UploadInfo) {
		mu.Lock()
		uploads = append(uploads, u)
		mu.Unlock()
	}}
	e := echo.New()
	hub := liveview.New(liveview.Config{
		Hooks:  hooks,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Upload: liveview.UploadConfig{Dir: t.TempDir(), MaxFileSize: 100, ChunkSize: 10},
	})
	seen := make(chan int, 4) // uploads the hook had seen when the handler ran
	hub.Handle("save", func(c *liveview.Context) error {
		mu.Lock()
		seen <- len(uploads)
		mu.Unlock()
		return c.HTML("#saved", "saved")
	})
	e.Use(hub.Middleware())
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, uploadHookPage) })
	t.Cleanup(func() { _ = hub.Close() })

	page := liveviewtest.New(t, e).Open("/")
	page.SetFiles("[name=docs]",
		liveviewtest.File{Name: "a.txt", Content: []byte("0123456789abcdefghij")}, // 2 chunks
		liveviewtest.File{Name: "b.txt", Content: []byte("xyz")},
		liveviewtest.File{Name: "empty.txt"})
	page.Submit("#f")
	if page.Text("#saved") != "saved" {
		t.Fatalf("not saved: %s", page.HTML("#saved"))
	}
	if n := <-seen; n != 1 {
		t.Errorf("the handler ran with %d Upload calls before it, want 1", n)
	}
	page.SetFiles("[name=docs]", liveviewtest.File{Name: "big.txt", Content: make([]byte, 101)}, liveviewtest.File{Name: "ok.txt", Content: []byte("ok")})
	page.Submit("#f")
	page.SetFiles("[name=other]", liveviewtest.File{Name: "c.txt", Content: []byte("c")})
	page.Submit("#g")
	if got := len(page.UploadErrors()); got != 2 {
		t.Fatalf("%d refusals on the page, want 2: %v", got, page.UploadErrors())
	}

	mu.Lock()
	defer mu.Unlock()
	want := []struct {
		function string
		files    int
		bytes    int64
		refused  bool
		reason   error
	}{
		{"save", 3, 23, false, nil},
		{"save", 2, 103, true, liveview.ErrFileTooLarge},
		{liveview.UnknownFunction, 1, 1, true, liveview.ErrUploadsDisabled},
	}
	if len(uploads) != len(want) {
		t.Fatalf("%d Upload calls, want %d: %+v", len(uploads), len(want), uploads)
	}
	var ids []string
	for i, w := range want {
		u := uploads[i]
		if u.Function != w.function || u.Files != w.files || u.Bytes != w.bytes || (u.Err != nil) != w.refused {
			t.Errorf("upload %d: %s, %d files, %d bytes, err %v; want %s, %d, %d, refused %v", i, u.Function, u.Files, u.Bytes, u.Err, w.function, w.files, w.bytes, w.refused)
		}
		if w.refused && (!errors.Is(u.Err, liveview.ErrUploadRefused) || !errors.Is(u.Err, w.reason)) {
			t.Errorf("upload %d: err %v, want one wrapping ErrUploadRefused and %v", i, u.Err, w.reason)
		}
		if u.Conn.Room != "lobby" || u.Conn.ID == "" || u.Conn.Remote == "" || u.Conn.Request == nil {
			t.Errorf("upload %d: conn %+v", i, u.Conn)
		}
		ids = append(ids, u.Conn.ID)
	}
	if ids = slices.Compact(ids); len(ids) != 1 {
		t.Errorf("conn ids %v: one page, one connection", ids)
	}
}

// TestHooksPresenceDiff: each presence change of a watched topic calls
// PresenceDiff with its topic and the number of entries joined and left
// (a status change is a leave and a join of the same entry).
func TestHooksPresenceDiff(t *testing.T) {
	type call struct{ joins, leaves int }
	calls := make(chan liveview.PresenceInfo, 64)
	e, _ := presenceApp(t, liveview.Config{Hooks: &liveview.Hooks{PresenceDiff: func(p liveview.PresenceInfo) { calls <- p }}}, nil)
	next := func(what string) call {
		t.Helper()
		select {
		case p := <-calls:
			if p.Topic != "lobby" {
				t.Errorf("%s: topic %q", what, p.Topic)
			}
			return call{p.Joins, p.Leaves}
		case <-time.After(10 * time.Second):
			t.Fatalf("no PresenceDiff for %s", what)
			return call{}
		}
	}
	lt := liveviewtest.New(t, e)
	ada := lt.Open("/", liveviewtest.WithHeader("X-User", "ada"))
	ada.WaitText("#online", "ada here x1")
	// ada's own join may come before the Hub watched the topic (it is
	// then in the first list, not a diff): drain what came so far.
	for len(calls) > 0 {
		if c := next("ada's join"); c != (call{1, 0}) {
			t.Errorf("ada's join: %+v", c)
		}
	}
	bob := lt.Open("/", liveviewtest.WithHeader("X-User", "bob"))
	if c := next("bob's join"); c != (call{1, 0}) {
		t.Errorf("bob's join: %+v, want 1 join", c)
	}
	ada.WaitText("#online", "ada here x1bob here x1")
	bob.Click("#away")
	if c := next("bob away"); c != (call{1, 1}) {
		t.Errorf("bob away: %+v, want 1 join and 1 leave", c)
	}
	bob.Close()
	if c := next("bob gone"); c != (call{0, 1}) {
		t.Errorf("bob gone: %+v, want 1 leave", c)
	}
	ada.WaitText("#online", "ada here x1")
	select {
	case p := <-calls:
		t.Errorf("an extra PresenceDiff: %+v", p)
	default:
	}
}
