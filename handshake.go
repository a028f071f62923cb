package liveview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
)

// The WebSocket handshake: every check a request for the endpoint passes
// before it becomes a connection, in order:
//
//  1. the Origin (scheme, host and port) is the request's own or listed in
//     Config.AllowedOrigins: else 403;
//  2. the client address has fewer than Config.MaxConnsPerIP connections:
//     else 429;
//  3. the room (Config.Room, a signed segment, or a valid segment): else
//     403 or 400;
//  4. Config.OnConnect, then the subscriptions on the Broker; all of it
//     within Config.HandshakeTimeout (the Broker's Subscribe gets the
//     deadline; Room and OnConnect cannot be interrupted, but a handshake
//     they made late is refused): else 503;
//  5. the upgrade, its answer written within Config.HandshakeTimeout.
//
// A Room or OnConnect error wrapping ErrSessionExpired is no refusal: the
// upgrade completes and the socket is closed at once with 4401
// (navigation.go), the one answer a browser can read.
//
// Each refusal is logged at most once per kind per 10 s for the Hub, the
// next line saying how many were left out; client-supplied strings in those
// lines are clipped to MaxClientStringLog bytes.

// serveWS answers a request for the endpoint. Its frame, and run's, stay
// under the connection's read loop for the connection's life, and every
// connection whose read goroutine's stack once passes 4 KiB keeps 8 KiB
// (the runtime shrinks a stack only when a quarter of it is enough). So
// the checks, and the app's Room and OnConnect with them, run in admit on
// a short-lived goroutine of their own, and the frames here are kept small.
func (h *Hub) serveWS(c echo.Context, seg string) error {
	r := c.Request()               // the handshake's key in the admission count, whatever Room or OnConnect do
	if ok, err := h.gate(c); !ok { // drain.go: probe, handshake cap, server registration
		return err
	}
	done := make(chan *conn, 1)
	var (
		err      error
		panicked any
	)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				panicked = v
				done <- nil
			}
		}()
		cn, aerr := h.admit(c, seg)
		err = aerr
		done <- cn
	}()
	cn := <-done
	if cn == nil && panicked == nil && expired(err) {
		// navigation.go: upgrade, then close 4401; the handshake counts
		// against Config.MaxHandshakes until the socket is closed.
		err = h.expireHandshake(c)
	}
	if cn == nil {
		h.handshakeDone(r)
	}
	if panicked != nil {
		panic(panicked) // where Echo's Recover middleware, if any, sees it
	}
	if cn == nil {
		return err
	}
	return h.run(c, cn)
}

// admit runs the checks of a handshake up to the upgrade and returns the
// connection, counted in h.wg and its address's limits, or the answer to
// refuse it with.
func (h *Hub) admit(c echo.Context, seg string) (*conn, error) {
	r := c.Request()
	if !h.originAllowed(c) {
		h.logHandshake(logOriginRefused, slog.LevelWarn, "liveview: handshake refused: origin not allowed",
			"origin", clip(r.Header.Get("Origin"), MaxClientStringLog), "host", clip(r.Host, MaxClientStringLog), "scheme", c.Scheme(), "remote", r.RemoteAddr)
		h.handshakeRefused(r, ReasonOriginRefused) // hooks.go
		return nil, echo.NewHTTPError(http.StatusForbidden, "origin not allowed")
	}
	ip := h.clientIP(c)
	ipState := h.acquireIP(ip)
	if ipState == nil {
		h.logHandshake(logIPLimit, slog.LevelWarn, "liveview: handshake refused: too many connections from one address (Config.MaxConnsPerIP)",
			"ip", clip(ip, MaxClientStringLog), "limit", h.cfg.MaxConnsPerIP, "remote", r.RemoteAddr)
		h.handshakeRefused(r, ReasonRateLimited) // hooks.go
		return nil, echo.NewHTTPError(http.StatusTooManyRequests, "too many connections")
	}
	ok := false
	defer func() {
		if !ok { // refused, or Room or OnConnect panicked
			h.releaseIP(ip, ipState)
		}
	}()
	cn, err := h.admitRoom(c, seg, ip, ipState)
	ok = err == nil
	if err != nil && h.hooks != nil && !expired(err) {
		h.handshakeRefused(r, refusalReason(err)) // hooks.go
	}
	return cn, err
}

// admitRoom is admit from the room on, for an address already counted.
func (h *Hub) admitRoom(c echo.Context, seg, ip string, ipState *ipState) (*conn, error) {
	// Not a child of the request's context: that one lives as long as the
	// connection, and each child it ever had costs it memory (a map entry
	// and a channel) until then. A client gone mid-handshake is found out at
	// the upgrade.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), h.cfg.HandshakeTimeout)
	defer cancel()
	r := c.Request()
	c.SetParamNames("room")
	c.SetParamValues(seg)
	room := seg
	switch {
	case h.cfg.Room != nil:
		var err error
		if room, err = h.cfg.Room(c); err != nil {
			h.logHandshake(logRoomRefused, slog.LevelInfo, "liveview: handshake refused by Config.Room", "err", clip(err.Error(), maxErrorLog), "remote", r.RemoteAddr)
			return nil, refuse(err, "room refused")
		}
		if room == "" {
			return nil, echo.NewHTTPError(http.StatusForbidden, "room refused")
		}
	case len(h.cfg.RoomSecret) > 0:
		var err error
		if room, err = h.signedRoom(c, seg); err != nil {
			return nil, echo.NewHTTPError(http.StatusForbidden, "room refused").SetInternal(err)
		}
	case !ValidRoom(seg):
		h.logHandshake(logRoomRefused, slog.LevelInfo, "liveview: handshake refused: invalid room segment", "segment", clip(seg, MaxClientStringLog), "remote", r.RemoteAddr)
		return nil, echo.NewHTTPError(http.StatusBadRequest, ErrInvalidRoom.Error()).SetInternal(ErrInvalidRoom)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, ErrHubClosed.Error())
	}
	h.wg.Add(1)
	h.mu.Unlock()

	h.logOnce.Do(func() { h.log.Info("liveview: handlers registered", "functions", h.reg.names()) })

	cn := newConn(h, c.Echo(), r, room)
	cn.ip, cn.ipState = ip, ipState
	cn.keys = map[string]any{connKey: cn}
	ok := false
	defer func() {
		if !ok { // refused, or OnConnect panicked
			h.leaveAll(cn)    // the topics OnConnect joined too
			h.endPresence(cn) // and what it tracked and watched
			cn.cancel()
			h.wg.Done()
		}
	}()
	h.restoreValues(ctx, cn) // values.go: a reconnecting page's kept values
	if h.cfg.OnConnect != nil {
		if err := h.cfg.OnConnect(c, &Context{conn: cn}); err != nil {
			h.logHandshake(logRoomRefused, slog.LevelInfo, "liveview: handshake refused by Config.OnConnect", cn.logAttrs("err", clip(err.Error(), maxErrorLog))...)
			return nil, refuse(err, "connection refused")
		}
	}
	// Join the rooms before the upgrade: once the browser sees the socket
	// open, it receives every Publish and Broadcast.
	if err := h.joinAll(ctx, cn); err != nil {
		h.logHandshake(logSubscribeFailed, slog.LevelWarn, "liveview: subscribing failed, handshake refused", cn.logAttrs("err", err)...)
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "try again later").SetInternal(err)
	}
	if deadline, _ := ctx.Deadline(); ctx.Err() != nil || !time.Now().Before(deadline) { // OnConnect or Room used it all (the clock, not only the timer, which a busy machine may run late)
		h.logHandshake(logSubscribeFailed, slog.LevelWarn, "liveview: handshake refused: Config.HandshakeTimeout exceeded", cn.logAttrs()...)
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "try again later").SetInternal(ctx.Err())
	}
	ok = true
	return cn, nil
}

// run upgrades the request and serves the connection until it closes.
func (h *Hub) run(c echo.Context, cn *conn) error {
	err := h.melody.HandleRequestWithKeys(c.Response(), cn.req, cn.keys)
	return h.finish(cn, err)
}

// finish releases what admit took for cn once its connection ended, or
// its upgrade failed with err, and returns the answer to the request.
//
//go:noinline
func (h *Hub) finish(cn *conn, err error) error {
	defer h.wg.Done()
	defer h.releaseIP(cn.ip, cn.ipState)
	if err == nil {
		return nil
	}
	h.handshakeDone(cn.req) // the upgrade failed: melody's connect handler did not run
	h.leaveAll(cn)
	h.endPresence(cn)
	cn.cancel()
	if errors.Is(err, melody.ErrClosed) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, ErrHubClosed.Error())
	}
	// The upgrader has already answered the client.
	h.log.Debug("liveview: upgrade failed", cn.logAttrs("err", clip(err.Error(), maxErrorLog))...)
	return nil
}

// refusalReason is the hooks' reason for an error of admitRoom.
func refusalReason(err error) CloseReason {
	if he, ok := errors.AsType[*echo.HTTPError](err); ok && he.Code == http.StatusServiceUnavailable {
		return ReasonUnavailable
	}
	return ReasonRefused
}

// refuse turns a Room or OnConnect error into the handshake's answer.
func refuse(err error, msg string) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he
	}
	return echo.NewHTTPError(http.StatusForbidden, msg).SetInternal(err)
}

// origin is a normalised web origin: scheme, lower-case host and port.
type origin struct{ scheme, host, port string }

// parseOrigin normalises an Origin header or an AllowedOrigins entry. Only
// http and https origins exist for WebSocket handshakes; a missing port is
// the scheme's default.
func parseOrigin(s string) (origin, bool) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return origin{}, false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return origin{}, false
	}
	return newOrigin(scheme, u.Host), true
}

// newOrigin makes the origin of scheme and a host with an optional port.
func newOrigin(scheme, hostport string) origin {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), ""
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return origin{scheme: scheme, host: strings.ToLower(host), port: port}
}

// parseAllowedOrigins normalises Config.AllowedOrigins at start; an entry
// that is not an origin is a programming error.
func parseAllowedOrigins(list []string) []origin {
	out := make([]origin, 0, len(list))
	for _, s := range list {
		o, ok := parseOrigin(s)
		if !ok {
			panic(fmt.Sprintf("liveview: Config.AllowedOrigins: %q is not an origin like https://app.example.com", s))
		}
		out = append(out, o)
	}
	return out
}

// originAllowed allows requests without Origin (non-browser clients), from
// the request's own origin (the scheme as Echo sees it, which trusts
// X-Forwarded-Proto only from the proxies its SchemeExtractor trusts; the
// Host header; the port), or from Config.AllowedOrigins.
func (h *Hub) originAllowed(c echo.Context) bool {
	if h.cfg.InsecureSkipOriginCheck {
		return true
	}
	r := c.Request()
	header := r.Header.Get("Origin")
	if header == "" {
		return true
	}
	o, ok := parseOrigin(header)
	if !ok {
		return false
	}
	if o == newOrigin(strings.ToLower(c.Scheme()), r.Host) {
		return true
	}
	for _, a := range h.allowedOrigins {
		if o == a {
			return true
		}
	}
	return false
}
