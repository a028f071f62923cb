package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/echo-liveview/liveview/jsclient"
)

// uploadsPage is the fixture page of uploads (examples/clienttest's
// templates/uploads.html): a single file (up_one, at most 1 MB), several
// (up_many), a large one (up_big, at most 200 MB) with cancel buttons, and
// a ping that is answered while files upload.
const uploadsPage = "uploads"

// openUploads is openPage for pages that upload, with the server's
// temporary files in a directory of their own (see checkFreed), and the
// tab's Network domain off: chromedp turns it on, and then every chunk
// frame travels to this test process as a CDP event (its data in base64),
// which under -race delays the test's own commands, clicks included, by
// seconds.
func openUploads(t *testing.T, name string) (context.Context, *App, *JSErrors, string) {
	t.Helper()
	dir := t.TempDir()
	ctx := NewTab(t)
	app := Start(t, clienttest, "-upload-dir", dir)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "turning the Network domain off", network.Disable())
	Run(t, ctx, "opening /p/"+name, chromedp.Navigate(app.URL+"/p/"+name))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	return ctx, app, jsErrors, dir
}

// checkFreed waits until the server has deleted every temporary file of
// the uploads in dir.
func checkFreed(t *testing.T, dir string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(WaitTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		left, _ = filepath.Glob(filepath.Join(dir, "*"))
		if len(left) == 0 {
			return
		}
	}
	t.Errorf("the server kept the temporary files %v", left)
}

// bigUpload is the size of the file uploaded while the page does other
// things (clicks, cancels, a reconnect): large enough to take a while.
const bigUpload = 50 << 20

// upFile is a file the test made for the browser to upload.
type upFile struct {
	path, name, sha string
	size            int
}

// makeFile writes a file of size pseudo-random bytes named name.
func makeFile(t *testing.T, name string, size int) upFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{byte(size), byte(size >> 8), byte(size >> 16)})
	if _, err := io.CopyN(io.MultiWriter(f, h), src, int64(size)); err != nil {
		t.Fatal(err)
	}
	return upFile{path: path, name: name, sha: hex.EncodeToString(h.Sum(nil)), size: size}
}

// choose puts the files into the file input matching sel, as a person's
// file dialog does (DOM.setFileInputFiles).
func choose(t *testing.T, ctx context.Context, sel string, files ...upFile) {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
	}
	Run(t, ctx, "choosing files for "+sel, chromedp.SetUploadFiles(sel, paths, chromedp.ByQuery))
}

// received is a file as the server listed it in #result.
type received struct {
	Field, Name, Size, Type, SHA string
}

func receivedFiles(t *testing.T, ctx context.Context) []received {
	t.Helper()
	var out []received
	raw := EvalJS[string](t, ctx, `JSON.stringify(Array.from(document.querySelectorAll("#result li"), (li) => ({Field: li.dataset.field, Name: li.dataset.name, Size: li.dataset.size, Type: li.dataset.type, SHA: li.dataset.sha})))`)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkReceived fails unless the server got exactly files, in order, under
// field, byte for byte.
func checkReceived(t *testing.T, ctx context.Context, field string, files ...upFile) {
	t.Helper()
	got := receivedFiles(t, ctx)
	if len(got) != len(files) {
		t.Fatalf("the server got %d files, want %d: %+v", len(got), len(files), got)
	}
	for i, f := range files {
		g := got[i]
		if g.Field != field || g.Name != f.name || g.Size != fmt.Sprint(f.size) || g.SHA != f.sha {
			t.Errorf("file %d: the server got %+v, want %s %s %d bytes sha256 %s", i, g, field, f.name, f.size, f.sha)
		}
	}
}

// progressEvent is the detail of a liveview:upload-progress event, plus
// the id of the element it was dispatched on.
type progressEvent struct {
	Field, Name, On string
	Index, ID       int
	Loaded, Total   int64
}

func progressEvents(t *testing.T, ctx context.Context) []progressEvent {
	t.Helper()
	var out []progressEvent
	if err := json.Unmarshal([]byte(EvalJS[string](t, ctx, `JSON.stringify(ups.progress)`)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkProgress fails unless every file of files got progress events on
// the input with id on, for field, whose loaded grows and reaches the
// file's size, within one upload.
func checkProgress(t *testing.T, ctx context.Context, on, field string, files ...upFile) {
	t.Helper()
	events := progressEvents(t, ctx)
	for i, f := range files {
		var seen []int64
		id := 0
		for _, e := range events {
			if e.Index != i || e.Field != field {
				continue
			}
			if e.On != on || e.Name != f.name || e.Total != int64(f.size) {
				t.Errorf("file %d: progress event %+v, want on #%s for %s of %d bytes", i, e, on, f.name, f.size)
			}
			if id != 0 && e.ID != id {
				t.Errorf("file %d: progress of uploads %d and %d", i, id, e.ID)
			}
			id = e.ID
			if len(seen) > 0 && e.Loaded <= seen[len(seen)-1] {
				t.Errorf("file %d: loaded went %d -> %d", i, seen[len(seen)-1], e.Loaded)
			}
			seen = append(seen, e.Loaded)
		}
		if len(seen) == 0 || seen[len(seen)-1] != int64(f.size) {
			t.Errorf("file %d (%d bytes): loaded %v, want it to reach the size", i, f.size, seen)
		}
		if min := (f.size + 60<<10 - 1) / (60 << 10); len(seen) < min {
			t.Errorf("file %d: %d progress events for %d bytes, want one per chunk (%d)", i, len(seen), f.size, min)
		}
	}
}

// TestUploadOne uploads one file with the other fields of its form: the
// handler gets the file (same bytes) and the form with the file's name;
// progress events on the input grow to the size, the <progress> and the
// input's CSS variable end full, and the submit button's loading state
// ends.
func TestUploadOne(t *testing.T) {
	ctx, _, jsErrors, dir := openUploads(t, uploadsPage)
	f := makeFile(t, "photo.bin", 150_000) // 3 chunks
	choose(t, ctx, "#avatar", f)
	Run(t, ctx, "watching the button", chromedp.Evaluate(`document.addEventListener("liveview:upload-progress",
		() => window.during ??= document.querySelector("#one-save").textContent + " " + document.querySelector("#one-save").disabled)`, nil))
	click(t, ctx, "#one-save")
	WaitJS(t, ctx, "the server's list", `document.querySelectorAll("#result li").length === 1`)
	checkReceived(t, ctx, "avatar", f)
	checkProgress(t, ctx, "avatar", "avatar", f)
	log := serverLog(t, ctx)
	if len(log) != 1 || log[0].Function != "up_one" || fmt.Sprint(log[0].Form) != "map[avatar:photo.bin title:Ada]" {
		t.Errorf("the server got %+v, want up_one with the form {title: Ada, avatar: photo.bin}", log)
	}
	want := fmt.Sprintf(`[%d,%d,"1"]`, f.size, f.size)
	if got := EvalJS[string](t, ctx, `JSON.stringify([
		document.querySelector("#avatar-progress").value, document.querySelector("#avatar-progress").max,
		document.querySelector("#avatar").style.getPropertyValue("--liveview-upload-progress")])`); got != want {
		t.Errorf("<progress> value, max and the input's --liveview-upload-progress = %s, want %s", got, want)
	}
	if got := EvalJS[string](t, ctx, `window.during`); got != "Uploading... true" {
		t.Errorf("during the upload the button was %q, want its loading state (Uploading..., disabled)", got)
	}
	WaitJS(t, ctx, "the loading state to end", `!document.querySelector("#one-save").hasAttribute("aria-busy")`)
	if got := EvalJS[string](t, ctx, `document.querySelector("#one-save").textContent + (document.querySelector("#one-save").disabled ? " disabled" : "")`); got != "Save" {
		t.Errorf("the button is %q after the upload, want Save", got)
	}
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// TestUploadMany uploads an <input multiple> with three files, one empty:
// the handler gets them in order, the form has the list of names, each
// file's progress reaches its size (0 for the empty one).
func TestUploadMany(t *testing.T) {
	ctx, _, jsErrors, dir := openUploads(t, uploadsPage)
	files := []upFile{makeFile(t, "a.bin", 200_000), makeFile(t, "empty.bin", 0), makeFile(t, "c.bin", 10_000)}
	choose(t, ctx, "#docs", files...)
	click(t, ctx, "#many-save")
	WaitJS(t, ctx, "the server's list", `document.querySelectorAll("#result li").length === 3`)
	checkReceived(t, ctx, "docs", files...)
	checkProgress(t, ctx, "docs", "docs", files...)
	log := serverLog(t, ctx)
	if len(log) != 1 || fmt.Sprint(log[0].Form["docs"]) != "[a.bin empty.bin c.bin]" {
		t.Errorf("the server got %+v, want the form docs: [a.bin empty.bin c.bin]", log)
	}
	last := files[2].size
	if got := EvalJS[string](t, ctx, `(({value, max}) => value + "/" + max)(document.querySelector("#docs-progress"))`); got != fmt.Sprintf("%d/%d", last, last) {
		t.Errorf("the field's <progress> is %s, want %d/%d (the last file, complete)", got, last, last)
	}
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// TestUploadRefused chooses a file over up_one's limit: the server refuses
// it before the data is sent, the message shows next to the input, the
// event is not sent and the loading state ends; the socket keeps working,
// for other events and for a new upload, which empties the message.
func TestUploadRefused(t *testing.T) {
	ctx, _, jsErrors, dir := openUploads(t, uploadsPage)
	big := makeFile(t, "huge.bin", 2<<20)
	choose(t, ctx, "#avatar", big)
	click(t, ctx, "#one-save")
	WaitJS(t, ctx, "the refusal", `ups.errors.length === 1`)
	msg := EvalJS[string](t, ctx, `document.querySelector("#avatar-error").textContent`)
	if !strings.Contains(msg, "huge.bin") {
		t.Errorf("#avatar-error says %q, want the refusal naming huge.bin", msg)
	}
	var e struct{ Field, Name, Message, On string }
	if err := json.Unmarshal([]byte(EvalJS[string](t, ctx, `JSON.stringify(ups.errors[0])`)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Field != "avatar" || e.Name != "huge.bin" || e.Message != msg || e.On != "avatar" {
		t.Errorf("liveview:upload-error %+v, want on #avatar {avatar, huge.bin, %q}", e, msg)
	}
	if n := len(progressEvents(t, ctx)); n != 0 {
		t.Errorf("%d progress events: a refused file's data was sent", n)
	}
	WaitJS(t, ctx, "the loading state to end", `!document.querySelector("#one-save").hasAttribute("aria-busy") && document.querySelector("#one-save").textContent === "Save"`)

	click(t, ctx, "#ping")
	WaitJS(t, ctx, "the ping's answer", `document.querySelector("#pong").textContent === "pong 1"`)
	small := makeFile(t, "small.bin", 1000)
	choose(t, ctx, "#avatar", small)
	click(t, ctx, "#one-save")
	WaitJS(t, ctx, "the server's list", `document.querySelectorAll("#result li").length === 1`)
	checkReceived(t, ctx, "avatar", small)
	if msg := EvalJS[string](t, ctx, `document.querySelector("#avatar-error").textContent`); msg != "" {
		t.Errorf("#avatar-error still says %q after a new upload", msg)
	}
	for _, l := range serverLog(t, ctx) {
		if l.Function == "up_one" && l.Form["avatar"] == "huge.bin" {
			t.Error("the event of the refused upload was sent")
		}
	}
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// startBig chooses a bigUpload file for #big-file, submits it and waits
// until some of it has arrived.
func startBig(t *testing.T, ctx context.Context) upFile {
	t.Helper()
	f := makeFile(t, "big.bin", bigUpload)
	choose(t, ctx, "#big-file", f)
	click(t, ctx, "#big-save")
	WaitJS(t, ctx, "the upload to be under way", `ups.progress.length > 0`)
	return f
}

// TestUploadCancel cancels a large upload in each way: its field's cancel
// button, the button that cancels every upload, the input removed from the
// page (alone or with its form). The page hears liveview:upload-cancel,
// progress stops, no event is sent, the loading state ends, the socket
// keeps working, and the server deletes the temporary file it was writing.
func TestUploadCancel(t *testing.T) {
	for _, tt := range []struct{ name, how string }{
		{"field button", `document.querySelector("#big-cancel").click()`},
		{"page button", `document.querySelector("#cancel-all").click()`},
		{"input removed", `document.querySelector("#big-file").remove()`},
		{"form replaced", `document.querySelector("#big-box").innerHTML = "<p>gone</p>"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _, jsErrors, dir := openUploads(t, uploadsPage)
			startBig(t, ctx)
			if held, _ := filepath.Glob(filepath.Join(dir, "*")); len(held) == 0 {
				t.Errorf("no temporary file in %s during the upload", dir)
			}
			Run(t, ctx, "cancelling", chromedp.Evaluate(tt.how, nil))
			WaitJS(t, ctx, "liveview:upload-cancel", `ups.cancels.length === 1 && ups.cancels[0].field === "big"`)
			n := len(progressEvents(t, ctx))
			click(t, ctx, "#ping")
			WaitJS(t, ctx, "the ping's answer", `document.querySelector("#pong").textContent === "pong 1"`)
			time.Sleep(300 * time.Millisecond) // what was in flight has arrived
			if m := len(progressEvents(t, ctx)); m != n {
				t.Errorf("%d progress events after the cancel", m-n)
			}
			last := progressEvents(t, ctx)[n-1]
			if last.Loaded >= last.Total {
				t.Errorf("the upload completed before its cancel (%d bytes): nothing was cancelled", last.Loaded)
			}
			for _, l := range serverLog(t, ctx) {
				if l.Function == "up_big" {
					t.Errorf("the cancelled upload's event was sent: %+v", l)
				}
			}
			if busy := EvalJS[bool](t, ctx, `document.querySelector("#big")?.hasAttribute("aria-busy") || false`); busy {
				t.Error("the upload's form (its trigger) is still busy")
			}
			checkFreed(t, dir)
			assertNoExceptions(t, jsErrors)
		})
	}
}

// TestUploadLeavePage leaves the page in the middle of an upload: the
// upload ends with it, and the server deletes what it was writing.
func TestUploadLeavePage(t *testing.T) {
	ctx, app, jsErrors, dir := openUploads(t, uploadsPage)
	startBig(t, ctx)
	Run(t, ctx, "leaving the page", chromedp.Navigate(app.URL+"/p/attrs"))
	WaitJS(t, ctx, "the next page's WebSocket", wsOpen)
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// TestUploadClickDuringUpload clicks while a large file uploads: the click
// is answered before the upload ends, behind at most 4 chunks (the client
// keeps at most 4 unacknowledged, so the event does not wait behind the
// file), and the file still arrives whole.
func TestUploadClickDuringUpload(t *testing.T) {
	ctx, _, jsErrors, dir := openUploads(t, uploadsPage)
	// Which came first, the answer to the click or the upload's list.
	// How many chunks were acknowledged between the click and its answer.
	Run(t, ctx, "watching the answers", chromedp.Evaluate(`window.order = [];
		document.querySelector("#ping").addEventListener("click", () => window.acksAtClick = ups.progress.length);
		new MutationObserver(() => { order.push("pong"); window.acksAtPong = ups.progress.length; }).observe(document.querySelector("#pong"), {childList: true});
		new MutationObserver(() => order.push("result")).observe(document.querySelector("#result"), {childList: true});`, nil))
	began := time.Now()
	f := startBig(t, ctx)
	start := time.Now()
	click(t, ctx, "#ping")
	WaitJS(t, ctx, "the ping's answer", `document.querySelector("#pong").textContent === "pong 1"`)
	t.Logf("the click was answered in %v, during the upload of %d MB", time.Since(start).Round(time.Millisecond), bigUpload>>20)
	waitJSLong(t, ctx, "the server's list", `document.querySelectorAll("#result li").length === 1`)
	t.Logf("upload of %d MB done %v after the click, %.0f MB/s from Chromium over loopback", bigUpload>>20,
		time.Since(start).Round(time.Millisecond), float64(bigUpload)/1e6/time.Since(began).Seconds())
	if got := EvalJS[string](t, ctx, `order.join(",")`); got != "pong,result" {
		t.Errorf("answers in the order %s, want pong,result: the click waited for the upload", got)
	}
	// The server reads a connection's frames in order: the click's frame
	// was behind the chunks sent before it, at most the window of 4.
	if acks := EvalJS[int](t, ctx, `acksAtPong - acksAtClick`); acks > 4 {
		t.Errorf("%d chunks were acknowledged between the click and its answer, want at most 4: the click waited behind them", acks)
	}
	checkReceived(t, ctx, "big", f)
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// TestUploadReconnect drops the socket in the middle of an upload: on the
// new socket the upload starts again from zero with a new id (the page
// hears liveview:upload-restart), completes, and the event is sent once.
func TestUploadReconnect(t *testing.T) {
	ctx, _, jsErrors, dir := openUploads(t, uploadsPage)
	f := startBig(t, ctx)
	first := progressEvents(t, ctx)[0].ID
	Run(t, ctx, "dropping the socket", chromedp.Evaluate(`window.myWebSocket.close(4000)`, nil))
	WaitJS(t, ctx, "liveview:upload-restart", `ups.restarts.length === 1`)
	var r struct {
		Field, On string
		ID        int
	}
	if err := json.Unmarshal([]byte(EvalJS[string](t, ctx, `JSON.stringify(ups.restarts[0])`)), &r); err != nil {
		t.Fatal(err)
	}
	if r.Field != "big" || r.On != "big-file" || r.ID == first || r.ID == 0 {
		t.Errorf("liveview:upload-restart %+v, want on #big-file for big with a new id (not %d)", r, first)
	}
	waitJSLong(t, ctx, "the server's list", `document.querySelectorAll("#result li").length === 1`)
	checkReceived(t, ctx, "big", f)
	var ids []int
	var afterRestart []int64
	for _, e := range progressEvents(t, ctx) {
		if len(ids) == 0 || ids[len(ids)-1] != e.ID {
			ids = append(ids, e.ID)
		}
		if e.ID == r.ID {
			afterRestart = append(afterRestart, e.Loaded)
		}
	}
	if len(ids) != 2 || ids[1] != r.ID || afterRestart[0] > 60<<10 || afterRestart[len(afterRestart)-1] != bigUpload {
		t.Errorf("progress of uploads %v, after the restart %d..%d, want two uploads, the second from the first chunk to the end",
			ids, afterRestart[0], afterRestart[len(afterRestart)-1])
	}
	if n := EvalJS[int](t, ctx, countJS(fn("up_big"))); n != 1 {
		t.Errorf("the event was sent %d times, want once", n)
	}
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// uploadChunkLoads is a JS expression: the URLs of the upload chunk the
// page fetched.
const uploadChunkLoads = `JSON.stringify(performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.includes("liveview.uploads")))`

// TestUploadChunkLazy checks that the upload code is a chunk of its own:
// not loaded by pages without uploads (nor by an event whose file input
// has no file), loaded once, by its hashed name next to the client, by the
// first event that has files.
func TestUploadChunkLazy(t *testing.T) {
	ctx, app, jsErrors, dir := openUploads(t, "attrs")
	click(t, ctx, "#collect")
	waitLogged(t, ctx, "an event", "true", 1)
	if got := EvalJS[string](t, ctx, uploadChunkLoads); got != "[]" {
		t.Errorf("a page without uploads loaded %s", got)
	}

	Run(t, ctx, "opening the uploads page", chromedp.Navigate(app.URL+"/p/"+uploadsPage))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	click(t, ctx, "#one-save") // no file chosen: no upload
	waitLogged(t, ctx, "the event without a file", fn("up_one"), 1)
	if log := serverLog(t, ctx); fmt.Sprint(log[0].Form) != "map[avatar: title:Ada]" {
		t.Errorf("without a file the form is %v, want avatar: \"\"", log[0].Form)
	}
	if got := EvalJS[string](t, ctx, uploadChunkLoads+` + (window.__liveview.start ? " started" : "")`); got != "[]" {
		t.Errorf("an event without files loaded %s", got)
	}
	for i, f := range []upFile{makeFile(t, "one.bin", 10), makeFile(t, "two.bin", 20)} {
		choose(t, ctx, "#avatar", f)
		click(t, ctx, "#one-save")
		WaitJS(t, ctx, "the server's list", fmt.Sprintf(`document.querySelector("#result li")?.dataset.name === %q`, f.name))
		want := fmt.Sprintf(`[%q]`, app.URL+"/static/liveview/"+jsclient.UploadsHashedName())
		if got := EvalJS[string](t, ctx, uploadChunkLoads); got != want {
			t.Errorf("after upload %d the page loaded %s, want %s", i+1, got, want)
		}
	}
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// TestUploadESModule uploads from a page that runs the ES module build: it
// loads the chunk next to liveview.esm.js (import.meta.url).
func TestUploadESModule(t *testing.T) {
	ctx, app, jsErrors, dir := openUploads(t, "esm")
	Run(t, ctx, "adding a form with a file input", chromedp.Evaluate(`document.body.insertAdjacentHTML("beforeend",
		'<form id="esm-up" data-liveview-function="up_one" data-action="submit->page#run"><input type="file" id="esm-file" name="avatar"><button id="esm-up-save">Upload</button></form><ul id="result"></ul>')`, nil))
	f := makeFile(t, "esm.bin", 100_000)
	choose(t, ctx, "#esm-file", f)
	click(t, ctx, "#esm-up-save")
	WaitJS(t, ctx, "the server's list", `document.querySelectorAll("#result li").length === 1`)
	checkReceived(t, ctx, "avatar", f)
	want := fmt.Sprintf(`[%q]`, app.URL+"/static/liveview/"+jsclient.UploadsHashedName())
	if got := EvalJS[string](t, ctx, uploadChunkLoads); got != want {
		t.Errorf("the page loaded %s, want %s", got, want)
	}
	checkFreed(t, dir)
	assertNoExceptions(t, jsErrors)
}

// waitJSLong is WaitJS for something that takes a while under -race on a
// busy machine (a large upload).
func waitJSLong(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	err := chromedp.Run(ctx, chromedp.Poll(expr, nil,
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(TabTimeout)))
	if err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}
