package liveviewtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/html"

	"github.com/echo-liveview/liveview/internal/clientrules"
)

// load makes the page load nav in its tab: the request with the user's
// cookies, the new document, its WebSocket when it loads the client, and
// the init events. The previous document's socket must be closed.
func (p *Page) load(call string, nav *clientrules.Navigation) {
	p.t.Helper()
	s := p.s
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	var body io.Reader
	if nav.Method == http.MethodPost {
		body = strings.NewReader(nav.Form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, nav.Method, nav.URL.String(), body)
	if err != nil {
		p.fatalf("%s: %v", call, err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", nav.URL.Scheme+"://"+nav.URL.Host)
	}
	s.setHeaders(req.Header)
	resp, err := p.user.client.Do(req)
	if err != nil {
		p.fatalf("%s: %s %s: %v", call, nav.Method, nav.URL.RequestURI(), err)
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	resp.Body.Close()
	if err != nil {
		p.fatalf("%s: reading the page: %v", call, err)
	}
	if resp.StatusCode != http.StatusOK {
		p.fatalf("%s: %s %s answered %s, want 200 OK:\n%s", call, nav.Method, nav.URL.RequestURI(), resp.Status, clip(string(page), 2000))
	}
	doc, err := clientrules.ParseDocument(string(page))
	if err != nil {
		p.fatalf("%s: parsing the page: %v", call, err)
	}
	pageURL := resp.Request.URL
	if !clientrules.LoadsClient(doc) {
		p.t.Logf("liveviewtest: %s: %s loads no liveview client script (liveview.min.js), so it opens no WebSocket", call, pageURL.RequestURI())
		p.mu.Lock()
		p.c, p.ws, p.done, p.closedErr = clientrules.New(doc, pageURL, ""), nil, nil, nil
		p.outstanding, p.redirect = map[int]bool{}, nil
		p.uploads, p.unacked = map[int]*pageUpload{}, 0
		p.signal()
		p.mu.Unlock()
		return
	}
	if len(clientrules.Controllers(doc)) == 0 {
		p.t.Logf("liveviewtest: %s: the page has no data-controller=\"page\" element: in a browser its data-liveview-* attributes do nothing", call)
	}
	room := clientrules.ResolveRoom(doc)

	// config.js's path: window.webSocketConfig.path (WithSocketPath), else
	// the script tag's data-liveview-path, else the default.
	scheme := "ws"
	if pageURL.Scheme == "https" {
		scheme = "wss"
	}
	sp := s.socketPath
	if sp == "" {
		sp = clientrules.ScriptPath(doc)
	}
	if sp == "" {
		sp = DefaultSocketPath
	}
	c := clientrules.New(doc, pageURL, room)
	wsURL := clientrules.PageSocketURL(scheme, pageURL.Host, sp, room, c.Secret())
	h := http.Header{}
	h.Set("Origin", pageURL.Scheme+"://"+pageURL.Host)
	s.setHeaders(h)
	p.wsURL, p.wsHeader = wsURL, h
	ws, done := p.dial(ctx, call)
	p.mu.Lock()
	p.c, p.ws, p.done, p.closedErr = c, ws, done, nil
	p.outstanding, p.redirect = map[int]bool{}, nil
	p.uploads, p.unacked = map[int]*pageUpload{}, 0
	// The client starts by showing what a redirect stored in the tab.
	carried := p.carried
	p.carried = nil
	restored := p.c.RestoreFlashes(carried)
	p.notes = append(p.notes, restored.Notes...)
	p.signal()
	p.mu.Unlock()
	for _, n := range restored.Notes {
		p.t.Logf("liveviewtest: %s: the client logs: %s", call, n)
	}
	go p.read(ws, done)
	p.connecting = true
	defer func() { p.connecting = false }()
	p.gesture(call, "", "", func(*html.Node) (*clientrules.Outcome, error) {
		return p.c.Connect(!s.noInit), nil
	})
}

// dial opens the page's WebSocket (p.wsURL) or fails the test.
func (p *Page) dial(ctx context.Context, call string) (*websocket.Conn, chan struct{}) {
	p.t.Helper()
	dialer := websocket.Dialer{HandshakeTimeout: p.s.timeout, Jar: p.user.jar}
	ws, hresp, err := dialer.DialContext(ctx, p.wsURL, p.wsHeader)
	if err != nil {
		u, _, _ := strings.Cut(p.wsURL, "?") // without the page secret
		p.fatalf("%s: the WebSocket %s was refused: %v%s", call, u, err, refusal(hresp,
			"a page that sets window.webSocketConfig.path needs WithSocketPath (or write the script tag with {{liveviewScript}}, which tells the client, and liveviewtest, the endpoint)"))
	}
	return ws, make(chan struct{})
}

// Reconnect does what the client does when its connection is lost and comes
// back (a network blip, a server restart, a deploy): the WebSocket is
// dropped without a close frame and opened again on the same page, whose
// DOM stays as it is; then, before anything else, every element with
// data-liveview-recover sends its function with its current form values
// (form recovery), and Reconnect waits for the answers. Uploads in
// progress start again from their first byte on the new socket, as the
// client does. Client hooks' reconnected callbacks, page JavaScript, do
// not run. Use it to test that
// a handler rebuilds its state after a restart: restart the server (or
// point a new one at the same address) and call Reconnect.
func (p *Page) Reconnect() {
	p.t.Helper()
	p.mu.Lock()
	if p.tabClosed || p.ws == nil {
		p.mu.Unlock()
		p.fatalf("Reconnect(): the page is closed or opens no WebSocket")
	}
	old, oldDone := p.ws, p.done
	p.mu.Unlock()
	old.Close()
	<-oldDone
	ctx, cancel := context.WithTimeout(context.Background(), p.s.timeout)
	defer cancel()
	ws, done := p.dial(ctx, "Reconnect()")
	p.mu.Lock()
	p.ws, p.done, p.closedErr = ws, done, nil
	p.outstanding = map[int]bool{}
	// The events sent and not answered go again first, with their ids
	// (socket.js): the server runs each id once.
	rerr := p.transmit(slices.Clone(p.unanswered))
	// Uploads in progress start again on the new socket (the server of the
	// old one freed them).
	if rerr == nil {
		rerr = p.restartUploads()
	}
	p.signal()
	p.mu.Unlock()
	if rerr != nil {
		p.fatalf("Reconnect(): %v", rerr)
	}
	go p.read(ws, done)
	p.connecting = true
	defer func() { p.connecting = false }()
	p.gesture("Reconnect()", "", "", func(*html.Node) (*clientrules.Outcome, error) {
		return p.c.Reconnected(), nil
	})
}

// Follow does what the browser does by itself with the element: follows
// the link it is (or is in), or submits natively the form it is or belongs
// to (it as the submitter when it is a submit button; required fields are
// checked first). The tab then loads the answer, redirects followed, as
// Open does: the old page's socket closes (1001, going away), the DOM, the
// socket and the refs start again; Frames, Sent, Errors and Events go on,
// and History keeps the earlier pages. Follow runs no page action: use it
// for the links and classic forms the client does not handle, on which
// Click fails ("submits the form natively").
func (p *Page) Follow(selector string) {
	p.t.Helper()
	call := fmt.Sprintf("Follow(%q)", selector)
	p.mu.Lock()
	if p.tabClosed {
		p.mu.Unlock()
		p.fatalf("%s: the page is closed", call)
	}
	el := p.find(call, selector)
	nav, err := p.c.Follow(el)
	ws, done := p.ws, p.done
	if err == nil {
		p.history = append(p.history, p.c.History()...)
	}
	p.mu.Unlock()
	if err != nil {
		p.fatalf("%s: %s", call, strings.TrimPrefix(err.Error(), clientrules.ErrUnusable.Error()+": "))
	}
	if ws != nil {
		closeConn(ws, done, websocket.CloseGoingAway, p.timeout)
	}
	p.load(call, nav)
}

// FollowRedirect loads, in the same tab, the URL of the redirect frame the
// page received (Context.Redirect; see Redirected), as the browser does at
// once: the old page's socket closes (1001, going away) and the new page
// loads like Follow loads one, showing the flash messages the redirect
// took along (the client keeps them in the tab's sessionStorage). It
// fails the test when the page received no redirect, or one to another
// origin (liveviewtest loads only the app's pages).
func (p *Page) FollowRedirect() {
	p.t.Helper()
	const call = "FollowRedirect()"
	p.mu.Lock()
	if p.tabClosed {
		p.mu.Unlock()
		p.fatalf("%s: the page is closed", call)
	}
	to := p.redirect
	if to == nil {
		p.mu.Unlock()
		p.fatalf("%s: the page received no redirect since it loaded", call)
	}
	if !p.c.SameOrigin(to) {
		p.mu.Unlock()
		p.fatalf("%s: the redirect goes to %s, another origin: liveviewtest loads only the app's pages", call, to)
	}
	p.history = append(p.history, p.c.History()...)
	ws, done := p.ws, p.done
	p.mu.Unlock()
	if ws != nil {
		closeConn(ws, done, websocket.CloseGoingAway, p.timeout)
	}
	p.load(call, &clientrules.Navigation{Method: http.MethodGet, URL: to})
}

// closeConn closes ws with code, waits for its reader (done) at most
// timeout, then drops the connection and waits for the reader to end.
func closeConn(ws *websocket.Conn, done chan struct{}, code int, timeout time.Duration) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	ws.Close()
	<-done
}

// refusal describes the answer to a refused WebSocket handshake, with hint
// when it is a 404 (the endpoint is elsewhere); "" without an answer.
func refusal(resp *http.Response, hint string) string {
	if resp == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
	resp.Body.Close()
	detail := fmt.Sprintf(" (answered %s: %s)", resp.Status, strings.TrimSpace(string(b)))
	if resp.StatusCode == http.StatusNotFound {
		detail += "; " + hint
	}
	return detail
}
