package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/echo-liveview/liveview/internal/redisserver"
)

const chat = "./examples/chat"

// chatTimeout bounds every wait of the chat tests.
const chatTimeout = 30 * time.Second

// TestChatInstances runs two chat processes sharing one redis-server, with
// WebSocket clients on each: what a user on either instance publishes to
// their room reaches every member of that room on both instances, and what
// they announce (Broadcast) reaches everyone, each sender's messages in
// order, none lost, none duplicated, none in the wrong room.
func TestChatInstances(t *testing.T) {
	redis := redisserver.Start(t)
	bases := []string{
		StartApp(t, chat, "-redis", redis.Addr()),
		StartApp(t, chat, "-redis", redis.Addr()),
	}

	// Two rooms, members on both instances.
	var members []*chatClient
	for i, base := range bases {
		for _, room := range []string{"red", "red", "blue"} {
			members = append(members, joinChat(t, base, fmt.Sprintf("u%d%s%d", i, room, len(members)), room))
		}
	}
	const n = 40
	// Senders: one per room per instance publishes, one per instance
	// announces. Their names prefix their messages.
	type sender struct {
		c        *chatClient
		function string
	}
	var senders []sender
	chosen := make(map[string]bool) // base + room
	for _, c := range members {
		if chosen[c.base+" "+c.room] {
			continue
		}
		chosen[c.base+" "+c.room] = true
		senders = append(senders, sender{c, "send_message"})
		if c.room == "blue" {
			senders = append(senders, sender{c, "announce"})
		}
	}
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() {
			for i := range n {
				s.c.send(s.function, fmt.Sprintf("%s/%s-%d", s.c.name, s.function, i))
			}
		})
	}
	wg.Wait()

	for _, m := range members {
		var want, wantAnn []string // sender prefixes
		for _, s := range senders {
			p := s.c.name + "/" + s.function
			switch {
			case s.function == "announce":
				wantAnn = append(wantAnn, p)
			case s.c.room == m.room:
				want = append(want, p)
			}
		}
		m.waitLast(t, "#messages", want, n)
		m.waitLast(t, "#announcements", wantAnn, n)
		checkChat(t, m.name+" #messages", m.texts("#messages"), want, n)
		checkChat(t, m.name+" #announcements", m.texts("#announcements"), wantAnn, n)
		if errs := m.errors(); len(errs) > 0 {
			t.Errorf("%s got error frames: %v", m.name, errs)
		}
	}
}

// TestChatAcrossInstancesInBrowser opens the chat on two instances sharing
// Redis, as two users with their own cookies, and sees a message typed on
// one appear on the other.
func TestChatAcrossInstancesInBrowser(t *testing.T) {
	alice, bob := NewTab(t), NewTab(t)
	redis := redisserver.Start(t)
	a := StartApp(t, chat, "-redis", redis.Addr())
	b := StartApp(t, chat, "-redis", redis.Addr())
	aliceErrors, bobErrors := CaptureJSErrors(alice), CaptureJSErrors(bob)

	for _, u := range []struct {
		tab        context.Context
		name, base string
	}{{alice, "alice", a}, {bob, "bob", b}} {
		Run(t, u.tab, u.name+" joining on "+u.base,
			chromedp.Navigate(u.base+"/"),
			chromedp.SetValue(`input[name="name"]`, u.name, chromedp.ByQuery),
			chromedp.SetValue(`input[name="room"]`, "lobby", chromedp.ByQuery),
			chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
			// The POST redirects to the chat page; wait on the DOM, which
			// survives the navigation (a JavaScript poll would not).
			chromedp.WaitVisible(`#composer`, chromedp.ByQuery),
		)
		WaitJS(t, u.tab, "the chat page", `document.querySelector('#room')?.textContent === 'lobby'`)
		WaitJS(t, u.tab, "the WebSocket to open", wsOpen)
	}

	Run(t, alice, "alice typing a message and clicking Send",
		chromedp.SendKeys(`#composer input[name="text"]`, "hello from "+a, chromedp.ByQuery),
		chromedp.Click(`#composer button`, chromedp.ByQuery),
	)
	const texts = `Array.from(document.querySelectorAll('#messages .text'), e => e.textContent).join('|')`
	WaitJS(t, bob, "alice's message on bob's instance", texts+` === 'hello from `+a+`'`)
	WaitJS(t, alice, "alice's own message", texts+` === 'hello from `+a+`'`)
	aliceErrors.AssertNone(t)
	bobErrors.AssertNone(t)
}

// chatPresenceBound is how soon a closed tab leaves the Online list on
// every instance at the latest: presence/redis's Bound with its defaults
// (lease 10s + sync 2.5s), which covers an instance that dies without a
// goodbye. A tab closed normally is untracked at once and leaves within
// milliseconds; the test logs how long it took.
const chatPresenceBound = 12500 * time.Millisecond

// TestChatOnlineInBrowser opens the chat on two instances sharing Redis
// (and a session secret): alice in one browser on instance 1 and, in a
// second tab of the same browser (the same cookie: cookies are per host,
// not per port), on instance 2; bob in another browser on instance 2. Every
// page lists both users, alice once with "2 tabs"; when bob closes his tab
// he leaves alice's lists on both instances within the presence bound.
func TestChatOnlineInBrowser(t *testing.T) {
	t.Setenv("CHAT_SESSION_SECRET", "e2e-chat-online-0123456789abcdef0123") // both instances read alice's cookie
	redis := redisserver.Start(t)
	one := StartApp(t, chat, "-redis", redis.Addr())
	two := StartApp(t, chat, "-redis", redis.Addr())
	alice, bob := NewTab(t), NewTab(t)
	alice2 := SameUserTab(t, alice)
	tabs := []struct {
		tab        context.Context
		name, base string
		errs       *JSErrors
	}{
		{alice, "alice", one, CaptureJSErrors(alice)},
		{bob, "bob", two, CaptureJSErrors(bob)},
		{alice2, "alice", two, CaptureJSErrors(alice2)},
	}
	for i, u := range tabs {
		if i < 2 {
			Run(t, u.tab, u.name+" joining on "+u.base,
				chromedp.Navigate(u.base+"/"),
				chromedp.SetValue(`input[name="name"]`, u.name, chromedp.ByQuery),
				chromedp.SetValue(`input[name="room"]`, "lobby", chromedp.ByQuery),
				chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
				chromedp.WaitVisible(`#composer`, chromedp.ByQuery),
			)
		} else { // already joined: the session cookie opens the room
			Run(t, u.tab, u.name+"'s second tab on "+u.base,
				chromedp.Navigate(u.base+"/"),
				chromedp.WaitVisible(`#composer`, chromedp.ByQuery),
			)
		}
		WaitJS(t, u.tab, u.name+" in the room on "+u.base, `document.querySelector('#name')?.textContent === '`+u.name+`' && document.querySelector('#instance')?.textContent === '`+strings.TrimPrefix(u.base, "http://")+`'`)
		WaitJS(t, u.tab, "the WebSocket to open", wsOpen)
	}

	// The list as "name (N tabs)|...", from the page's DOM.
	const online = `Array.from(document.querySelectorAll('#online li'), li =>
		li.querySelector('.who').textContent + ' (' + (li.querySelector('.tabs')?.textContent ?? '1 tab') + ')').join('|')`
	for _, u := range tabs {
		WaitJS(t, u.tab, u.name+"'s list on "+u.base+" to show both", online+` === 'alice (2 tabs)|bob (1 tab)'`)
	}
	if got := EvalJS[string](t, alice, `document.querySelector('#online .count').textContent`); got != "2" {
		t.Errorf("alice's Online count is %q, want 2", got)
	}

	start := time.Now()
	CloseTab(t, bob)
	for _, u := range []int{0, 2} {
		WaitJS(t, tabs[u].tab, "bob to leave alice's list on "+tabs[u].base, online+` === 'alice (2 tabs)'`)
	}
	if d := time.Since(start); d > chatPresenceBound {
		t.Errorf("bob left the lists %v after closing his tab, beyond the presence bound %v", d, chatPresenceBound)
	} else {
		t.Logf("bob left both lists %v after closing his tab (bound %v)", d.Round(time.Millisecond), chatPresenceBound)
	}
	for _, u := range tabs {
		u.errs.AssertNone(t)
	}
}

// chatClient is a user of the chat with a real WebSocket.
type chatClient struct {
	t                testing.TB
	name, room, base string
	ws               *websocket.Conn
	wmu              sync.Mutex // serializes writes

	mu     sync.Mutex
	frames []map[string]any
	notify chan struct{}
}

// joinChat joins room as name on the instance at base (the session cookie
// comes from POST /join) and opens the page's WebSocket.
func joinChat(t testing.TB, base, name, room string) *chatClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: chatTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(base+"/join", url.Values{"name": {name}, "room": {room}})
	if err != nil {
		t.Fatalf("joining %s: %v", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("joining %s: status %d", base, resp.StatusCode)
	}
	u, _ := url.Parse(base)
	h := http.Header{"Origin": {base}}
	for _, ck := range jar.Cookies(u) {
		h.Add("Cookie", ck.String())
	}
	d := websocket.Dialer{HandshakeTimeout: chatTimeout}
	ws, resp, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/liveview/chat/", h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("WebSocket to %s: %v (status %d)", base, err, status)
	}
	c := &chatClient{t: t, name: name, room: room, base: base, ws: ws, notify: make(chan struct{}, 1)}
	done := make(chan struct{})
	go c.readLoop(done)
	t.Cleanup(func() {
		ws.Close()
		<-done
	})
	return c
}

func (c *chatClient) readLoop(done chan<- struct{}) {
	defer close(done)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			m = map[string]any{"error": "invalid JSON: " + string(b)}
		}
		c.mu.Lock()
		c.frames = append(c.frames, m)
		c.mu.Unlock()
		select {
		case c.notify <- struct{}{}:
		default:
		}
	}
}

// send sends one event with the form field text.
func (c *chatClient) send(function, text string) {
	b, _ := json.Marshal(map[string]any{"function": function, "form": map[string]any{"text": text}})
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(chatTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Errorf("%s: sending: %v", c.name, err)
	}
}

var textRE = regexp.MustCompile(`<span class="text">([^<]*)</span>`)

// texts returns the texts appended to target, in arrival order.
func (c *chatClient) texts(target string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range c.frames {
		if f["target"] != target {
			continue
		}
		html, _ := f["html"].(string)
		for _, m := range textRE.FindAllStringSubmatch(html, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

func (c *chatClient) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range c.frames {
		if e, ok := f["error"]; ok {
			out = append(out, fmt.Sprint(e))
		}
	}
	return out
}

// waitLast waits until target has received the last message (number n-1)
// of every sender: as each sender's messages arrive in order, everything
// before it, duplicates included, has arrived by then.
func (c *chatClient) waitLast(t testing.TB, target string, senders []string, n int) {
	t.Helper()
	deadline := time.NewTimer(chatTimeout)
	defer deadline.Stop()
	for {
		got := c.texts(target)
		missing := 0
		for _, s := range senders {
			if !containsText(got, s+"-"+strconv.Itoa(n-1)) {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		select {
		case <-c.notify:
		case <-deadline.C:
			t.Fatalf("%s: %s still misses the last message of %d senders after %v; got %d texts",
				c.name, target, missing, chatTimeout, len(got))
		}
	}
}

func containsText(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checkChat checks that got holds exactly messages 0..n-1 of each sender,
// in each sender's order, and nothing else.
func checkChat(t testing.TB, who string, got, senders []string, n int) {
	t.Helper()
	next := make(map[string]int)
	for _, s := range senders {
		next[s] = 0
	}
	for _, m := range got {
		i := strings.LastIndex(m, "-")
		s, num := m[:max(i, 0)], m[i+1:]
		want, ok := next[s]
		if i < 0 || !ok {
			t.Errorf("%s: unexpected message %q (wrong room?)", who, m)
			continue
		}
		if num != strconv.Itoa(want) {
			t.Errorf("%s: got %q, want %s-%d: lost, duplicated or out of order", who, m, s, want)
			return
		}
		next[s] = want + 1
	}
	for _, s := range senders {
		if next[s] != n {
			t.Errorf("%s: %d messages from %s, want %d", who, next[s], s, n)
		}
	}
}

// TestChatRedisRestart kills the redis-server that two chat processes share
// while users chat, then restarts it: the sender is told its message was not
// delivered, the WebSockets stay open, and messages cross instances again
// soon after the restart, in order and without the lost one.
func TestChatRedisRestart(t *testing.T) {
	redis := redisserver.Start(t)
	a := StartApp(t, chat, "-redis", redis.Addr())
	b := StartApp(t, chat, "-redis", redis.Addr())
	alice, bob := joinChat(t, a, "alice", "lobby"), joinChat(t, b, "bob", "lobby")

	alice.send("send_message", "before-0")
	bob.waitLast(t, "#messages", []string{"before"}, 1)

	redis.Kill()
	alice.send("send_message", "during-0")
	waitUntil(t, "alice to be told her message was not delivered", alice.notify, func() bool {
		for _, e := range alice.errors() {
			if strings.Contains(e, "Not delivered") {
				return true
			}
		}
		return false
	})

	redis.Restart()
	// Send until one arrives: delivery resumes once both instances have
	// reconnected and resubscribed (about a second). Bounded: at most
	// chatTimeout / 100ms messages.
	deadline := time.Now().Add(chatTimeout)
	arrived := false
	for i := 0; !arrived && time.Now().Before(deadline); i++ {
		alice.send("send_message", "after-"+strconv.Itoa(i))
		select {
		case <-bob.notify:
		case <-time.After(100 * time.Millisecond):
		}
		for _, m := range bob.texts("#messages") {
			arrived = arrived || strings.HasPrefix(m, "after-")
		}
	}
	if !arrived {
		t.Fatalf("no message crossed instances within %v of the restart", chatTimeout)
	}
	got := bob.texts("#messages")
	if got[0] != "before-0" {
		t.Errorf("bob's first message is %q, want before-0", got[0])
	}
	prev := -1
	for _, m := range got[1:] {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "after-"))
		if !strings.HasPrefix(m, "after-") || err != nil || n <= prev {
			t.Errorf("bob got %q after %v: want after-N in increasing order (during-0 was reported lost)", m, got)
			break
		}
		prev = n
	}
}

// waitUntil waits, on notify or every 50ms, until cond holds, failing the
// test after chatTimeout.
func waitUntil(t testing.TB, what string, notify <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(chatTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", chatTimeout, what)
		}
	}
}
