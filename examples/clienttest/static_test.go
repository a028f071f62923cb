package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestFavicon: /favicon.ico, which browsers ask for, is served (an SVG).
func TestFavicon(t *testing.T) {
	e, _ := newApp()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/favicon.ico", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("GET /favicon.ico: %d %q, want 200 image/svg+xml", rec.Code, rec.Header().Get("Content-Type"))
	}
}
