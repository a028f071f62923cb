package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/sessions"
)

// TestStatic: the stylesheet and the favicon are served, with their types.
func TestStatic(t *testing.T) {
	e := newApp(sessions.NewCookieStore(make([]byte, 32)), nil, nil, "test")
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
