package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"
)

// exampleReadHeaderTimeout is the ReadHeaderTimeout that every example's
// newServer sets.
const exampleReadHeaderTimeout = 5 * time.Second

// closeMargin is how much later than its ReadHeaderTimeout an example may
// close a half-sent request: generous, for a loaded machine under -race.
const closeMargin = 15 * time.Second

// TestHalfSentUpgradeClosed runs every example and opens connections that
// send the first half of a WebSocket upgrade request, then nothing (the
// slow-loris of issue 10: 1,000 of them used to stay open 20 s and more).
// Each example closes them once its ReadHeaderTimeout has passed, without
// an answer, and meanwhile still answers a complete request.
func TestHalfSentUpgradeClosed(t *testing.T) {
	for _, pkg := range []string{demo, chat, contactApp, multilangApp, clienttest} {
		t.Run(path.Base(pkg), func(t *testing.T) {
			t.Parallel()
			base := StartApp(t, pkg)
			addr := strings.TrimPrefix(base, "http://")

			const n = 20
			conns := make([]net.Conn, n)
			for i := range conns {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
				t.Cleanup(func() { c.Close() })
				// The request line and some headers; no Sec-WebSocket-Key
				// yet and no blank line: the headers never end.
				if _, err := fmt.Fprintf(c, "GET /ws/liveview/lobby/ HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", addr); err != nil {
					t.Fatalf("connection %d: writing half a request: %v", i, err)
				}
				conns[i] = c
			}
			start := time.Now()

			// Complete requests are answered meanwhile.
			client := &http.Client{Timeout: 10 * time.Second}
			resp, err := client.Get(base + "/static/liveview/liveview.min.js")
			if err != nil {
				t.Fatalf("a complete request while half-sent ones wait: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET liveview.min.js: %s", resp.Status)
			}

			deadline := start.Add(exampleReadHeaderTimeout + closeMargin)
			for i, c := range conns {
				_ = c.SetReadDeadline(deadline)
				got, err := io.ReadAll(c) // until the server closes
				elapsed := time.Since(start)
				var ne net.Error
				switch {
				case errors.As(err, &ne) && ne.Timeout():
					t.Fatalf("connection %d still open %v after its half-sent request (ReadHeaderTimeout %v)", i, elapsed.Round(time.Millisecond), exampleReadHeaderTimeout)
				case err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset"):
					t.Fatalf("connection %d: %v", i, err)
				case len(got) > 0:
					t.Errorf("connection %d: the server answered a half-sent request: %q", i, got)
				}
				// A lower bound, so safe on a loaded machine: closed by the
				// timeout, not by something that refuses at once.
				if elapsed < exampleReadHeaderTimeout/2 {
					t.Errorf("connection %d closed after %v, well before ReadHeaderTimeout %v", i, elapsed, exampleReadHeaderTimeout)
				}
			}
		})
	}
}
