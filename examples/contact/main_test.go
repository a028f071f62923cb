package main

import (
	"testing"
	"time"

	"github.com/labstack/echo/v4"
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
