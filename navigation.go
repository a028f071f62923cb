package liveview

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// Flash messages, redirects and expired sessions: the additive frame keys
// flash and redirect, and the close code 4401 (see the package's
// # Additive keys).

// Flash is a short message for the user, the "flash" frame key
// ({"kind": "info", "text": "Saved"}). The bundled client shows it in the
// page's container, an element with the attribute data-liveview-flash
// (anywhere in the page, e.g. <div data-liveview-flash></div>), as
//
//	<div class="liveview-flash liveview-flash-info" role="status">Saved<button type="button" aria-label="Close">×</button></div>
//
// (role="alert" for the kind "error"), until the button is clicked or,
// when the container's attribute is a number of milliseconds
// (data-liveview-flash="5000"), that long. A page shows one message per
// kind: a new one replaces the one of its kind, and an empty Text only
// removes it. Messages survive the frames that replace the container (a
// Navigate, in either order with the Flash) and a Redirect to the same
// origin; without a container the client warns once in the console.
type Flash struct {
	// Kind names the message's kind and its class (liveview-flash-<kind>):
	// 1 to 32 of a-z, 0-9 and "-", such as "info", "success", "warning" or
	// "error". Anything else is an encoding error.
	Kind string `json:"kind"`
	// Text is the message, shown as plain text (never parsed as HTML).
	Text string `json:"text"`
}

// maxFlashKind bounds the length of a Flash.Kind.
const maxFlashKind = 32

// check reports an invalid Kind.
func (f *Flash) check() error {
	ok := f.Kind != "" && len(f.Kind) <= maxFlashKind
	for i := 0; ok && i < len(f.Kind); i++ {
		c := f.Kind[i]
		ok = isLowerASCII(c) || isDigit(c) || c == '-'
	}
	if !ok {
		return fmt.Errorf("liveview: Message.Flash: kind %q must be 1 to %d of a-z, 0-9 and -", clip(f.Kind, MaxClientStringLog), maxFlashKind)
	}
	return nil
}

// Flash shows text to the user as a message of kind ("info", "success",
// "error"... see [Flash]) in the page's data-liveview-flash container,
// replacing the page's message of that kind; an empty text removes it. It
// survives a Navigate sent before or after it, and a Redirect. An invalid
// kind is an error and nothing is sent. To flash other pages, Publish or
// Broadcast a Message with a Flash.
func (c *Context) Flash(kind, text string) error {
	return c.Send(Message{Flash: &Flash{Kind: kind, Text: text}})
}

// Redirect makes the page load url as a full page load, through the
// additive "redirect" key (location.assign in the bundled client): an http
// or https URL, or a relative one ("/login", "?tab=2"). Any other URL
// (javascript:, data:, one with spaces or control characters, "") returns
// an error wrapping ErrUnsafeURL and sends nothing; the client refuses them
// too. The page's flash messages go with it (same origin only). Use
// Navigate to change a part of the page without a load.
func (c *Context) Redirect(url string) error {
	if url == "" {
		return fmt.Errorf("%w: empty", ErrUnsafeURL)
	}
	return c.Send(Message{Redirect: url})
}

// checkRedirect returns an error wrapping ErrUnsafeURL unless u is an
// http, https or relative URL with no space or control character (which
// browsers strip or drop before they read the scheme: " javascript:x").
func checkRedirect(u string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %q: %s", ErrUnsafeURL, clip(u, MaxClientStringLog), why)
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= ' ' || u[i] == 0x7f {
			return bad("spaces and control characters must be percent-encoded")
		}
	}
	p, err := url.Parse(u)
	if err != nil {
		return bad(err.Error())
	}
	if s := strings.ToLower(p.Scheme); s != "" && s != "http" && s != "https" {
		return bad("only http, https and relative URLs are loaded")
	}
	return nil
}

// CloseSessionExpired is the WebSocket close code, in the range for
// applications, with which the Hub closes a connection whose session has
// expired (see ErrSessionExpired); the close reason is "liveview:expired".
const CloseSessionExpired = 4401

// expiredReason is the close reason sent with CloseSessionExpired.
const expiredReason = "liveview:expired"

// expireConn closes c with CloseSessionExpired after a handler or
// middleware returned err (wrapping ErrSessionExpired): once the frames
// already queued for it are written (at most closeTimeout), so what the
// handler sent before arrives first.
func (h *Hub) expireConn(c *Context, err error) {
	cn := c.conn
	h.logEvent(cn, logSessionExpired, slog.LevelInfo, "liveview: session expired, connection closed with 4401",
		"function", clip(c.Function(), MaxClientStringLog), "err", clip(err.Error(), maxErrorLog))
	cn.setCloseReason(ReasonExpired) // hooks.go
	cn.flush(closeTimeout)
	cn.closeWith(CloseSessionExpired, expiredReason)
}

// flush waits until every frame queued for c is written to the socket, c
// closes, or timeout passes.
func (c *conn) flush(timeout time.Duration) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	for c.backlog > 0 && !c.closed.Load() && c.ctx.Err() == nil {
		if c.space == nil {
			c.space = make(chan struct{})
		}
		space := c.space
		c.sendMu.Unlock()
		select {
		case <-space:
		case <-c.ctx.Done():
		case <-timer.C:
			c.sendMu.Lock()
			return
		}
		c.sendMu.Lock()
	}
}

// expireHandshake answers a handshake that Config.Room or Config.OnConnect
// refused with ErrSessionExpired: a browser cannot read the status of a
// refused handshake, so the upgrade completes, without any connection
// state, and the socket is closed at once with CloseSessionExpired. It
// waits for the client's close frame at most closeTimeout.
func (h *Hub) expireHandshake(c echo.Context) error {
	ws, err := h.melody.Upgrader.Upgrade(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // the upgrader has answered the client
	}
	deadline := time.Now().Add(closeTimeout)
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseSessionExpired, expiredReason), deadline)
	_ = ws.SetReadDeadline(deadline)
	for {
		if _, _, err := ws.NextReader(); err != nil {
			break // the client's close frame, or the deadline
		}
	}
	_ = ws.Close()
	return nil
}

// expired reports whether err asks for a session-expired close.
func expired(err error) bool { return errors.Is(err, ErrSessionExpired) }
