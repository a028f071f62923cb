// Package jsclient embeds the browser client of liveview and serves it.
//
// The client (sources in src/, Stimulus 3.2.2 bundled) is built into dist/
// by `go generate ./jsclient`, which needs Node only to fetch Stimulus
// (`npm ci --prefix jsclient`); the generated files are committed, so users
// of the library need neither Node nor esbuild.
//
// Three names are served with revalidation (an ETag and Cache-Control:
// no-cache): liveview.min.js, the readable liveview.js, and
// liveview.esm.js, the ES module that exports start() instead of starting
// when loaded (for <script type="module"> and apps with their own
// bundler; see src/esm.js). A fourth name,
// HashedName, holds the same bytes as liveview.min.js and may be cached
// forever, because its name changes whenever its content does.
//
// The upload chunk (src/uploads.js), which the client loads only when an
// event has files to upload, is served the same way: UploadsHashedName
// (liveview.uploads.<hash>.js, the name the client bundles load) forever,
// and liveview.uploads.min.js and the readable liveview.uploads.js with
// revalidation. The hooks chunk (src/hooks.js, loaded when the page uses
// data-liveview-hook) likewise: HooksHashedName, liveview.hooks.min.js and
// liveview.hooks.js.
package jsclient

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed dist/liveview.js dist/liveview.min.js dist/liveview.esm.js dist/liveview.uploads.js dist/liveview.uploads.min.js dist/liveview.hooks.js dist/liveview.hooks.min.js
var dist embed.FS

// Cache policies: revalidate the stable names, keep the hashed one forever.
const (
	revalidate = "no-cache"
	immutable  = "public, max-age=31536000, immutable"
)

// asset is one servable file, prepared once at init.
type asset struct {
	body         []byte
	etag         string // strong: quoted hash of body
	cacheControl string
}

var (
	minified   = mustRead("liveview.min.js")
	hash       = contentHash(minified)[:12]
	hashedName = "liveview." + hash + ".min.js"
	// The build puts uploadsName into the client bundles (see
	// internal/build): the same hash of the same bytes.
	uploads     = mustRead("liveview.uploads.min.js")
	uploadsName = "liveview.uploads." + contentHash(uploads)[:12] + ".js"
	hooks       = mustRead("liveview.hooks.min.js")
	hooksName   = "liveview.hooks." + contentHash(hooks)[:12] + ".js"
	assets      = map[string]asset{
		"liveview.js":             newAsset(mustRead("liveview.js"), revalidate),
		"liveview.min.js":         newAsset(minified, revalidate),
		"liveview.esm.js":         newAsset(mustRead("liveview.esm.js"), revalidate),
		hashedName:                newAsset(minified, immutable),
		"liveview.uploads.js":     newAsset(mustRead("liveview.uploads.js"), revalidate),
		"liveview.uploads.min.js": newAsset(uploads, revalidate),
		uploadsName:               newAsset(uploads, immutable),
		"liveview.hooks.js":       newAsset(mustRead("liveview.hooks.js"), revalidate),
		"liveview.hooks.min.js":   newAsset(hooks, revalidate),
		hooksName:                 newAsset(hooks, immutable),
	}
)

// Handler returns the http.Handler that serves the client. It picks the
// file by the base name of the request path, so it can be mounted under
// any prefix (the liveview plugin uses /static/liveview/):
//
//   - liveview.min.js, liveview.js, liveview.esm.js, liveview.uploads.min.js,
//     liveview.uploads.js: Cache-Control no-cache, a strong ETag, and 304
//     Not Modified for a matching If-None-Match;
//   - HashedName(), UploadsHashedName(): the minified client, the minified
//     upload chunk, with Cache-Control "public, max-age=31536000, immutable";
//   - any other name: 404. Methods other than GET and HEAD: 405.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

// HashedName returns the content-addressed file name of the minified
// client, such as "liveview.3f2a9c1b7d0e.min.js", for long-cached URLs.
func HashedName() string {
	return hashedName
}

// UploadsHashedName returns the content-addressed file name of the
// minified upload chunk, such as "liveview.uploads.3f2a9c1b7d0e.js": the
// name the client loads it by, next to the client's own URL, the first
// time an event has files to upload.
func UploadsHashedName() string {
	return uploadsName
}

// HooksHashedName returns the content-addressed file name of the minified
// hooks chunk, such as "liveview.hooks.3f2a9c1b7d0e.js": the name the
// client loads it by, next to the client's own URL, when the page uses
// data-liveview-hook.
func HooksHashedName() string {
	return hooksName
}

// Has reports whether Handler serves the file name (a base name, such as
// "liveview.min.js").
func Has(name string) bool {
	_, ok := assets[name]
	return ok
}

// Hash returns the first 12 hex digits of the SHA-256 of liveview.min.js,
// the part of HashedName that changes with every new build.
func Hash() string {
	return hash
}

func serve(w http.ResponseWriter, r *http.Request) {
	a, ok := assets[path.Base(r.URL.Path)]
	if !ok || strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", a.cacheControl)
	h.Set("ETag", a.etag)
	// ServeContent answers If-None-Match (304), HEAD and Range requests.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

func newAsset(body []byte, cacheControl string) asset {
	return asset{body: body, etag: `"` + contentHash(body)[:32] + `"`, cacheControl: cacheControl}
}

// contentHash returns the hex SHA-256 of b.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// mustRead returns an embedded dist file; a missing one is a build bug.
func mustRead(name string) []byte {
	b, err := dist.ReadFile("dist/" + name)
	if err != nil {
		panic("jsclient: " + err.Error())
	}
	return b
}
