package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/sessions"
)

// TestStatic: the stylesheet and the favicon are served, with their types.
func TestStatic(t *testing.T) {
	e := newApp(sessions.NewCookieStore(make([]byte, 32)))
	for path, want := range map[string]string{
		"/static/style.css": "text/css",
		"/favicon.svg":      "image/svg+xml",
		"/favicon.ico":      "image/svg+xml",
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), want) || rec.Body.Len() == 0 {
			t.Errorf("GET %s: %d %q, %d bytes; want 200 %s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), want)
		}
	}
}

// TestStaticCopies: every example has its own copy of static/ (so that it
// runs alone when copied); the demo's is the original, and inside the
// repository the other examples' copies must be the same bytes. Outside
// it (the demo copied into an app) there is nothing to compare.
func TestStaticCopies(t *testing.T) {
	if mod, err := os.ReadFile("../../go.mod"); err != nil || !bytes.Contains(mod, []byte("module github.com/echo-liveview/liveview\n")) {
		t.Skip("not inside the liveview repository")
	}
	copies, err := filepath.Glob("../*/static/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range copies {
		if filepath.Base(filepath.Dir(filepath.Dir(c))) == "demo" {
			continue
		}
		want, err := os.ReadFile(filepath.Join("static", filepath.Base(c)))
		if err != nil {
			t.Errorf("%s has no original in examples/demo/static: %v", c, err)
			continue
		}
		if got, err := os.ReadFile(c); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from examples/demo/static/%s (%v): copy it again", c, filepath.Base(c), err)
		}
		n++
	}
	if n == 0 {
		t.Error("found no copies of examples/demo/static in the other examples")
	}
}
