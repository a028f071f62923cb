package liveviewtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/clientrules"
)

// CallArg is an argument of Call: Form, Data, Lang, Room, Renderer, or an
// Option (WithHeader, WithCookie, WithSocketPath, WithTimeout).
type CallArg interface {
	applyCall(*callConfig)
}

type callConfig struct {
	form     map[string]any
	data     map[string]string
	lang     *string
	room     string
	renderer echo.Renderer
	opts     []Option
}

// Form is the form of a Call: field name -> value, as the client sends
// them: a string, a bool for a checkbox, or a []string for a multi-value
// field (a <select multiple>, several checkboxes of one name). Several
// Forms are merged.
type Form map[string]any

func (f Form) applyCall(c *callConfig) {
	for k, v := range f {
		c.form[k] = v
	}
}

// Data is the trigger element's data attributes in a Call, by HTML
// attribute name ("data-comment-id", "data-data-alert-id") -> value. They
// are converted as the client converts them (the dataset's camelCase, the
// client's omit list: data-action, data-liveview-* and the like are not
// sent), and the server snake_cases them as usual, so a handler reads
// data-comment-id as c.Data("comment_id") and data-data-alert-id as
// c.Data("data_alert_id"). Several Datas are merged.
type Data map[string]string

func (d Data) applyCall(c *callConfig) {
	for k, v := range d {
		c.data[k] = v
	}
}

// Lang is the event's lang in a Call (the page's <html lang>). Default:
// none (null, as a page without lang sends).
type Lang string

func (l Lang) applyCall(c *callConfig) { s := string(l); c.lang = &s }

// Room is the URL room segment a Call connects to (Config.Room may decide
// another room). Default: a new liveview.NewRoomID(). With
// Config.RoomSecret, pass a signed one: Room(hub.SignRoom("lobby")).
type Room string

func (r Room) applyCall(c *callConfig) { c.room = string(r) }

// Renderer makes Call render with r (the app's e.Renderer), which
// Context.Render needs. Default: none (Render returns ErrNoRenderer).
func Renderer(r echo.Renderer) CallArg { return rendererArg{r} }

type rendererArg struct{ r echo.Renderer }

func (r rendererArg) applyCall(c *callConfig) { c.renderer = r.r }

func (o Option) applyCall(c *callConfig) { c.opts = append(c.opts, o) }

// Call runs the handler of function on h for one event and returns the
// frames the connection received until the event was answered (the bare
// {"ref": n} answer left out; an error frame included), for testing a
// handler without a page:
//
//	frames := liveviewtest.Call(t, hub, "delete_comment",
//		liveviewtest.Data{"data-comment-id": "123"}, liveviewtest.Form{"confirm": true})
//
// The event goes through a real WebSocket to h mounted on a fresh Echo
// instance (with the Renderer given, and no other middleware), so h's
// Config (Room, OnConnect, limits) and middleware apply. Frames that
// arrive after the answer (a Publish, a Broadcast, a handler's goroutine)
// are not waited for: test those with pages (New, Open). Call fails the
// test when the handshake is refused or the answer does not come within
// the timeout.
func Call(t testing.TB, h *liveview.Hub, function string, args ...CallArg) []liveview.Message {
	t.Helper()
	if h == nil {
		t.Fatalf("liveviewtest: Call(%q): nil *liveview.Hub (liveview.Default() is nil before liveview.Plugin)", function)
	}
	cfg := &callConfig{form: map[string]any{}, data: map[string]string{}}
	for _, a := range args {
		a.applyCall(cfg)
	}
	s := newSettings(cfg.opts)
	call := fmt.Sprintf("Call(%q)", function)

	ev := &clientrules.Event{Function: function, Data: &clientrules.Object{}, Form: &clientrules.Object{}, Ref: 1, Lang: cfg.lang}
	names := make([]string, 0, len(cfg.data))
	for name := range cfg.data {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		key, ok := clientrules.DatasetKey(name)
		if !ok {
			t.Fatalf("liveviewtest: %s: Data keys are HTML attribute names such as \"data-comment-id\", not %q", call, name)
		}
		if !clientrules.Omitted(key) {
			ev.Data.Set(key, cfg.data[name])
		}
	}
	fields := make([]string, 0, len(cfg.form))
	for name := range cfg.form {
		fields = append(fields, name)
	}
	sort.Strings(fields)
	for _, name := range fields {
		switch v := cfg.form[name].(type) {
		case string, bool:
			ev.Form.Set(name, v)
		case []string:
			ev.Form.Set(name, append([]string{}, v...))
		default:
			t.Fatalf("liveviewtest: %s: Form[%q] is a %T; the client sends strings, booleans for checkboxes and []string for multi-value fields", call, name, v)
		}
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = cfg.renderer
	e.Use(h.Middleware())
	srv := httptest.NewServer(e)
	defer srv.Close()

	room := cfg.room
	if room == "" {
		room = liveview.NewRoomID()
	}
	ev.Room = room
	sp := s.socketPath
	if sp == "" {
		sp = h.Path()
	}
	hdr := http.Header{}
	hdr.Set("Origin", srv.URL)
	s.setHeaders(hdr)
	for _, c := range s.cookies {
		hdr.Add("Cookie", c.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	dialer := websocket.Dialer{HandshakeTimeout: s.timeout}
	wsURL := clientrules.SocketURL("ws", strings.TrimPrefix(srv.URL, "http://"), sp, room)
	ws, resp, err := dialer.DialContext(ctx, wsURL, hdr)
	if err != nil {
		t.Fatalf("liveviewtest: %s: the WebSocket %s was refused: %v%s", call, wsURL, err, refusal(resp, "check WithSocketPath"))
	}
	defer closeSocket(ws, s.timeout)

	sent := ev.JSON()
	_ = ws.SetWriteDeadline(time.Now().Add(s.timeout))
	if err := ws.WriteMessage(websocket.TextMessage, sent); err != nil {
		t.Fatalf("liveviewtest: %s: sending %s: %v", call, sent, err)
	}
	deadline := time.Now().Add(s.timeout)
	var frames []liveview.Message
	var raw []string
	for {
		_ = ws.SetReadDeadline(deadline)
		typ, data, err := ws.ReadMessage()
		if err != nil {
			why := "the WebSocket closed"
			var ne interface{ Timeout() bool }
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				why = fmt.Sprintf("no answer within %v", s.timeout)
			case errors.As(err, &ce) && ce.Code == liveview.CloseSessionExpired:
				why = "the session expired: the server closed the WebSocket with 4401 (liveview.ErrSessionExpired); test expiry with a page (Page.Expired)"
			case errors.As(err, &ce) && ce.Code == liveview.CloseDisconnected:
				why = "the server closed the WebSocket with 4403 (Hub.Disconnect of a topic the connection is in); test it with a page (Page.Disconnected)"
			}
			t.Fatalf("liveviewtest: %s: %s (%v)\nsent: %s\nreceived:%s", call, why, err, sent, listOrNone(raw))
		}
		if typ != websocket.TextMessage {
			continue
		}
		raw = append(raw, string(data))
		m, bare := decodeMessage(data)
		if !bare {
			frames = append(frames, m)
		}
		if m.Ref == int64(ev.Ref) {
			return frames
		}
	}
}

// closeSocket closes ws as a tab does (1000) and waits briefly for the
// server's close.
func closeSocket(ws *websocket.Conn, timeout time.Duration) {
	_ = ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	ws.Close()
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return " none"
	}
	var b strings.Builder
	for _, s := range list {
		b.WriteString("\n  " + clip(s, 600))
	}
	return b.String()
}
