package liveview

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview/internal/procstat"
)

// Upload protocol tests with real WebSocket clients: the happy paths, the
// limits, and clients that break the protocol. After each case the
// temporary directory must be empty: nothing of an upload outlives it.

// testUpload is a file a test client uploads.
type testUpload struct {
	field, name, typ string
	data             []byte
}

// announce sends the announce of files for function.
func (c *client) announce(id uint32, function string, files ...testUpload) {
	c.t.Helper()
	fs := make([]map[string]any, len(files))
	for i, f := range files {
		fs[i] = map[string]any{"field": f.field, "name": f.name, "size": len(f.data), "type": f.typ}
	}
	b, err := json.Marshal(map[string]any{"upload": map[string]any{"id": id, "function": function, "files": fs}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.TextMessage, b)
}

// sendChunk sends one binary chunk frame.
func (c *client) sendChunk(id uint32, file, offset int, data []byte) {
	c.t.Helper()
	c.sendRaw(websocket.BinaryMessage, append(appendChunkHeader(nil, id, uint16(file), uint64(offset)), data...))
}

// readUpload reads the next frame, which must be an upload frame, and
// returns its "upload" object.
func (c *client) readUpload() map[string]any {
	c.t.Helper()
	m := c.read()
	u, ok := m["upload"].(map[string]any)
	if !ok || len(m) != 1 {
		b, _ := json.Marshal(m)
		c.t.Fatalf("want an upload frame, got %s", b)
	}
	return u
}

// accepted reads the answer to an announce, which must accept upload id,
// and returns the chunk size.
func (c *client) accepted(id uint32) int {
	c.t.Helper()
	u := c.readUpload()
	n, ok := u["chunk"].(float64)
	if u["id"] != float64(id) || !ok || n < 1 || len(u) != 2 {
		c.t.Fatalf("upload %d not accepted: %v", id, u)
	}
	return int(n)
}

// refused reads the answer to an announce or a chunk, which must refuse
// upload id, and returns the frame's upload object.
func (c *client) refused(id uint32) map[string]any {
	c.t.Helper()
	u := c.readUpload()
	if u["id"] != float64(id) || u["error"] == nil || u["error"] == "" {
		c.t.Fatalf("upload %d not refused: %v", id, u)
	}
	return u
}

// sendFiles sends every chunk of files for accepted upload id, checking
// each ack, one chunk at a time.
func (c *client) sendFiles(id uint32, chunk int, files ...testUpload) {
	c.t.Helper()
	for i, f := range files {
		for off := 0; off < len(f.data); off += chunk {
			end := min(off+chunk, len(f.data))
			c.sendChunk(id, i, off, f.data[off:end])
			ack := c.readUpload()
			if ack["id"] != float64(id) || ack["file"] != float64(i) || ack["received"] != float64(end) {
				c.t.Fatalf("chunk %d-%d of file %d: ack %v", off, end, i, ack)
			}
		}
	}
}

// upload announces and sends files for function.
func (c *client) upload(id uint32, function string, files ...testUpload) {
	c.t.Helper()
	c.announce(id, function, files...)
	c.sendFiles(id, c.accepted(id), files...)
}

// sendEvent sends an event carrying ref and, when not 0, upload id.
func (c *client) sendUploadEvent(function string, form map[string]any, ref int, id uint32) {
	c.t.Helper()
	m := map[string]any{"function": function, "data": map[string]any{}, "form": form, "lang": "en", "room": "r", "ref": ref}
	if id != 0 {
		m["upload"] = id
	}
	b, _ := json.Marshal(m)
	c.sendRaw(websocket.TextMessage, b)
}

// uploadServer serves "save", which answers #saved with every file of the
// fields avatar and docs as field:name:type:size:"content" (quoted), "|"
// between files, and "ping". Its upload directory is returned.
func uploadServer(t *testing.T, up UploadConfig, more ...func(h *Hub)) (*testServer, string) {
	t.Helper()
	if up.Dir == "" {
		up.Dir = t.TempDir()
	}
	ts := newTestServer(t, Config{Upload: up}, func(h *Hub, _ *echo.Echo) {
		h.Handle("ping", echoHandler)
		h.Handle("save", saveHandler)
		for _, f := range more {
			f(h)
		}
	})
	return ts, up.Dir
}

func saveHandler(c *Context) error {
	var out []string
	for _, field := range []string{"avatar", "docs"} {
		for _, f := range c.FormFiles(field) {
			r, err := f.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s:%s:%s:%d:%q", f.Field, f.Name, f.ContentType, f.Size, data))
		}
	}
	return c.HTML("#saved", strings.Join(out, "|"))
}

// saved sends the "save" event with upload id and returns #saved's html.
func (c *client) saved(id uint32, ref int) string {
	c.t.Helper()
	c.sendUploadEvent("save", map[string]any{"name": "Ada"}, ref, id)
	m := c.read()
	if m["target"] != "#saved" {
		c.t.Fatalf("save: %v", m)
	}
	if ans := c.read(); ans["ref"] != float64(ref) || len(ans) != 1 {
		c.t.Fatalf("save: ref answer %v", ans)
	}
	return m["html"].(string)
}

func q(b []byte) string { return fmt.Sprintf("%q", b) }

// assertEmpty fails unless dir holds no file: every temporary file of an
// upload is gone.
func assertEmpty(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Fatalf("%s holds %v, want nothing", dir, names)
	}
}

// liveUploads counts the uploads in progress on every connection of h.
func (h *Hub) liveUploads() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for c := range h.conns {
		n += c.uploads.len()
	}
	return n
}

func TestUploadHappyPaths(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("p"), 3000)...)
	tests := []struct {
		name  string
		files []testUpload
		want  string
	}{
		{"one file", []testUpload{{"avatar", "photo.png", "image/png", png}},
			"avatar:photo.png:image/png:3008:" + q(png)},
		{"several files of one input", []testUpload{
			{"docs", "a.txt", "text/plain", []byte("alpha")},
			{"docs", "b.txt", "text/plain", bytes.Repeat([]byte("b"), 2500)},
			{"docs", "c.txt", "text/plain", []byte("gamma")},
		}, `docs:a.txt:text/plain:5:"alpha"|docs:b.txt:text/plain:2500:` + q(bytes.Repeat([]byte("b"), 2500)) + `|docs:c.txt:text/plain:5:"gamma"`},
		{"several inputs, empty files among them", []testUpload{
			{"avatar", "empty.png", "image/png", nil},
			{"docs", "notes.txt", "", []byte("notes")},
			{"docs", "zero.txt", "text/plain", []byte{}},
		}, `avatar:empty.png:image/png:0:""|docs:notes.txt::5:"notes"|docs:zero.txt:text/plain:0:""`},
		{"only a 0-byte file", []testUpload{{"avatar", "nothing.bin", "application/octet-stream", nil}},
			`avatar:nothing.bin:application/octet-stream:0:""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, dir := uploadServer(t, UploadConfig{ChunkSize: 1024})
			c := ts.dial(t, "lobby")
			c.upload(1, "save", tt.files...)
			if got := c.saved(1, 1); got != tt.want {
				t.Fatalf("handler saw\n%.200s\nwant\n%.200s", got, tt.want)
			}
			assertEmpty(t, dir)
			if n := ts.hub.liveUploads(); n != 0 {
				t.Fatalf("%d uploads left", n)
			}
			// The id is consumed: the same event again is refused.
			c.sendUploadEvent("save", nil, 2, 1)
			if m := c.read(); m["function"] != "save" || m["ref"] != float64(2) || !strings.Contains(m["error"].(string), "not finished uploading") {
				t.Fatalf("second use of the upload: %v", m)
			}
			c.ping("after")
		})
	}
}

// TestUploadConcurrentFlow: a client that keeps 4 chunks unacknowledged, as
// the browser does, gets every ack in order, and its own click sent in the
// middle is answered between the acks of the chunks sent before it.
func TestUploadConcurrentFlow(t *testing.T) {
	ts, dir := uploadServer(t, UploadConfig{ChunkSize: 100})
	c := ts.dial(t, "lobby")
	data := bytes.Repeat([]byte("0123456789"), 100) // 10 chunks
	c.announce(3, "save", testUpload{"docs", "n.txt", "text/plain", data})
	chunk := c.accepted(3)
	for off := 0; off < 400; off += chunk {
		c.sendChunk(3, 0, off, data[off:off+chunk])
	}
	c.send("ping", map[string]any{"n": "click"}, nil)
	for off := 400; off < len(data); off += chunk {
		c.sendChunk(3, 0, off, data[off:off+chunk])
	}
	var got []string
	for len(got) < 11 {
		m := c.read()
		if u, ok := m["upload"].(map[string]any); ok {
			got = append(got, fmt.Sprint(u["received"]))
		} else {
			got = append(got, fmt.Sprint(m["html"]))
		}
	}
	want := "100 200 300 400 click 500 600 700 800 900 1000"
	if strings.Join(got, " ") != want {
		t.Fatalf("frames %v, want %s", got, want)
	}
	if got := c.saved(3, 1); got != "docs:n.txt:text/plain:1000:"+q(data) {
		t.Fatalf("saved %.80s", got)
	}
	assertEmpty(t, dir)
}

// TestUploadRefusedAtAnnounce: limits refuse an upload before any byte is
// sent, with a translated message naming the file; nothing is kept and the
// socket goes on.
func TestUploadRefusedAtAnnounce(t *testing.T) {
	small := UploadConfig{MaxFileSize: 1000, MaxFiles: 2, Accept: []string{"image/*", ".pdf"}}
	tests := []struct {
		name  string
		files []testUpload
		field string // "" for the whole upload
		file  float64
		text  string
	}{
		{"over the size", []testUpload{{"avatar", "ok.png", "image/png", make([]byte, 10)}, {"avatar", "big.png", "image/png", make([]byte, 1001)}},
			"avatar", 1, "big.png is larger than 1000 bytes."},
		{"too many files", []testUpload{{"docs", "a.pdf", "", nil}, {"docs", "b.pdf", "", nil}, {"docs", "c.pdf", "", nil}},
			"", 0, "Choose at most 2 files."},
		{"announced type", []testUpload{{"docs", "page.html", "text/html", []byte("<html>")}},
			"docs", 0, "page.html is not an accepted type of file."},
		{"extension, no type", []testUpload{{"docs", "run.exe", "", []byte("MZ")}},
			"docs", 0, "run.exe is not an accepted type of file."},
		{"bad name", []testUpload{{"docs", "../etc/passwd", "image/png", []byte("x")}},
			"docs", 0, "The upload of ../etc/passwd failed. Try again."},
		{"unknown function", nil, "", 0, "Files cannot be uploaded here."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, dir := uploadServer(t, small)
			c := ts.dial(t, "lobby")
			function := "save"
			if tt.files == nil {
				function, tt.files = "nope", []testUpload{{"avatar", "a.png", "image/png", nil}}
			}
			c.announce(9, function, tt.files...)
			u := c.refused(9)
			if u["error"] != tt.text {
				t.Errorf("message %q, want %q", u["error"], tt.text)
			}
			if tt.field == "" {
				if _, ok := u["field"]; ok || u["file"] != nil {
					t.Errorf("whole-upload refusal names a file: %v", u)
				}
			} else if u["field"] != tt.field || u["file"] != tt.file {
				t.Errorf("refusal %v, want field %q file %v", u, tt.field, tt.file)
			}
			// Refused means dead: the chunks the client sent before it
			// read the refusal are dropped quietly (the next frame is the
			// ping's answer).
			c.sendChunk(9, 0, 0, []byte("x"))
			c.ping("alive")
			assertEmpty(t, dir)
		})
	}
}

// TestUploadMessagesTranslated: refusals follow the announce's lang, else
// the handshake's Accept-Language, like other messages.
func TestUploadMessagesTranslated(t *testing.T) {
	ts, _ := uploadServer(t, UploadConfig{MaxFileSize: 10 << 20})
	c := ts.dialHeader(t, "lobby", map[string][]string{"Origin": {ts.srv.URL}, "Accept-Language": {"es-ES,es;q=0.9"}})
	c.announce(1, "save", testUpload{"avatar", "foto.jpg", "image/jpeg", nil}, testUpload{"avatar", "enorme.jpg", "image/jpeg", nil})
	c.accepted(1)
	b := []byte(`{"upload":{"id":2,"function":"save","files":[{"field":"avatar","name":"enorme.jpg","size":11534336,"type":"image/jpeg"}]}}`)
	c.sendRaw(websocket.TextMessage, b)
	if u := c.refused(2); u["error"] != "enorme.jpg ocupa más de 10 MB." {
		t.Fatalf("Spanish: %v", u)
	}
	b = []byte(`{"upload":{"id":3,"function":"save","lang":"en","files":[{"field":"avatar","name":"huge.jpg","size":11534336,"type":"image/jpeg"}]}}`)
	c.sendRaw(websocket.TextMessage, b)
	if u := c.refused(3); u["error"] != "huge.jpg is larger than 10 MB." {
		t.Fatalf("the announce's lang: %v", u)
	}
}

// TestUploadBadChunks: every protocol violation of a live upload refuses
// it (freed, one error frame), the connection goes on; a chunk for no
// upload is a bad message.
func TestUploadBadChunks(t *testing.T) {
	two := []testUpload{{"docs", "a.txt", "text/plain", bytes.Repeat([]byte("a"), 150)}, {"docs", "b.txt", "text/plain", []byte("bbb")}}
	hdr := func(kind byte, id uint32, file uint16, off uint64) []byte {
		b := appendChunkHeader(nil, id, file, off)
		b[0] = kind
		return b
	}
	tests := []struct {
		name  string
		frame []byte // after the first chunk of 100 bytes of file 0
		file  any    // the refusal's file, nil for the whole upload
		want  string // in the log
	}{
		{"offset behind", append(hdr(1, 5, 0, 0), "x"...), float64(0), "offset 0, expected 100"},
		{"offset ahead", append(hdr(1, 5, 0, 200), "x"...), float64(0), "offset 200, expected 100"},
		{"more bytes than announced", append(hdr(1, 5, 0, 100), bytes.Repeat([]byte("a"), 51)...), float64(0), "1 bytes past the announced size 150"},
		{"data longer than a chunk", append(hdr(1, 5, 0, 100), bytes.Repeat([]byte("a"), 129)...), float64(0), "129 bytes of data, more than the chunk size 128"},
		{"next file first", append(hdr(1, 5, 1, 0), "bbb"...), float64(1), "while file 0 is incomplete"},
		{"no such file", append(hdr(1, 5, 2, 0), "x"...), nil, "chunk for file 2 of 2"},
		{"short header", hdr(1, 5, 0, 100)[:10], nil, "shorter than its 15-byte header"},
		{"header without data", hdr(1, 5, 0, 100), nil, "shorter than its 15-byte header"},
		{"bad kind", append(hdr(2, 5, 0, 100), "x"...), nil, "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logRecorder{}
			dir := t.TempDir()
			ts := newTestServer(t, Config{Logger: logs.logger(), Upload: UploadConfig{Dir: dir, ChunkSize: 128}}, func(h *Hub, _ *echo.Echo) {
				h.Handle("ping", echoHandler)
				h.Handle("save", func(*Context) error { t.Error("handler ran"); return nil })
			})
			c := ts.dial(t, "lobby")
			c.announce(5, "save", two...)
			c.accepted(5)
			c.sendChunk(5, 0, 0, two[0].data[:100])
			if ack := c.readUpload(); ack["received"] != float64(100) {
				t.Fatalf("ack %v", ack)
			}
			c.sendRaw(websocket.BinaryMessage, tt.frame)
			u := c.refused(5)
			if u["file"] != tt.file {
				t.Errorf("refusal %v, want file %v", u, tt.file)
			}
			assertEmpty(t, dir)
			// A chunk the client had in flight is dropped quietly: the next
			// frame answers the event.
			c.sendChunk(5, 0, 100, []byte("late"))
			c.sendUploadEvent("save", nil, 1, 5)
			if m := c.read(); !strings.Contains(fmt.Sprint(m["error"]), "not finished uploading") {
				t.Fatalf("event of a refused upload: %v", m)
			}
			c.ping("alive")
			if n := strings.Count(logs.String(), `msg="liveview: upload refused"`); n != 1 || !strings.Contains(logs.String(), tt.want) {
				t.Errorf("log (%d lines about refusals), want %q:\n%s", n, tt.want, logs.String())
			}
		})
	}
}

// TestUploadSniffed: a file whose first bytes are not what Accept allows
// is refused at the chunk that completes its first 512 bytes (or the
// file), however small the chunks.
func TestUploadSniffed(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 1000)...)
	tests := []struct {
		name   string
		accept []string
		file   testUpload
		ok     bool
	}{
		{"html named png", []string{"image/png"}, testUpload{"avatar", "photo.png", "image/png", html}, false},
		{"html named png, by extension", []string{".png"}, testUpload{"avatar", "photo.png", "image/png", html}, false},
		{"png", []string{"image/*"}, testUpload{"avatar", "photo.png", "image/png", png}, true},
		{"png as jpeg", []string{"image/jpeg"}, testUpload{"avatar", "photo.jpg", "image/jpeg", png}, false},
		{"unknown binary", []string{"image/*"}, testUpload{"avatar", "photo.heic", "image/heic", bytes.Repeat([]byte{0, 1, 2, 0xff}, 200)}, true},
		{"csv as text", []string{"text/csv"}, testUpload{"docs", "a.csv", "text/csv", []byte("a,b\n1,2\n")}, true},
		{"any", nil, testUpload{"docs", "page.html", "text/html", html}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, dir := uploadServer(t, UploadConfig{ChunkSize: 7, Accept: tt.accept})
			c := ts.dial(t, "lobby")
			c.announce(1, "save", tt.file)
			chunk := c.accepted(1)
			f := tt.file
			var refusal map[string]any
			for off := 0; off < len(f.data) && refusal == nil; off += chunk {
				end := min(off+chunk, len(f.data))
				c.sendChunk(1, 0, off, f.data[off:end])
				u := c.readUpload()
				if u["error"] != nil {
					refusal = u
					if want := min(len(f.data), 512); end < want {
						t.Errorf("refused after %d bytes, before %d were sniffed", end, want)
					}
				}
			}
			if tt.ok != (refusal == nil) {
				t.Fatalf("accepted %v, want %v (%v)", refusal == nil, tt.ok, refusal)
			}
			if refusal != nil {
				if refusal["error"] != f.name+" is not an accepted type of file." || refusal["field"] != f.field {
					t.Fatalf("refusal %v", refusal)
				}
			} else {
				c.saved(1, 1)
			}
			assertEmpty(t, dir)
		})
	}
}

// TestUploadUnknownChunks: binary frames for no upload in progress are bad
// messages, rate-limited like other bad frames.
func TestUploadUnknownChunks(t *testing.T) {
	ts := newTestServer(t, Config{RateLimit: 0.001, RateBurst: 3}, func(h *Hub, _ *echo.Echo) { h.Handle("ping", echoHandler) })
	c := ts.dial(t, "lobby")
	for _, frame := range [][]byte{
		append(appendChunkHeader(nil, 42, 0, 0), "x"...), // never announced
		{1, 0, 0}, // too short for an id
		{},        // empty
	} {
		c.sendRaw(websocket.BinaryMessage, frame)
		if m := c.read(); m["error"] != "Invalid message" {
			t.Fatalf("%x: %v", frame, m)
		}
	}
	c.sendRaw(websocket.BinaryMessage, append(appendChunkHeader(nil, 42, 0, 0), "x"...))
	if m := c.read(); m["error"] != "Rate limit exceeded" {
		t.Fatalf("over the rate limit: %v", m)
	}
}

// TestUploadCancel: a cancel mid-way frees the upload at once (answered by
// nothing: the next frame is the ping's answer), even a second time.
func TestUploadCancel(t *testing.T) {
	ts, dir := uploadServer(t, UploadConfig{ChunkSize: 100})
	c := ts.dial(t, "lobby")
	data := bytes.Repeat([]byte("z"), 1000)
	c.announce(4, "save", testUpload{"docs", "z.txt", "text/plain", data})
	c.accepted(4)
	c.sendChunk(4, 0, 0, data[:100])
	c.readUpload()
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("mid-way, %d temporary files, want 1", len(ents))
	}
	for range 2 {
		c.sendRaw(websocket.TextMessage, []byte(`{"upload":{"id":4,"cancel":true}}`))
	}
	c.ping("after cancel")
	assertEmpty(t, dir)
	if n := ts.hub.liveUploads(); n != 0 {
		t.Fatalf("%d uploads left", n)
	}
	c.sendChunk(4, 0, 100, data[100:200])
	if m := c.read(); m["error"] != "Invalid message" {
		t.Fatalf("chunk after cancel: %v", m)
	}
}

// TestUploadDisconnect: a client that leaves mid-way (or after the upload,
// before its event) leaves nothing behind.
func TestUploadDisconnect(t *testing.T) {
	ts, dir := uploadServer(t, UploadConfig{ChunkSize: 100})
	c := ts.dial(t, "lobby")
	data := bytes.Repeat([]byte("d"), 1000)
	c.upload(1, "save", testUpload{"docs", "done.txt", "text/plain", data[:150]})
	c.announce(2, "save", testUpload{"docs", "half.txt", "text/plain", data}, testUpload{"docs", "empty.txt", "text/plain", nil})
	c.accepted(2)
	c.sendChunk(2, 0, 0, data[:100])
	c.readUpload()
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("before leaving, %d temporary files, want 2", len(ents))
	}
	c.ws.Close()
	waitUntil(t, "the temporary files to go", func() bool {
		ents, _ := os.ReadDir(dir)
		return len(ents) == 0 && ts.hub.liveUploads() == 0
	})
}

// TestUploadEventChecks: the handler runs only for a complete upload
// announced for its own function; else the event gets an error frame with
// its function and ref, and the upload is freed.
func TestUploadEventChecks(t *testing.T) {
	var ran sync.Map
	ts, dir := uploadServer(t, UploadConfig{ChunkSize: 100}, func(h *Hub) {
		h.Handle("other", func(c *Context) error { ran.Store("other", true); return nil })
	})
	c := ts.dial(t, "lobby")
	data := bytes.Repeat([]byte("e"), 300)
	f := testUpload{"docs", "e.txt", "text/plain", data}

	// Before the upload completed.
	c.announce(1, "save", f)
	c.accepted(1)
	c.sendChunk(1, 0, 0, data[:100])
	c.readUpload()
	c.sendUploadEvent("save", nil, 7, 1)
	m := c.read()
	if m["error"] != "The files have not finished uploading. Try again." || m["function"] != "save" || m["ref"] != float64(7) {
		t.Fatalf("early event: %v", m)
	}
	assertEmpty(t, dir)

	// Naming an upload announced for another function.
	c.upload(2, "save", f)
	c.sendUploadEvent("other", nil, 8, 2)
	if m := c.read(); m["function"] != "other" || m["ref"] != float64(8) || m["error"] == nil {
		t.Fatalf("other function: %v", m)
	}
	if _, ok := ran.Load("other"); ok {
		t.Fatal("the other function's handler ran")
	}
	assertEmpty(t, dir)

	// Naming an upload that never was.
	c.sendUploadEvent("save", nil, 9, 77)
	if m := c.read(); m["ref"] != float64(9) || m["error"] == nil {
		t.Fatalf("unknown upload: %v", m)
	}
	// An event without "upload" sees no files.
	c.sendUploadEvent("save", map[string]any{"docs": "e.txt"}, 10, 0)
	if m := c.read(); m["html"] != "" {
		t.Fatalf("files without an upload: %v", m)
	}
	c.read() // the ref answer
}

// TestUploadErrorHandler: the error of an incomplete upload reaches
// Config.ErrorHandler, errors.Is ErrUploadIncomplete.
func TestUploadErrorHandler(t *testing.T) {
	got := make(chan error, 1)
	ts := newTestServer(t, Config{ErrorHandler: func(lc *Context, err error) { got <- err; lc.Hub().DefaultErrorHandler(lc, err) }},
		func(h *Hub, _ *echo.Echo) { h.Handle("save", saveHandler) })
	c := ts.dial(t, "lobby")
	c.sendUploadEvent("save", nil, 1, 3)
	c.read()
	if err := <-got; !errors.Is(err, ErrUploadIncomplete) {
		t.Fatalf("ErrorHandler got %v", err)
	}
}

// TestUploadMaxConcurrent: a connection holds at most MaxConcurrent
// uploads, complete or not, until their events consume them; another
// connection has its own.
func TestUploadMaxConcurrent(t *testing.T) {
	ts, dir := uploadServer(t, UploadConfig{MaxConcurrent: 2})
	c := ts.dial(t, "lobby")
	f := testUpload{"docs", "a.txt", "text/plain", []byte("a")}
	c.upload(1, "save", f)
	c.announce(2, "save", f)
	c.accepted(2)
	c.announce(3, "save", f)
	if u := c.refused(3); u["error"] != "Too many uploads at once: wait for the others to finish." {
		t.Fatalf("third upload: %v", u)
	}
	other := ts.dial(t, "lobby")
	other.upload(1, "save", f)
	if got := other.saved(1, 1); got != `docs:a.txt:text/plain:1:"a"` {
		t.Fatalf("other connection: %q", got)
	}
	c.saved(1, 1)
	c.announce(3, "save", f)
	c.accepted(3)
	// Announcing a live id again kills it.
	c.announce(2, "save", f)
	c.refused(2)
	c.sendChunk(2, 0, 0, []byte("a")) // dropped quietly
	c.sendRaw(websocket.TextMessage, []byte(`{"upload":{"id":3,"cancel":true}}`))
	c.ping("x")
	assertEmpty(t, dir)
}

// TestUploadBurst: one client's burst of chunks, sent without waiting for
// acks, does not hold up another client's events, and arrives whole.
func TestUploadBurst(t *testing.T) {
	ts, dir := uploadServer(t, UploadConfig{MaxFileSize: 64 << 20})
	a, b := ts.dial(t, "lobby"), ts.dial(t, "lobby")
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16) // 4 MiB
	a.announce(1, "save", testUpload{"docs", "burst.txt", "text/plain", data})
	chunk := a.accepted(1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for off := 0; off < len(data); off += chunk {
			end := min(off+chunk, len(data))
			if err := a.ws.WriteMessage(websocket.BinaryMessage, append(appendChunkHeader(nil, 1, 0, uint64(off)), data[off:end]...)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range 50 {
		b.ping(fmt.Sprint(i))
	}
	wg.Wait()
	var last map[string]any
	for range (len(data) + chunk - 1) / chunk {
		last = a.readUpload()
	}
	if last["received"] != float64(len(data)) {
		t.Fatalf("last ack %v", last)
	}
	a.sendUploadEvent("save", nil, 1, 1)
	if m := a.read(); m["html"] != "docs:burst.txt:text/plain:4194304:"+q(data) {
		t.Fatalf("saved %d bytes", len(m["html"].(string)))
	}
	a.read()
	assertEmpty(t, dir)
}

// TestUploadKeep: a handler keeps a file with MoveTo (not deleted), and a
// file it opened stays readable after it returned (Unix).
func TestUploadKeep(t *testing.T) {
	keep := t.TempDir()
	opened := make(chan *os.File, 1)
	ts, dir := uploadServer(t, UploadConfig{}, func(h *Hub) {
		h.Handle("keep", func(c *Context) error {
			a, err := c.FormFile("avatar")
			if err != nil {
				return err
			}
			if err := a.MoveTo(filepath.Join(keep, "avatar.png")); err != nil {
				return err
			}
			d, err := c.FormFile("docs")
			if err != nil {
				return err
			}
			r, err := d.Open()
			if err != nil {
				return err
			}
			opened <- r
			if _, err := c.FormFile("missing"); !errors.Is(err, ErrNoFile) {
				return fmt.Errorf("missing: %v", err)
			}
			go func() { _, err := d.Open(); _ = err }() // concurrent use is safe
			return nil
		})
	})
	c := ts.dial(t, "lobby")
	c.upload(1, "keep", testUpload{"avatar", "a.png", "image/png", []byte("\x89PNG\r\n\x1a\nimage")}, testUpload{"docs", "d.txt", "text/plain", []byte("kept open")})
	c.sendUploadEvent("keep", nil, 1, 1)
	if m := c.read(); m["ref"] != float64(1) || len(m) != 1 {
		t.Fatalf("keep: %v", m)
	}
	assertEmpty(t, dir)
	if b, err := os.ReadFile(filepath.Join(keep, "avatar.png")); err != nil || string(b) != "\x89PNG\r\n\x1a\nimage" {
		t.Fatalf("kept file: %q %v", b, err)
	}
	r := <-opened
	defer r.Close()
	if b, err := io.ReadAll(r); err != nil || string(b) != "kept open" {
		t.Fatalf("opened file after the handler: %q %v", b, err)
	}
}

// TestUploadBind: Bind fills *File and []*File fields from the event's
// files, never from what the form says under their names.
func TestUploadBind(t *testing.T) {
	type profile struct {
		Name   string  `form:"name"`
		Avatar *File   `form:"avatar"`
		Docs   []*File `form:"docs"`
		None   *File   `form:"none"`
	}
	got := make(chan string, 1)
	ts, _ := uploadServer(t, UploadConfig{}, func(h *Hub) {
		h.Handle("bind", func(c *Context) error {
			var p profile
			if err := c.Bind(&p); err != nil {
				return err
			}
			names := []string{p.Name, p.Avatar.Name}
			for _, d := range p.Docs {
				names = append(names, d.Name)
			}
			got <- fmt.Sprint(names, p.None == nil)
			return nil
		})
	})
	c := ts.dial(t, "lobby")
	c.upload(1, "bind", testUpload{"avatar", "me.png", "image/png", []byte("\x89PNG\r\n\x1a\n")},
		testUpload{"docs", "1.txt", "text/plain", []byte("1")}, testUpload{"docs", "2.txt", "text/plain", []byte("2")})
	c.sendUploadEvent("bind", map[string]any{"name": "Ada", "avatar": "me.png", "docs": []string{"1.txt", "2.txt"}, "none": "x", "avatar.Name": "evil"}, 1, 1)
	if m := c.read(); m["ref"] != float64(1) {
		t.Fatalf("bind: %v", m)
	}
	if g := <-got; g != "[Ada me.png 1.txt 2.txt] true" {
		t.Fatalf("bound %s", g)
	}
}

// TestUploadDisabled: Disabled refuses every announce.
func TestUploadDisabled(t *testing.T) {
	ts, _ := uploadServer(t, UploadConfig{Disabled: true})
	c := ts.dial(t, "lobby")
	c.announce(1, "save", testUpload{"avatar", "a.png", "image/png", nil})
	if u := c.refused(1); u["error"] != "Files cannot be uploaded here." {
		t.Fatalf("disabled: %v", u)
	}
}

// TestUploadPerFunction: Functions overrides the limits of one function.
func TestUploadPerFunction(t *testing.T) {
	ts, _ := uploadServer(t, UploadConfig{MaxFileSize: 10, Functions: map[string]UploadLimits{"big": {MaxFileSize: 100, Accept: []string{"text/plain"}}}},
		func(h *Hub) { h.Handle("big", saveHandler) })
	c := ts.dial(t, "lobby")
	f := testUpload{"docs", "a.txt", "text/plain", make([]byte, 50)}
	c.announce(1, "save", f)
	c.refused(1)
	c.announce(2, "big", f)
	c.accepted(2)
	c.announce(3, "big", testUpload{"docs", "a.png", "image/png", nil})
	if u := c.refused(3); u["error"] != "a.png is not an accepted type of file." {
		t.Fatalf("per-function Accept: %v", u)
	}
}

// TestUploadBadAnnounce: announces that do not decode.
func TestUploadBadAnnounce(t *testing.T) {
	ts, _ := uploadServer(t, UploadConfig{})
	c := ts.dial(t, "lobby")
	for _, tt := range []struct{ frame, want string }{
		{`{"upload":{"id":1,"function":"save","files":[{"field":"a","name":"a","size":"big"}]}}`, "upload 1 refused"},
		{`{"upload":{"id":2,"function":"save","files":[]}}`, "upload 2 refused"},
		{`{"upload":{"id":3,"function":"save","files":[{"field":"a","name":"a","size":-1}]}}`, "upload 3 refused"},
		{`{"upload":{"id":0,"function":"save","files":[]}}`, "Invalid message"},
		{`{"upload":{"id":4294967296,"function":"save"}}`, "Invalid message"},
		{`{"upload":{"id":5,"function":"save"},"function":"save"}`, "Invalid message"},
		{`{"upload":[1]}`, "Invalid message"},
		{`{"upload":`, "Invalid message"},
	} {
		c.sendRaw(websocket.TextMessage, []byte(tt.frame))
		m := c.read()
		got := fmt.Sprint(m["error"])
		if u, ok := m["upload"].(map[string]any); ok && u["error"] != nil {
			got = fmt.Sprintf("upload %v refused", u["id"])
		}
		if got != tt.want {
			t.Errorf("%s: %v, want %s", tt.frame, m, tt.want)
		}
	}
	c.ping("alive")
}

func TestUploadConfigChecks(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string // panic text; "" for none
	}{
		{"defaults", Config{}, ""},
		{"chunk too large", Config{Upload: UploadConfig{ChunkSize: 65536}}, "ChunkSize 65536 plus the 15-byte chunk header must fit in Config.MaxMessageSize 65536"},
		{"chunk fits exactly", Config{Upload: UploadConfig{ChunkSize: 65536 - 15}}, ""},
		{"small frames shrink the default chunk", Config{MaxMessageSize: 4096}, ""},
		{"disabled: no check", Config{MaxMessageSize: 10, Upload: UploadConfig{Disabled: true}}, ""},
		{"bad accept", Config{Upload: UploadConfig{Accept: []string{"png"}}}, `Config.Upload.Accept: "png" is not a file extension`},
		{"bad function accept", Config{Upload: UploadConfig{Functions: map[string]UploadLimits{"f": {Accept: []string{"*/*"}}}}}, `Config.Upload.Functions["f"].Accept: "*/*"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				v := recover()
				if got := fmt.Sprint(v); (v == nil) != (tt.want == "") || !strings.Contains(got, tt.want) {
					t.Fatalf("panic %v, want %q", v, tt.want)
				}
			}()
			h := New(tt.cfg)
			defer h.Close()
			if tt.cfg.MaxMessageSize == 4096 && h.cfg.Upload.ChunkSize != 4096-15 {
				t.Fatalf("chunk size %d", h.cfg.Upload.ChunkSize)
			}
			if tt.name == "defaults" {
				u := h.cfg.Upload
				if u.Dir != os.TempDir() || u.MaxFileSize != 10<<20 || u.MaxFiles != 10 || u.MaxConcurrent != 3 || u.ChunkSize != 60<<10 {
					t.Fatalf("defaults %+v", u)
				}
			}
		})
	}
}

func TestUploadRules(t *testing.T) {
	list := func(s ...string) []acceptRule { return parseAccept(s) }
	for _, tt := range []struct {
		accept    []acceptRule
		name, typ string
		announced bool
		sniffed   string
		ok        bool
	}{
		{list("image/*"), "a.png", "image/png", true, "image/png", true},
		{list("image/*"), "a.png", "image/png", true, "text/html; charset=utf-8", false},
		{list("image/*"), "a.png", "image/png", true, "text/plain; charset=utf-8", false},
		{list("image/*"), "a.svg", "image/svg+xml", true, "text/xml; charset=utf-8", false},
		{list("image/svg+xml"), "a.svg", "image/svg+xml", true, "text/xml; charset=utf-8", true},
		{list(".svg"), "A.SVG", "", true, "text/plain; charset=utf-8", true},
		{list("image/png"), "a.PNG", "", true, "image/png", true},
		{list("image/png"), "a.jpg", "", false, "image/jpeg", false},
		{list(".pdf"), "a.pdf", "", true, "application/pdf", true},
		{list(".pdf"), "a.pdf", "", true, "text/plain; charset=utf-8", false},
		{list("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), "a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", true, "application/zip", true},
		{list("audio/webm"), "a.webm", "audio/webm", true, "video/webm", true},
		{list("audio/*"), "a.ogg", "audio/ogg", true, "application/ogg", true},
		{list("model/stl"), "a.stl", "model/stl", true, "text/plain; charset=utf-8", true},
		{list(".xyz"), "a.xyz", "", true, "text/html; charset=utf-8", true},
		{list("text/csv"), "a.csv", "text/csv", true, "text/plain; charset=utf-8", true},
		{list("application/json"), "a.json", "application/json", true, "text/plain; charset=utf-8", true},
		{list("image/*"), "a.heic", "image/heic", true, "application/octet-stream", true},
		{list("image/*", "text/plain"), "fake.png", "image/png", true, "text/html; charset=utf-8", false},
		{list("image/*", "text/plain"), "a.txt", "text/plain", true, "text/html; charset=utf-8", true},
	} {
		matched := acceptAnnounced(tt.accept, tt.name, cleanType(tt.typ))
		if got := matched != nil; got != tt.announced {
			t.Errorf("%v %s %s: announced %v", tt.accept, tt.name, tt.typ, got)
		}
		if !tt.announced {
			matched = tt.accept
		}
		if got := acceptSniffed(matched, tt.sniffed); got != tt.ok {
			t.Errorf("%v %s: sniffed %s: %v", tt.accept, tt.name, tt.sniffed, got)
		}
	}
	for n, want := range map[int64]string{0: "0 bytes", 1000: "1000 bytes", 1024: "1 KB", 1536: "1.5 KB", 10 << 20: "10 MB", 1 << 30: "1 GB", 5<<40 + 1: "5 TB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
	for name, want := range map[string]bool{"photo.jpg": true, "C:\\fakepath\\x": true, "": false, ".": false, "..": false, "a/b": false, "a\x00": false, "a\nb": false, strings.Repeat("é", 128): false, "\xff": false} {
		if validFileName(name) != want {
			t.Errorf("validFileName(%q) != %v", name, want)
		}
	}
}

// TestUploadLogBounded: a client that makes its uploads refused over and
// over gets one line, not one per refusal, with the client's strings
// clipped.
func TestUploadLogBounded(t *testing.T) {
	logs := &logRecorder{}
	ts := newTestServer(t, Config{Logger: logs.logger(), Upload: UploadConfig{MaxFileSize: 1}}, func(h *Hub, _ *echo.Echo) { h.Handle("save", saveHandler) })
	c := ts.dial(t, "lobby")
	for i := range 20 {
		c.announce(uint32(i+1), strings.Repeat("f", 1000), testUpload{"avatar", "a.png", "image/png", nil})
		c.refused(uint32(i + 1))
	}
	out := logs.String()
	if n := strings.Count(out, `msg="liveview: upload refused"`); n != 1 {
		t.Fatalf("%d lines about refusals:\n%s", n, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if len(line) > 1000 {
			t.Fatalf("unbounded line: %.200s...", line)
		}
	}
}

// TestUploadHubClose: closing the Hub frees every upload in progress.
func TestUploadHubClose(t *testing.T) {
	dir := t.TempDir()
	h := New(Config{Logger: discardLogger(), Upload: UploadConfig{Dir: dir}})
	h.Handle("save", saveHandler)
	e := echo.New()
	e.Use(h.Middleware())
	ts := &testServer{hub: h, e: e, srv: httptest.NewServer(e)}
	t.Cleanup(ts.srv.Close)
	c := ts.dial(t, "lobby")
	c.announce(1, "save", testUpload{"docs", "a.txt", "text/plain", []byte("abc")})
	c.accepted(1)
	c.sendChunk(1, 0, 0, []byte("a"))
	c.readUpload()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the temporary files to go", func() bool {
		ents, _ := os.ReadDir(dir)
		return len(ents) == 0
	})
}

// TestUploadMemory streams one large file through one upload as the
// browser does (4 chunks unacknowledged): 200 MiB, 1 GiB with
// LIVEVIEW_UPLOAD_LONG=1, 40 MiB under -race (which slows streaming
// tenfold) unless that is set. The server's memory must not grow with the
// file: the peak heap in use and the process's resident set stay within
// 32 MiB of where they started (client and server share the process; the
// client holds one chunk). The numbers and the throughput are logged, not
// asserted.
func TestUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MiB")
	}
	size := 200 << 20
	switch {
	case os.Getenv("LIVEVIEW_UPLOAD_LONG") != "":
		size = 1 << 30
	case raceEnabled:
		size = 40 << 20
	}
	const bound = 32 << 20
	dir := t.TempDir()
	ts := newTestServer(t, Config{Upload: UploadConfig{Dir: dir, MaxFileSize: -1}}, func(h *Hub, _ *echo.Echo) {
		h.Handle("big", func(c *Context) error {
			f, err := c.FormFile("file")
			if err != nil {
				return err
			}
			r, err := f.Open()
			if err != nil {
				return err
			}
			defer r.Close()
			sum := sha256.New()
			n, err := io.Copy(sum, r)
			if err != nil {
				return err
			}
			return c.HTML("#sum", fmt.Sprintf("%d %x", n, sum.Sum(nil)))
		})
	})
	c := ts.dial(t, "lobby")

	base := memNow()
	peak := base
	stop := make(chan struct{})
	sampled := make(chan memSample)
	go func() {
		p := base
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				sampled <- p
				return
			case <-tick.C:
				p = p.max(memNow())
			}
		}
	}()

	start := time.Now()
	b := []byte(fmt.Sprintf(`{"upload":{"id":2,"function":"big","files":[{"field":"file","name":"big.bin","size":%d,"type":"application/octet-stream"}]}}`, size))
	c.sendRaw(websocket.TextMessage, b)
	chunk := c.accepted(2)
	frame := make([]byte, chunkHeaderSize+chunk)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(frame[chunkHeaderSize:])
	sum := sha256.New()
	inFlight := 0
	for off := 0; off < size; off += chunk {
		n := min(chunk, size-off)
		binary.BigEndian.PutUint64(frame[chunkHeaderSize:], uint64(off)) // every chunk differs
		hdr := appendChunkHeader(frame[:0], 2, 0, uint64(off))
		data := frame[len(hdr) : len(hdr)+n]
		sum.Write(data)
		if err := c.ws.WriteMessage(websocket.BinaryMessage, frame[:len(hdr)+n]); err != nil {
			t.Fatal(err)
		}
		if inFlight++; inFlight == 4 {
			c.readUpload()
			inFlight--
		}
	}
	for ; inFlight > 0; inFlight-- {
		if u := c.readUpload(); u["error"] != nil {
			t.Fatalf("refused: %v", u)
		}
	}
	uploaded := time.Since(start)
	c.sendUploadEvent("big", nil, 1, 2)
	m := c.read()
	c.read() // the ref answer
	total := time.Since(start)
	close(stop)
	peak = peak.max(<-sampled)
	after := memNow()
	if want := fmt.Sprintf("%d %x", size, sum.Sum(nil)); m["html"] != want {
		t.Fatalf("the handler read %v, want %s", m["html"], want)
	}
	assertEmpty(t, dir)

	mb := float64(size) / 1e6
	t.Logf("uploaded %.0f MB (%d MiB) in %v: %.0f MB/s (%.0f MB/s with the handler hashing the file)",
		mb, size>>20, uploaded.Round(time.Millisecond), mb/uploaded.Seconds(), mb/total.Seconds())
	t.Logf("heap in use: %.1f MiB before, %.1f MiB peak (+%.1f), %.1f MiB after; Sys %.1f -> %.1f MiB; VmRSS %.1f MiB before, %.1f MiB peak (+%.1f), %.1f MiB after",
		mib(base.heap), mib(peak.heap), mib(peak.heap-base.heap), mib(after.heap), mib(base.sys), mib(peak.sys),
		mib(base.rss), mib(peak.rss), mib(peak.rss-base.rss), mib(after.rss))
	if g := peak.heap - base.heap; g > bound {
		t.Errorf("heap in use grew by %.1f MiB during the upload, want under %d MiB", mib(g), bound>>20)
	}
	if base.rss > 0 {
		if g := peak.rss - base.rss; g > bound {
			t.Errorf("VmRSS grew by %.1f MiB during the upload, want under %d MiB", mib(g), bound>>20)
		}
	}
}

type memSample struct{ heap, sys, rss uint64 }

func (a memSample) max(b memSample) memSample {
	return memSample{max(a.heap, b.heap), max(a.sys, b.sys), max(a.rss, b.rss)}
}

func memNow() memSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heap: ms.HeapInuse, sys: ms.Sys, rss: vmRSS()}
}

// vmRSS returns the process's resident set size, 0 where there is none
// (not Linux).
func vmRSS() uint64 {
	n, _ := procstat.RSS(0)
	return uint64(n)
}

func mib(n uint64) float64 { return float64(int64(n)) / (1 << 20) }
