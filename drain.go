package liveview

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
)

// Graceful drain: what Shutdown tells clients, how many handshakes an
// instance runs at once, what a plain GET on the endpoint answers, and the
// registration of the Hub with the http.Server that serves it.
//
// A drain spreads the reconnect storm in two places. Shutdown closes every
// socket with 1012 (service restart) and the reason restartReason, which
// carries Config.DrainWindow: the bundled client reconnects after a random
// delay in [0, window] instead of at once. The instances that remain cap the
// handshakes they run at once (Config.MaxHandshakes) and refuse the excess
// with 503 and Retry-After; a browser cannot read the status of a failed
// WebSocket handshake, so the client asks the endpoint over plain HTTP
// (answerProbe) and waits Retry-After instead of its normal backoff.

const (
	// restartReasonPrefix starts the close reason of a drain; the window in
	// milliseconds follows: "liveview:restart:5000".
	restartReasonPrefix = "liveview:restart:"

	// retryAfter is what a refused handshake and a busy probe are told to
	// wait (the Retry-After header, in whole seconds).
	retryAfter = time.Second

	// probeMemory is how long after a refusal the probe still answers 503,
	// so that a client probing right after its handshake was refused
	// learns why even if the load has just dropped (the probe comes a
	// round trip later, more on a busy machine).
	probeMemory = 2 * retryAfter

	// serverShutdownTimeout bounds the drain started by an http.Server's
	// Shutdown (see registerServer). Whoever needs to wait for the drain
	// calls Hub.Shutdown with their own context.
	serverShutdownTimeout = 30 * time.Second

	// closeWorkers is how many connections Shutdown closes at once. Closing
	// one whose socket takes no more data (a client gone silent, its TCP
	// window zero) waits closeTimeout for the close frame; one after the
	// other, a few such clients would delay everyone's 1012 by seconds.
	closeWorkers = 16
)

// drain is the Hub's drain and admission state. Its zero value is ready.
type drain struct {
	inflight    atomic.Int64 // admitted handshakes not yet upgraded nor failed
	handshakes  sync.Map     // *http.Request -> struct{}: those handshakes
	servers     sync.Map     // *http.Server -> struct{}: servers that drain the Hub
	lastRefusal atomic.Int64 // time.Now().UnixNano() of the last refusal for the cap
}

// restartReason is the close reason sent with 1012: the prefix and the
// window in whole milliseconds (0 when the window is negative), well under
// the 123 bytes a close reason may have.
func restartReason(window time.Duration) string {
	return restartReasonPrefix + strconv.FormatInt(max(window, 0).Milliseconds(), 10)
}

// closeForRestart closes c with 1012 (service restart) and the reason that
// tells the client over which window to spread its reconnect.
func (h *Hub) closeForRestart(c *conn) {
	c.setCloseReason(ReasonShutdown) // hooks.go
	c.closeWith(websocket.CloseServiceRestart, restartReason(h.cfg.DrainWindow))
}

// closeAllForRestart closes every conn with 1012, closeWorkers at a time,
// and returns when all are closed.
func (h *Hub) closeAllForRestart(conns []*conn) { h.closeAll(conns, h.closeForRestart) }

// closeAll runs fn for every conn, closeWorkers at a time, and returns
// when all have returned.
func (h *Hub) closeAll(conns []*conn, fn func(*conn)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(closeWorkers, len(conns)) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(conns)); i = next.Add(1) - 1 {
				fn(conns[i])
			}
		})
	}
	wg.Wait()
}

// gate runs first for every request to the endpoint. It registers the Hub
// with the request's http.Server, answers a request that is not a
// WebSocket upgrade (the client's probe) and refuses an upgrade while the
// Hub is closed or Config.MaxHandshakes handshakes are in progress. It
// reports whether the handshake may go on; if not, err is the answer. An
// admitted handshake ends with handshakeDone, called both when the upgrade
// completed and when the handshake failed (whichever comes first counts).
func (h *Hub) gate(c echo.Context) (ok bool, err error) {
	r := c.Request()
	h.registerServer(r)
	if !websocket.IsWebSocketUpgrade(r) {
		return false, h.answerProbe(c)
	}
	if h.isClosed() {
		h.handshakeRefused(r, ReasonUnavailable) // hooks.go
		return false, h.unavailable(c, ErrHubClosed)
	}
	if limit := int64(h.cfg.MaxHandshakes); limit > 0 {
		for {
			n := h.drain.inflight.Load()
			if n >= limit {
				h.noteRefusal(r)
				h.handshakeRefused(r, ReasonBusy) // hooks.go
				return false, h.unavailable(c, ErrTooManyHandshakes)
			}
			if h.drain.inflight.CompareAndSwap(n, n+1) {
				break
			}
		}
	} else {
		h.drain.inflight.Add(1)
	}
	h.drain.handshakes.Store(r, struct{}{})
	return true, nil
}

// handshakeDone ends the admitted handshake of r, once: its slot counts
// against Config.MaxHandshakes no more.
func (h *Hub) handshakeDone(r *http.Request) {
	if _, ok := h.drain.handshakes.LoadAndDelete(r); ok {
		h.drain.inflight.Add(-1)
	}
}

// upgraded is melody's connect handler: the upgrade completed, so the
// handshake leaves the admission count before the connection starts.
func (h *Hub) upgraded(s *melody.Session) {
	h.handshakeDone(s.Request)
	h.onConnect(s)
}

// answerProbe answers a request to the endpoint that is not an upgrade,
// without running Room or OnConnect: 426 Upgrade Required normally, 503 with
// Retry-After while the Hub is closed, at its handshake cap, or shortly
// after it refused a handshake for the cap (probeMemory).
func (h *Hub) answerProbe(c echo.Context) error {
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-store")
	if h.isClosed() {
		return h.unavailable(c, ErrHubClosed)
	}
	if h.busy() {
		return h.unavailable(c, ErrTooManyHandshakes)
	}
	hdr.Set("Upgrade", "websocket")
	hdr.Set("Connection", "Upgrade")
	return c.String(http.StatusUpgradeRequired, "liveview: this endpoint speaks WebSocket\n")
}

// busy reports whether the handshake cap is reached or was recently.
func (h *Hub) busy() bool {
	limit := int64(h.cfg.MaxHandshakes)
	if limit <= 0 {
		return false
	}
	if h.drain.inflight.Load() >= limit {
		return true
	}
	last := h.drain.lastRefusal.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < probeMemory
}

// unavailable is the 503 answer, with Retry-After, for a closed or busy Hub.
func (h *Hub) unavailable(c echo.Context, err error) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	return echo.NewHTTPError(http.StatusServiceUnavailable, err.Error()).SetInternal(err)
}

func (h *Hub) isClosed() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.closed
}

// noteRefusal records a handshake refused for the cap, for the probe, and
// logs it, summarised (logHandshake).
func (h *Hub) noteRefusal(r *http.Request) {
	h.drain.lastRefusal.Store(time.Now().UnixNano())
	h.logHandshake(logTooManyHandshakes, slog.LevelWarn, "liveview: handshake refused: too many handshakes in progress (Config.MaxHandshakes), answered 503",
		"max_handshakes", h.cfg.MaxHandshakes, "remote", r.RemoteAddr, "retry_after", retryAfter)
}

// registerServer makes the Shutdown of the http.Server that serves r drain
// the Hub, once per server: net/http runs the function in a goroutine of
// its own when Shutdown starts and does not wait for it, so the drain is
// bounded by serverShutdownTimeout and whoever must wait calls Hub.Shutdown
// (which waits again). Requests served without an http.Server (a handler
// called directly) register nothing.
func (h *Hub) registerServer(r *http.Request) {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil {
		return
	}
	if _, loaded := h.drain.servers.LoadOrStore(srv, struct{}{}); loaded {
		return
	}
	srv.RegisterOnShutdown(func() {
		ctx, cancel := context.WithTimeout(context.Background(), serverShutdownTimeout)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			h.log.Warn("liveview: draining at server shutdown", "err", err)
		}
	})
}
