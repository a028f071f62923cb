package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// TestBurstDoesNotDisconnectBrowsers is issue 10's attack against the demo
// as its users see it: two people have /room open in a browser, and 20
// more read with WebSocket clients, while a script with a session of its
// own sends 500 "announce" events back to back. Both pages show all 500
// announcements, in order, on the socket they had, and every other reader
// got them all: nobody was disconnected.
func TestBurstDoesNotDisconnectBrowsers(t *testing.T) {
	const n, readers = 500, 20
	base := StartApp(t, demo)
	tabs := []context.Context{NewTab(t), NewTab(t)}
	for i, tab := range tabs {
		Run(t, tab, fmt.Sprintf("user %d opening /room", i), chromedp.Navigate(base+"/room"))
		WaitJS(t, tab, "the WebSocket to open", wsOpen)
		Run(t, tab, "remembering the socket", chromedp.Evaluate(`window.__socket = window.myWebSocket`, nil))
	}

	readDone := make(chan error, readers)
	for range readers {
		r := dialWithSession(t, base, "/room", "/ws/liveview/me/")
		go func() {
			for i := range n {
				_ = r.SetReadDeadline(time.Now().Add(time.Minute))
				_, b, err := r.ReadMessage()
				if err != nil {
					readDone <- fmt.Errorf("reader disconnected after %d of %d announcements: %w", i, n, err)
					return
				}
				if want := fmt.Sprintf("Announcement: burst %d<", i); !strings.Contains(string(b), want) {
					readDone <- fmt.Errorf("announcement %d: %s", i, b)
					return
				}
			}
			readDone <- nil
		}()
	}
	ws := dialWithSession(t, base, "/room", "/ws/liveview/me/")
	for i := range n {
		frame := fmt.Sprintf(`{"function":"announce","form":{"text":"burst %d"},"lang":"en"}`, i)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}

	const items = `document.querySelectorAll('#announcements li')`
	for i, tab := range tabs {
		WaitJS(t, tab, fmt.Sprintf("user %d to see %d announcements", i, n), items+`.length === `+fmt.Sprint(n))
		inOrder := EvalJS[bool](t, tab, `[...`+items+`].every((li, i) => li.textContent === "Announcement: burst " + i)`)
		if !inOrder {
			t.Errorf("user %d: announcements out of order", i)
		}
		if !EvalJS[bool](t, tab, `window.__socket === window.myWebSocket && window.myWebSocket.readyState === 1`) {
			t.Errorf("user %d was disconnected (the page has another socket now)", i)
		}
	}
	for range readers {
		if err := <-readDone; err != nil {
			t.Error(err)
		}
	}
}

// dialWithSession gets a session cookie from page, as a browser would, and
// opens the WebSocket at wsPath with it and the app's own Origin.
func dialWithSession(t *testing.T, base, page, wsPath string) *websocket.Conn {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := hc.Get(base + page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	var cookies []string
	for _, c := range jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	h := http.Header{"Origin": {base}, "Cookie": {strings.Join(cookies, "; ")}}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+wsPath, h)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}
