package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/echo-liveview/liveview/internal/procstat"
	"github.com/echo-liveview/liveview/internal/redisserver"
)

// uploadApp is the uploads example.
const uploadApp = "./examples/upload"

// roundRobin is a reverse proxy that sends each request (a WebSocket
// upgrade included) to the next of its backends, as a load balancer
// without sticky sessions does. sockets counts the upgrades per backend.
type roundRobin struct {
	next    atomic.Uint64
	proxies []*httputil.ReverseProxy
	mu      sync.Mutex
	sockets map[int]int
}

func newRoundRobin(t *testing.T, backends ...string) (*roundRobin, string) {
	t.Helper()
	rr := &roundRobin{sockets: map[int]int{}}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		rr.proxies = append(rr.proxies, httputil.NewSingleHostReverseProxy(u))
	}
	srv := httptest.NewServer(rr)
	t.Cleanup(srv.Close)
	return rr, srv.URL
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(rr.next.Add(1) % uint64(len(rr.proxies)))
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		rr.mu.Lock()
		rr.sockets[i]++
		rr.mu.Unlock()
	}
	rr.proxies[i].ServeHTTP(w, r)
}

// writePNG writes a w x h PNG image to path.
func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
		if i%4 == 3 {
			img.Pix[i] = 0xff // opaque
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUploadExampleInstances runs two instances of the uploads example,
// sharing Redis and their directory of saved files, behind a round-robin
// proxy (no sticky sessions: the page, its WebSocket and its images each
// land on whichever instance is next). In Chromium, an avatar and three
// attachments are chosen and saved: the files travel over the page's own
// WebSocket, so the handler that runs on that socket's instance has them,
// and the saved avatar shows.
func TestUploadExampleInstances(t *testing.T) {
	redis := redisserver.Start(t)
	shared := t.TempDir()
	a := StartApp(t, uploadApp, "-redis", redis.Addr(), "-dir", shared)
	b := StartApp(t, uploadApp, "-redis", redis.Addr(), "-dir", shared)
	rr, base := newRoundRobin(t, a, b)

	files := t.TempDir()
	avatar := filepath.Join(files, "me.png")
	writePNG(t, avatar, 64, 64)
	var attachments []string
	for i, content := range []string{"first notes", "second notes", strings.Repeat("x", 300<<10)} {
		p := filepath.Join(files, fmt.Sprintf("file-%d.txt", i+1))
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		attachments = append(attachments, p)
	}

	ctx := NewTab(t)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "turning the Network domain off (see openUploads)", network.Disable())
	Run(t, ctx, "opening the example through the proxy", chromedp.Navigate(base+"/"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	Run(t, ctx, "choosing and saving an avatar",
		chromedp.SetUploadFiles("#avatar-input", []string{avatar}, chromedp.ByQuery),
		chromedp.Click(`form[data-liveview-function="save_avatar"] button[type=submit]`, chromedp.ByQuery))
	WaitJS(t, ctx, "the saved avatar to show", `(() => { const i = document.querySelector("#avatar img"); return i && i.complete && i.naturalWidth === 64; })()`)
	if v := EvalJS[float64](t, ctx, `document.querySelector('[data-liveview-upload-progress="avatar"]').value`); v <= 0 {
		t.Errorf("the avatar's progress bar stayed at %v", v)
	}

	Run(t, ctx, "attaching three files",
		chromedp.SetUploadFiles("#attachments-input", attachments, chromedp.ByQuery),
		chromedp.Click(`form[data-liveview-function="save_attachments"] button[type=submit]`, chromedp.ByQuery))
	WaitJS(t, ctx, "three attachments", `document.querySelectorAll("#attachments .files li").length === 3`)
	if n := EvalJS[int](t, ctx, `document.querySelectorAll("#attachment-progress progress").length`); n != 3 {
		t.Errorf("%d per-file progress bars, want 3", n)
	}
	if done := EvalJS[bool](t, ctx, `Array.from(document.querySelectorAll("#attachment-progress progress")).every((p) => p.value === 1)`); !done {
		t.Error("a per-file progress bar did not reach the end")
	}
	rr.mu.Lock()
	sockets := fmt.Sprint(rr.sockets)
	rr.mu.Unlock()
	t.Logf("WebSocket upgrades per instance: %s", sockets)
	if saved, _ := os.ReadDir(shared); len(saved) != 4 {
		t.Errorf("%d files saved in the shared directory, want 4", len(saved))
	}
	assertNoExceptions(t, jsErrors)
}

// vmRSS returns the resident set size of process pid, in bytes; the test
// is skipped where there is no /proc (not Linux).
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	n, err := procstat.RSS(pid)
	if err != nil {
		t.Skipf("no resident set size: %v", err)
	}
	return n
}

// TestUploadLargeFileMemory uploads a 200 MB file from Chromium to the
// uploads example and samples the server process's resident memory the
// whole time: it grows by a few chunks, not by the file. It logs the
// throughput over loopback (browser to server, through the client's
// flow control).
func TestUploadLargeFileMemory(t *testing.T) {
	const size = 200 << 20
	app := Start(t, uploadApp, "-max-attachment-mb", "256")
	big := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for i := 0; i < size/len(chunk); i++ {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	ctx := NewTabTimeout(t, 5*time.Minute)
	Run(t, ctx, "turning the Network domain off (see openUploads)", network.Disable())
	Run(t, ctx, "opening the example", chromedp.Navigate(app.URL+"/"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	app.mu.Lock()
	pid := app.cmd.Process.Pid
	app.mu.Unlock()
	before := vmRSS(t, pid)

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if n, err := procstat.RSS(pid); err == nil && n > peak.Load() {
				peak.Store(n)
			}
		}
	}()
	start := time.Now()
	Run(t, ctx, "attaching 200 MB",
		chromedp.SetUploadFiles("#attachments-input", []string{big}, chromedp.ByQuery),
		chromedp.Click(`form[data-liveview-function="save_attachments"] button[type=submit]`, chromedp.ByQuery))
	waitCtx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	Run(t, waitCtx, "the attachment to be saved", chromedp.Poll(`document.querySelectorAll("#attachments .files li").length === 1`, nil, chromedp.WithPollingInterval(100*time.Millisecond)))
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	growth := peak.Load() - before
	t.Logf("200 MB in %v: %.1f MB/s; server VmRSS %d MiB before, peak growth %.1f MiB", elapsed.Round(time.Millisecond), float64(size)/(1<<20)/elapsed.Seconds(), before>>20, float64(growth)/(1<<20))
	if growth > 64<<20 {
		t.Errorf("the server's resident memory grew by %d MiB for a 200 MB upload, want a few chunks", growth>>20)
	}
}
