package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"
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

// startUpload serves the app with a store in a temporary directory; its
// Hub is closed when the test ends.
func startUpload(t *testing.T) (*liveviewtest.LT, string) {
	t.Helper()
	dir := t.TempDir()
	e := newApp(newStore(dir), nil)
	hub := liveview.Default()
	t.Cleanup(func() { _ = hub.Close() })
	return liveviewtest.New(t, e), dir
}

// pngFile is a small real PNG image.
func pngFile(t *testing.T, name string) liveviewtest.File {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return liveviewtest.File{Name: name, Content: b.Bytes()}
}

// TestAvatar: a saved image shows as the avatar, served from the store.
func TestAvatar(t *testing.T) {
	lt, _ := startUpload(t)
	page := lt.Open("/")
	if !page.Exists("#avatar .avatar-empty") {
		t.Fatal("a new page shows an avatar")
	}
	f := pngFile(t, "me.png")
	page.SetFiles("#avatar-input", f)
	page.Submit("#avatar-input")
	src, ok := page.Attr("#avatar img", "src")
	if !ok || !strings.HasPrefix(src, "/files/") {
		t.Fatalf("no avatar image after saving: %s", page.HTML("#avatar"))
	}
	if got := page.Flashes(); len(got) == 0 || got[len(got)-1].Text != "Avatar saved." {
		t.Errorf("flashes %+v", got)
	}
	res, err := http.Get(lt.URL() + src)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, f.Content) || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET %s: %s %q, %d bytes; want the uploaded PNG", src, res.Status, res.Header.Get("Content-Type"), len(body))
	}
}

// TestAvatarRefused: a file over the avatar's limit, or one that is no
// image whatever its name says, is refused next to the input, and the
// handler does not run.
func TestAvatarRefused(t *testing.T) {
	for name, f := range map[string]liveviewtest.File{
		"too large": {Name: "big.png", Content: append(pngFile(t, "x").Content, make([]byte, maxAvatar)...)},
		"not image": {Name: "page.png", Type: "image/png", Content: []byte("<!DOCTYPE html><html><body>hi</body></html>")},
	} {
		t.Run(name, func(t *testing.T) {
			lt, dir := startUpload(t)
			page := lt.Open("/")
			page.SetFiles("#avatar-input", f)
			page.Submit("#avatar-input")
			if errs := page.UploadErrors(); len(errs) != 1 {
				t.Fatalf("upload errors %+v, want one", errs)
			}
			if msg := page.Text(`[data-liveview-upload-error="avatar"]`); msg == "" {
				t.Error("no message next to the input")
			}
			if !page.Exists("#avatar .avatar-empty") {
				t.Error("the handler ran for a refused file")
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("the store has %d files", len(left))
			}
		})
	}
}

// TestAttachments: several files at once are listed, then one is removed.
func TestAttachments(t *testing.T) {
	lt, dir := startUpload(t)
	page := lt.Open("/")
	page.SetFiles("#attachments-input",
		liveviewtest.File{Name: "notes.txt", Content: []byte("first")},
		liveviewtest.File{Name: "report.pdf", Content: []byte("%PDF-1.4 not really")},
		pngFile(t, "chart.png"))
	page.Submit("#attachments-input")
	if n := page.Count("#attachments .files li"); n != 3 {
		t.Fatalf("%d attachments listed, want 3:\n%s", n, page.HTML("#attachments"))
	}
	if got := page.Text("#attachments .files li:first-child a"); got != "notes.txt" {
		t.Errorf("first attachment %q", got)
	}
	page.Click("#attachments .files li:first-child button")
	if n := page.Count("#attachments .files li"); n != 2 {
		t.Errorf("%d attachments after removing one, want 2", n)
	}
	if left, _ := os.ReadDir(dir); len(left) != 2 {
		t.Errorf("the store keeps %d files, want 2", len(left))
	}
}

// TestNoFileChosen: saving without a file says so.
func TestNoFileChosen(t *testing.T) {
	lt, _ := startUpload(t)
	page := lt.Open("/")
	page.Submit("#avatar-input")
	if got := page.Flashes(); len(got) == 0 || got[len(got)-1].Text != "Choose an image first." {
		t.Errorf("flashes %+v", got)
	}
}

// TestFilesRoute serves only what the store saved.
func TestFilesRoute(t *testing.T) {
	lt, dir := startUpload(t)
	if err := os.WriteFile(dir+"/secret.txt", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/files/secret.txt", "/files/..%2fetc%2fpasswd", "/files/0123456789abcdef01234567.png"} {
		res, err := http.Get(lt.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, res.Status)
		}
	}
}

// TestAvatarAfterRefusal: a good image chosen after a refused one clears
// the refusal's message and is saved.
func TestAvatarAfterRefusal(t *testing.T) {
	lt, _ := startUpload(t)
	page := lt.Open("/")
	page.SetFiles("#avatar-input", liveviewtest.File{Name: "big.png", Content: append(pngFile(t, "x").Content, make([]byte, maxAvatar)...)})
	page.Submit("#avatar-input")
	if page.Text(`[data-liveview-upload-error="avatar"]`) == "" {
		t.Fatal("no refusal shown")
	}
	page.SetFiles("#avatar-input", pngFile(t, "me.png"))
	page.Submit("#avatar-input")
	if msg := page.Text(`[data-liveview-upload-error="avatar"]`); msg != "" {
		t.Errorf("the old refusal %q stays next to the input", msg)
	}
	if !page.Exists("#avatar img") {
		t.Error("the good image was not saved")
	}
}
