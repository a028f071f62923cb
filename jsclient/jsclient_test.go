package jsclient

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
)

// maxGzipBytes is the size budget of the minified client, gzipped: 24 KB.
const maxGzipBytes = 24 * 1024

// maxUploadsGzipBytes is the size budget of the minified upload chunk,
// gzipped: 3 KB.
const maxUploadsGzipBytes = 3 * 1024

func readDist(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("dist/" + name)
	if err != nil {
		t.Fatalf("dist/%s: %v (run go generate ./jsclient)", name, err)
	}
	return b
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:])[:32] + `"`
}

func TestHandler(t *testing.T) {
	minJS := readDist(t, "liveview.min.js")
	readable := readDist(t, "liveview.js")
	minTag, readableTag := etagOf(minJS), etagOf(readable)
	chunk, chunkReadable := readDist(t, "liveview.uploads.min.js"), readDist(t, "liveview.uploads.js")
	const js = "text/javascript; charset=utf-8"
	const forever = "public, max-age=31536000, immutable"

	tests := []struct {
		name        string
		method      string
		path        string
		ifNoneMatch string
		status      int
		body        []byte // nil: body not checked beyond wantEmpty
		wantEmpty   bool
		header      map[string]string // exact values; "" means absent
	}{
		{
			name: "minified", method: "GET", path: "/static/liveview/liveview.min.js",
			status: 200, body: minJS,
			header: map[string]string{"Content-Type": js, "Cache-Control": "no-cache", "ETag": minTag, "X-Content-Type-Options": "nosniff"},
		},
		{
			name: "readable", method: "GET", path: "/static/liveview/liveview.js",
			status: 200, body: readable,
			header: map[string]string{"Content-Type": js, "Cache-Control": "no-cache", "ETag": readableTag},
		},
		{
			name: "any prefix", method: "GET", path: "/elsewhere/liveview.min.js",
			status: 200, body: minJS,
		},
		{
			name: "HEAD", method: "HEAD", path: "/static/liveview/liveview.min.js",
			status: 200, wantEmpty: true,
			header: map[string]string{"Content-Type": js, "Cache-Control": "no-cache", "ETag": minTag},
		},
		{
			name: "304 on matching ETag", method: "GET", path: "/static/liveview/liveview.min.js", ifNoneMatch: minTag,
			status: 304, wantEmpty: true,
			header: map[string]string{"Cache-Control": "no-cache", "ETag": minTag, "Content-Type": ""},
		},
		{
			name: "304 on one of several ETags", method: "GET", path: "/static/liveview/liveview.js", ifNoneMatch: `"x", ` + readableTag,
			status: 304, wantEmpty: true,
		},
		{
			name: "304 on HEAD", method: "HEAD", path: "/static/liveview/liveview.js", ifNoneMatch: readableTag,
			status: 304, wantEmpty: true,
		},
		{
			name: "200 on stale ETag", method: "GET", path: "/static/liveview/liveview.min.js", ifNoneMatch: readableTag,
			status: 200, body: minJS,
		},
		{
			name: "hashed name", method: "GET", path: "/static/liveview/" + HashedName(),
			status: 200, body: minJS,
			header: map[string]string{"Content-Type": js, "Cache-Control": "public, max-age=31536000, immutable", "ETag": minTag},
		},
		{
			name: "hashed name HEAD", method: "HEAD", path: "/static/liveview/" + HashedName(),
			status: 200, wantEmpty: true,
			header: map[string]string{"Cache-Control": "public, max-age=31536000, immutable"},
		},
		{
			name: "ES module", method: "GET", path: "/static/liveview/liveview.esm.js",
			status: 200, body: readDist(t, "liveview.esm.js"),
			header: map[string]string{"Content-Type": js, "Cache-Control": "no-cache"},
		},
		{
			name: "upload chunk, hashed", method: "GET", path: "/static/liveview/" + UploadsHashedName(),
			status: 200, body: chunk,
			header: map[string]string{"Content-Type": js, "Cache-Control": forever, "ETag": etagOf(chunk), "X-Content-Type-Options": "nosniff"},
		},
		{
			name: "upload chunk, minified", method: "GET", path: "/static/liveview/liveview.uploads.min.js",
			status: 200, body: chunk,
			header: map[string]string{"Content-Type": js, "Cache-Control": "no-cache", "ETag": etagOf(chunk)},
		},
		{
			name: "upload chunk, readable", method: "GET", path: "/static/liveview/liveview.uploads.js",
			status: 200, body: chunkReadable,
			header: map[string]string{"Content-Type": js, "Cache-Control": "no-cache", "ETag": etagOf(chunkReadable)},
		},
		{
			name: "upload chunk, 304", method: "GET", path: "/static/liveview/liveview.uploads.min.js", ifNoneMatch: etagOf(chunk),
			status: 304, wantEmpty: true,
		},
		{name: "upload chunk, wrong hash", method: "GET", path: "/static/liveview/liveview.uploads.000000000000.js", status: 404},
		{name: "upload chunk, POST", method: "POST", path: "/static/liveview/" + UploadsHashedName(), status: 405},
		{name: "wrong hash", method: "GET", path: "/static/liveview/liveview.000000000000.min.js", status: 404},
		{name: "unknown file", method: "GET", path: "/static/liveview/other.js", status: 404},
		{name: "directory", method: "GET", path: "/static/liveview/", status: 404},
		{name: "trailing slash", method: "GET", path: "/static/liveview/liveview.min.js/", status: 404},
		{name: "root", method: "GET", path: "/", status: 404},
		{name: "dist path", method: "GET", path: "/dist/liveview.min.js/x", status: 404},
		{name: "unknown file POST", method: "POST", path: "/static/liveview/other.js", status: 404},
		{
			name: "POST", method: "POST", path: "/static/liveview/liveview.min.js",
			status: 405, header: map[string]string{"Allow": "GET, HEAD", "ETag": ""},
		},
		{name: "PUT", method: "PUT", path: "/static/liveview/liveview.js", status: 405},
		{name: "DELETE hashed", method: "DELETE", path: "/static/liveview/" + HashedName(), status: 405},
		{name: "OPTIONS", method: "OPTIONS", path: "/static/liveview/liveview.min.js", status: 405},
	}
	h := Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.status)
			}
			for k, want := range tt.header {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.body != nil && !bytes.Equal(rec.Body.Bytes(), tt.body) {
				t.Errorf("body: %d bytes, want the %d bytes of the file", rec.Body.Len(), len(tt.body))
			}
			if tt.wantEmpty && rec.Body.Len() != 0 {
				t.Errorf("body: %d bytes, want none", rec.Body.Len())
			}
		})
	}
}

func TestHandlerOverHTTP(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/static/liveview/" + HashedName())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ContentLength != int64(len(readDist(t, "liveview.min.js"))) {
		t.Fatalf("status %d, length %d", res.StatusCode, res.ContentLength)
	}
}

func TestHashedName(t *testing.T) {
	sum := sha256.Sum256(readDist(t, "liveview.min.js"))
	want := hex.EncodeToString(sum[:])[:12]
	if Hash() != want {
		t.Errorf("Hash() = %q, want %q", Hash(), want)
	}
	if got := HashedName(); got != "liveview."+want+".min.js" {
		t.Errorf("HashedName() = %q", got)
	}
	if !regexp.MustCompile(`^liveview\.[0-9a-f]{12}\.min\.js$`).MatchString(HashedName()) {
		t.Errorf("HashedName() = %q has the wrong shape", HashedName())
	}
}

func TestGzipSize(t *testing.T) {
	for _, tt := range []struct {
		file   string
		budget int
	}{
		{"liveview.min.js", maxGzipBytes},
		{"liveview.uploads.min.js", maxUploadsGzipBytes},
	} {
		b := readDist(t, tt.file)
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zw.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %d gzipped (budget %d)", tt.file, len(b), buf.Len(), tt.budget)
		if buf.Len() > tt.budget {
			t.Errorf("gzipped %s is %d bytes, over the %d budget", tt.file, buf.Len(), tt.budget)
		}
	}
}

func TestUploadsHashedName(t *testing.T) {
	sum := sha256.Sum256(readDist(t, "liveview.uploads.min.js"))
	want := "liveview.uploads." + hex.EncodeToString(sum[:])[:12] + ".js"
	if got := UploadsHashedName(); got != want {
		t.Errorf("UploadsHashedName() = %q, want %q", got, want)
	}
}

// TestUploadsNameInBundles checks that every client bundle loads the chunk
// this package serves: the build put its hashed name in, and only it.
func TestUploadsNameInBundles(t *testing.T) {
	names := regexp.MustCompile(`liveview\.uploads\.[0-9a-f]{12}\.js`)
	for _, file := range []string{"liveview.js", "liveview.min.js", "liveview.esm.js"} {
		found := names.FindAllString(string(readDist(t, file)), -1)
		if len(found) != 1 || found[0] != UploadsHashedName() {
			t.Errorf("%s names the chunks %q, want once %q (run go generate ./jsclient)", file, found, UploadsHashedName())
		}
	}
	// The chunk itself is the code of uploads only: no Stimulus.
	if bytes.Contains(readDist(t, "liveview.uploads.min.js"), []byte("Stimulus")) {
		t.Error("the upload chunk bundles Stimulus")
	}
}

func TestHas(t *testing.T) {
	for name, want := range map[string]bool{
		"liveview.min.js": true, "liveview.js": true, "liveview.esm.js": true, HashedName(): true,
		"liveview.uploads.js": true, "liveview.uploads.min.js": true, UploadsHashedName(): true,
		"": false, "x/liveview.min.js": false, "liveview.uploads.000000000000.js": false, "other.js": false,
	} {
		if got := Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestEmbedMatchesDisk guards the //go:embed line: what ships is what
// go generate wrote, and every file in dist/ is embedded.
func TestEmbedMatchesDisk(t *testing.T) {
	entries, err := os.ReadDir("dist")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	embedded, err := fs.Glob(dist, "dist/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(embedded) != len(onDisk) {
		t.Fatalf("embedded %v, on disk %v", embedded, onDisk)
	}
	for _, name := range onDisk {
		got, err := dist.ReadFile("dist/" + name)
		if err != nil {
			t.Fatalf("%s not embedded: %v", name, err)
		}
		if !bytes.Equal(got, readDist(t, name)) {
			t.Errorf("embedded %s differs from the file on disk", name)
		}
	}
}
