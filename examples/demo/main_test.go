package main

import (
	"bytes"
	"log/slog"
	"strings"
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

// TestSessionSecret: the key comes from the environment, is refused when
// short, and is random (different at every start) when absent.
func TestSessionSecret(t *testing.T) {
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))

	t.Setenv(sessionSecretEnv, "")
	a, err := sessionSecret()
	if err != nil || len(a) != 32 {
		t.Fatalf("unset: %d bytes, %v", len(a), err)
	}
	if !strings.Contains(logs.String(), "sessions won't survive a restart") {
		t.Errorf("unset: no warning in the log: %q", logs.String())
	}
	b, _ := sessionSecret()
	if bytes.Equal(a, b) {
		t.Fatal("unset: the same key twice, want a random one")
	}

	t.Setenv(sessionSecretEnv, "too short")
	if _, err := sessionSecret(); err == nil || !strings.Contains(err.Error(), sessionSecretEnv) {
		t.Fatalf("short: %v, want an error naming %s", err, sessionSecretEnv)
	}

	long := strings.Repeat("k", 64)
	t.Setenv(sessionSecretEnv, long)
	if k, err := sessionSecret(); err != nil || string(k) != long {
		t.Fatalf("set: %q, %v", k, err)
	}
}
