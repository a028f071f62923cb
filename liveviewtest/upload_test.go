package liveviewtest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/liveviewtest"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// uploadPage is a profile form with an avatar, attachments and their
// progress and error elements.
var uploadPage = doc(`<form id="profile" data-action="submit->page#run:prevent" data-liveview-function="save_profile">
<input name="name" value="Ada">
<input type="file" name="avatar" accept="image/*"><span data-liveview-upload-error="avatar"></span>
<input type="file" name="docs" multiple><progress data-liveview-upload-progress="docs"></progress>
<span data-liveview-upload-error="docs"></span>
<button id="save" type="submit">Save</button>
</form>
<div><input type="file" name="instant" data-action="change->page#run" data-liveview-function="save_profile"></div>
<div><button id="ping" data-action="page#run" data-liveview-function="ping">ping</button></div>
<div id="saved"></div><div id="pong"></div>`)

// uploadApp saves what its event brought into #saved: the form, then each
// file as field=name(type, size): content.
func uploadApp(t *testing.T, up liveview.UploadConfig) (*app, string) {
	t.Helper()
	up.Dir = t.TempDir()
	a := newApp(t, liveview.Config{Upload: up}, map[string]string{"/": uploadPage}, func(h *liveview.Hub) {
		h.Handle("save_profile", func(c *liveview.Context) error {
			out := []string{fmt.Sprintf("form %v", c.Form())}
			for _, field := range []string{"avatar", "docs", "instant"} {
				for _, f := range c.FormFiles(field) {
					r, err := f.Open()
					if err != nil {
						return err
					}
					b, _ := io.ReadAll(r)
					r.Close()
					out = append(out, fmt.Sprintf("%s=%s(%s, %d): %s", f.Field, f.Name, f.ContentType, f.Size, b))
				}
			}
			return c.HTML("#saved", strings.Join(out, "; "))
		})
		h.Handle("ping", func(c *liveview.Context) error { return c.HTML("#pong", "pong") })
	})
	return a, up.Dir
}

func dirEmpty(t *testing.T, dir string) {
	t.Helper()
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Fatalf("%s holds %d files", dir, len(ents))
	}
}

func TestSetFilesUploads(t *testing.T) {
	a, dir := uploadApp(t, liveview.UploadConfig{ChunkSize: 1000})
	page := liveviewtest.New(t, a.e).Open("/")
	big := bytes.Repeat([]byte("0123456789"), 1000) // 10 chunks: more than the window
	page.SetFiles("[name=avatar]", liveviewtest.File{Name: "me.png", Content: []byte("face")})
	page.SetFiles("[name=docs]", liveviewtest.File{Name: "big.txt", Content: big}, liveviewtest.File{Name: "empty.txt", Type: "text/x-empty"})
	page.Submit("#profile")
	got := page.Text("#saved")
	want := "form map[avatar:me.png docs:[big.txt empty.txt] name:Ada]; avatar=me.png(image/png, 4): face; docs=big.txt(text/plain, 10000): " + string(big) + "; docs=empty.txt(text/x-empty, 0): "
	if got != strings.Join(strings.Fields(want), " ") {
		t.Fatalf("saved %.300q", got)
	}
	if v, _ := page.Attr("progress", "value"); v != "10000" {
		t.Errorf("progress value %q", v)
	}
	sent := string(page.Sent()[len(page.Sent())-1])
	if !strings.Contains(sent, `"form":{"name":"Ada","avatar":"me.png","docs":["big.txt","empty.txt"]},"ref":1,"upload":1,"lang":"en"`) {
		t.Errorf("event %s", sent)
	}
	for _, f := range page.Frames() {
		if f.Extra["upload"] != nil {
			t.Fatalf("upload frame among Frames: %+v", f)
		}
	}
	dirEmpty(t, dir)

	// The input keeps its files: the next submit uploads them again.
	page.Submit("#profile")
	if sent := string(page.Sent()[len(page.Sent())-1]); !strings.Contains(sent, `"upload":2`) {
		t.Errorf("second event %s", sent)
	}
	// Clearing the inputs sends "" and [], and no upload.
	page.SetFiles("[name=avatar]")
	page.SetFiles("[name=docs]")
	page.Submit("#profile")
	if got := page.Text("#saved"); got != "form map[avatar: docs:[] name:Ada]" {
		t.Fatalf("without files: %q", got)
	}
	if len(page.UploadErrors()) != 0 {
		t.Fatalf("refusals %v", page.UploadErrors())
	}
}

// A change->page#run on the file input uploads as soon as files are
// chosen.
func TestSetFilesOnChange(t *testing.T) {
	a, dir := uploadApp(t, liveview.UploadConfig{})
	page := liveviewtest.New(t, a.e).Open("/")
	page.SetFiles("[name=instant]", liveviewtest.File{Name: "now.txt", Content: []byte("now")})
	if got := page.Text("#saved"); got != "form map[instant:now.txt]; instant=now.txt(text/plain, 3): now" {
		t.Fatalf("saved %q", got)
	}
	dirEmpty(t, dir)
}

func TestSetFilesRefused(t *testing.T) {
	a, dir := uploadApp(t, liveview.UploadConfig{MaxFileSize: 100, MaxFiles: 2, Accept: []string{"image/*", "text/plain"}})
	page := liveviewtest.New(t, a.e).Open("/")
	page.SetFiles("[name=avatar]", liveviewtest.File{Name: "huge.png", Content: make([]byte, 101)})
	page.Submit("#profile")
	want := []liveviewtest.UploadError{{Field: "avatar", Name: "huge.png", Message: "huge.png is larger than 100 bytes."}}
	if got := page.UploadErrors(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("refusals %v, want %v", got, want)
	}
	if page.Text("[data-liveview-upload-error=avatar]") != "huge.png is larger than 100 bytes." || page.Text("#saved") != "" {
		t.Fatalf("page after the refusal: %s", page.HTML("#profile"))
	}
	if _, busy := page.Attr("#profile", "aria-busy"); busy {
		t.Fatal("the form still loads")
	}
	// A sniffed HTML page named .png, and too many files.
	page.SetFiles("[name=avatar]", liveviewtest.File{Name: "fake.png", Content: []byte("<html><body>hi</body></html>")})
	page.Submit("#profile")
	page.SetFiles("[name=avatar]")
	page.SetFiles("[name=docs]", liveviewtest.File{Name: "1.txt"}, liveviewtest.File{Name: "2.txt"}, liveviewtest.File{Name: "3.txt"})
	page.Submit("#profile")
	errs := page.UploadErrors()
	if len(errs) != 3 || errs[1].Message != "fake.png is not an accepted type of file." || errs[2] != (liveviewtest.UploadError{Message: "Choose at most 2 files."}) {
		t.Fatalf("refusals %v", errs)
	}
	if got := page.Text("[data-liveview-upload-error=docs]"); got != "Choose at most 2 files." {
		t.Fatalf("docs error %q", got)
	}
	// The socket goes on.
	page.Click("#ping")
	if page.Text("#pong") != "pong" || len(page.Errors()) != 0 {
		t.Fatalf("after refusals: %q %v", page.Text("#pong"), page.Errors())
	}
	dirEmpty(t, dir)
}

// After a reconnect, files go over the new socket.
func TestSetFilesAfterReconnect(t *testing.T) {
	a, dir := uploadApp(t, liveview.UploadConfig{})
	page := liveviewtest.New(t, a.e).Open("/")
	page.Reconnect()
	page.SetFiles("[name=instant]", liveviewtest.File{Name: "after.txt", Content: []byte("after")})
	if got := page.Text("#saved"); !strings.HasSuffix(got, "instant=after.txt(text/plain, 5): after") {
		t.Fatalf("saved %q", got)
	}
	dirEmpty(t, dir)
}

func TestSetFilesMisuse(t *testing.T) {
	a, _ := uploadApp(t, liveview.UploadConfig{})
	for _, tc := range []struct {
		name, want string
		fn         func(p *liveviewtest.Page)
	}{
		{"not a file input", `is not an <input type="file">`, func(p *liveviewtest.Page) { p.SetFiles("[name=name]") }},
		{"two files, not multiple", "is not multiple", func(p *liveviewtest.Page) {
			p.SetFiles("[name=avatar]", liveviewtest.File{Name: "a"}, liveviewtest.File{Name: "b"})
		}},
		{"missing", "no element matches", func(p *liveviewtest.Page) { p.SetFiles("#nope") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := failure(t, func(tb testing.TB) {
				tc.fn(liveviewtest.New(tb, a.e).Open("/"))
			})
			mustContain(t, "failure", msg, tc.want)
		})
	}
}

// A form with a file input: the handler reads the file with FormFile; a
// file over the limit is refused with a message next to the input.
func ExamplePage_SetFiles() {
	test(func(t testing.TB) {
		form := doc(`<form data-action="submit->page#run:prevent" data-liveview-function="save_avatar">
  <input type="file" name="avatar" accept="image/*"> <span data-liveview-upload-error="avatar"></span>
  <button>Save</button>
</form>
<p id="saved"></p>`)
		a := newApp(t, liveview.Config{Upload: liveview.UploadConfig{MaxFileSize: 1 << 20}}, map[string]string{"/": form}, func(h *liveview.Hub) {
			h.Handle("save_avatar", func(c *liveview.Context) error {
				f, err := c.FormFile("avatar")
				if err != nil {
					return err
				}
				return c.HTML("#saved", fmt.Sprintf("Saved %s (%s, %d bytes)", f.Name, f.ContentType, f.Size))
			})
		})
		page := liveviewtest.New(t, a.e).Open("/")
		page.SetFiles("[name=avatar]", liveviewtest.File{Name: "me.png", Content: []byte("\x89PNG\r\n\x1a\n...")})
		page.Submit("form")
		fmt.Println(page.Text("#saved"))

		page.SetFiles("[name=avatar]", liveviewtest.File{Name: "huge.png", Content: make([]byte, 2<<20)})
		page.Submit("form")
		fmt.Println(page.Text("[data-liveview-upload-error=avatar]"))
		fmt.Printf("%+v\n", page.UploadErrors())
	})
	// Output:
	// Saved me.png (image/png, 11 bytes)
	// huge.png is larger than 1 MB.
	// [{Field:avatar Name:huge.png Message:huge.png is larger than 1 MB.}]
}

// TestUploadTwoInstances: two instances sharing one Redis behind a
// round-robin reverse proxy, without sticky sessions (a page's GET and its
// WebSocket land on different instances). Files travel over the page's
// own WebSocket, so they reach the instance whose handler reads them,
// whichever it is, and that handler's Broadcast reaches both pages.
func TestUploadTwoInstances(t *testing.T) {
	srv := redisserver.Start(t) // skips without redis-server, fails under CI
	pages := map[string]string{"/": doc(`<form id="f" data-action="submit->page#run:prevent" data-liveview-function="attach">
<input type="file" name="docs" multiple><button>Attach</button></form><ul id="log"></ul>`)}
	var backends []*url.URL
	for _, name := range []string{"one", "two"} {
		rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
		broker := redis.New(rdb, redis.WithPrefix("lvt-up:"))
		t.Cleanup(func() { _ = broker.Close(); _ = rdb.Close() }) // after the Hub
		a := newApp(t, liveview.Config{Broker: broker, Upload: liveview.UploadConfig{Dir: t.TempDir()}}, pages, func(h *liveview.Hub) {
			h.Handle("attach", func(c *liveview.Context) error {
				var got []string
				for _, f := range c.FormFiles("docs") {
					r, err := f.Open()
					if err != nil {
						return err
					}
					b, _ := io.ReadAll(r)
					r.Close()
					got = append(got, f.Name+"="+string(b))
				}
				return c.Broadcast(liveview.Message{Target: "#log", HTML: "<li>" + name + " saved " + strings.Join(got, ", ") + "</li>", Append: true})
			})
		})
		s := httptest.NewServer(a.e)
		t.Cleanup(s.Close)
		u, _ := url.Parse(s.URL)
		backends = append(backends, u)
	}
	var next atomic.Int64
	tr := &http.Transport{DisableKeepAlives: true}
	proxy := &httputil.ReverseProxy{Transport: tr, Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backends[next.Add(1)%2])
		r.Out.Host = r.In.Host // the instances check the Origin against it
	}}
	front := echo.New()
	front.Any("/*", echo.WrapHandler(proxy))
	lt := liveviewtest.New(t, front)

	// a's GET lands on one instance, its WebSocket on the other; one more
	// request, and b's land the other way round.
	a := lt.Open("/")
	resp, err := (&http.Client{Transport: tr}).Get(lt.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b := lt.NewUser().Open("/")
	a.SetFiles("[name=docs]", liveviewtest.File{Name: "a.txt", Content: []byte("from a")}, liveviewtest.File{Name: "b.txt", Content: []byte("and b")})
	a.Submit("#f")
	b.WaitText("#log", "one saved a.txt=from a, b.txt=and b")
	b.SetFiles("[name=docs]", liveviewtest.File{Name: "c.txt", Content: []byte("from c")})
	b.Submit("#f")
	a.WaitText("#log li:nth-child(2)", "two saved c.txt=from c")
}
