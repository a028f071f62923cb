package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/echo-liveview/liveview/internal/redisserver"
)

// counterApp is the exactly-once fixture: an "increment" button whose
// handler INCRs the page's counter in Redis and logs each event id.
const counterApp = "./examples/clienttest/counter"

// chaosProxy is a round-robin reverse proxy (as newRoundRobin) that
// proxies WebSockets frame by frame, so it can cut a connection (both TCP
// connections closed, no close frame: a dropped network) right after it
// forwarded an event frame, before its answer (cutEvent), right after a
// handler's first frame, before its next one (cutBetween), or at any
// moment (cutRandom). Close frames (a drain's 1012) are passed on.
type chaosProxy struct {
	backends []string
	http     []*httputil.ReverseProxy
	next     atomic.Uint64

	cutEvent, cutBetween float64 // probabilities per frame

	// For the deterministic tests: cut right after the next event frame
	// (forwarded, or swallowed: lost with the network), refuse upgrades.
	cutNext, swallowNext, refuse atomic.Bool
	cutRetry                     atomic.Bool // after the next "retry" answer
	// out is 1 + the index of a backend taken out of the rotation (a
	// load balancer's health check), 0 for none.
	out atomic.Int32

	mu    sync.Mutex
	conns map[*proxied]bool
	cuts  map[string]int
}

type proxied struct {
	client, backend *websocket.Conn
	once            sync.Once
}

func (c *proxied) cut() {
	c.once.Do(func() {
		c.client.UnderlyingConn().Close()
		c.backend.UnderlyingConn().Close()
	})
}

func newChaosProxy(t *testing.T, cutEvent, cutBetween float64, backends ...string) (*chaosProxy, string) {
	t.Helper()
	p := &chaosProxy{backends: backends, cutEvent: cutEvent, cutBetween: cutBetween, conns: map[*proxied]bool{}, cuts: map[string]int{}}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ErrorLog = nil
		rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
		p.http = append(p.http, rp)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		p.mu.Lock()
		for c := range p.conns {
			c.cut()
		}
		p.mu.Unlock()
		srv.Close()
	})
	return p, srv.URL
}

var proxyUpgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (p *chaosProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(p.next.Add(1) % uint64(len(p.backends)))
	if o := int(p.out.Load()) - 1; o == i && len(p.backends) > 1 {
		i = (i + 1) % len(p.backends)
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		p.http[i].ServeHTTP(w, r)
		return
	}
	if p.refuse.Load() {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	h := http.Header{"Host": {r.Host}} // the Origin check compares with it
	for _, k := range []string{"Origin", "Cookie", "Accept-Language", "User-Agent"} {
		if v := r.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	bc, resp, err := d.Dial("ws"+strings.TrimPrefix(p.backends[i], "http")+r.URL.RequestURI(), h)
	if err != nil {
		code := http.StatusBadGateway
		if resp != nil {
			code = resp.StatusCode
			if ra := resp.Header.Get("Retry-After"); ra != "" {
				w.Header().Set("Retry-After", ra)
			}
		}
		w.WriteHeader(code)
		return
	}
	cc, err := proxyUpgrader.Upgrade(w, r, nil)
	if err != nil {
		bc.Close()
		return
	}
	c := &proxied{client: cc, backend: bc}
	p.mu.Lock()
	p.conns[c] = true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go p.pump(c, cc, bc, true, done)
	go p.pump(c, bc, cc, false, done)
	go func() {
		<-done
		<-done
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		cc.Close()
		bc.Close()
	}()
}

// pump copies from's frames to to; up is client -> server.
func (p *chaosProxy) pump(c *proxied, from, to *websocket.Conn, up bool, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	for {
		typ, b, err := from.ReadMessage()
		if err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				_ = to.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(ce.Code, ce.Text), time.Now().Add(time.Second))
			}
			c.cut()
			return
		}
		event := up && bytes.Contains(b, []byte(`"increment"`))
		if event && p.swallowNext.CompareAndSwap(true, false) {
			p.count("an event lost")
			c.cut()
			return
		}
		if err := to.WriteMessage(typ, b); err != nil {
			c.cut()
			return
		}
		switch {
		case !up && bytes.Contains(b, []byte(`"retry"`)) && p.cutRetry.CompareAndSwap(true, false):
			p.count("after a retry")
			c.cut()
			return
		case event && p.cutNext.CompareAndSwap(true, false):
			p.count("after an event, before its answer")
			c.cut()
			return
		case event && rand.Float64() < p.cutEvent:
			p.count("after an event, before its answer")
			c.cut()
			return
		case !up && bytes.Contains(b, []byte(`"#count"`)) && rand.Float64() < p.cutBetween:
			p.count("between a handler's frames")
			c.cut()
			return
		}
	}
}

func (p *chaosProxy) count(what string) {
	p.mu.Lock()
	p.cuts[what]++
	p.mu.Unlock()
}

// cutRandom cuts one open connection, if any.
func (p *chaosProxy) cutRandom() {
	p.mu.Lock()
	var all []*proxied
	for c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	if len(all) > 0 {
		p.count("at a random moment")
		all[rand.IntN(len(all))].cut()
	}
}

// onceClient speaks the bundled client's protocol (socket.js) over a plain
// WebSocket: one "increment" at a time, with a ref and an id; unanswered,
// it is sent again first on the next socket; "retry" sends it again on the
// same socket a little later; a drain (1012) reconnects after a random
// delay within the window, a drop after a short backoff.
type onceClient struct {
	url, origin, room, tab string

	ref     int
	pending *onceEvent
	clicks  int    // events made (each answered, at the end)
	shown   string // the #count the page shows
	errs    []string
	onces   map[string]int
	dials   int
	hist    map[string][]string // id -> what happened to it, for a failure's report
}

type onceEvent struct {
	ref int
	id  string
}

type onceFrame struct {
	Target string `json:"target"`
	HTML   string `json:"html"`
	Ref    int    `json:"ref"`
	Once   string `json:"once"`
	Error  string `json:"error"`
}

func (c *onceClient) frame(e *onceEvent) []byte {
	b, _ := json.Marshal(map[string]any{"function": "increment", "data": map[string]any{}, "form": map[string]any{}, "ref": e.ref, "id": e.id, "lang": "en", "room": c.room})
	return b
}

// run clicks until stop is closed, then until its last event is answered
// or deadline passes.
func (c *onceClient) run(stop <-chan struct{}, deadline <-chan struct{}) {
	c.onces, c.hist = map[string]int{}, map[string][]string{}
	for {
		ws := c.dial(deadline)
		if ws == nil {
			return
		}
		frames := make(chan onceFrame, 16)
		closed := make(chan error, 1)
		quit := make(chan struct{})
		go func() {
			for {
				_, b, err := ws.ReadMessage()
				if err != nil {
					closed <- err
					return
				}
				var f onceFrame
				if json.Unmarshal(b, &f) == nil {
					select {
					case frames <- f:
					case <-quit:
						return
					}
				}
			}
		}()
		if c.pending != nil { // sent again first, same id and ref
			c.note("sent again on dial " + strconv.Itoa(c.dials))
			_ = ws.WriteMessage(websocket.TextMessage, c.frame(c.pending))
		}
		var retry <-chan time.Time
		var err error
	socket:
		for {
			if c.pending == nil {
				select {
				case <-stop:
					close(quit)
					ws.Close()
					return
				default:
				}
				c.ref++
				c.pending = &onceEvent{ref: c.ref, id: c.tab + "." + strconv.Itoa(c.ref)}
				c.clicks++
				c.note("sent on dial " + strconv.Itoa(c.dials))
				if err = ws.WriteMessage(websocket.TextMessage, c.frame(c.pending)); err != nil {
					break
				}
			}
			select {
			case f := <-frames:
				if f.Target == "#count" {
					c.shown = f.HTML
				}
				if f.Ref == 0 || c.pending == nil || f.Ref != c.pending.ref {
					continue
				}
				if f.Once != "" {
					c.onces[f.Once]++
				}
				c.note(fmt.Sprintf("answered (once %q, target %q, error %q)", f.Once, f.Target, f.Error))
				if f.Error != "" {
					c.errs = append(c.errs, f.Error)
				}
				if f.Once == "retry" {
					retry = time.After(time.Duration(20+rand.IntN(30)) * time.Millisecond)
					continue
				}
				c.pending = nil
			case <-retry:
				retry = nil
				c.note("sent again after retry")
				if err = ws.WriteMessage(websocket.TextMessage, c.frame(c.pending)); err != nil {
					break socket
				}
			case err = <-closed:
				if c.pending != nil {
					c.note(fmt.Sprintf("socket closed: %v", err))
				}
				break socket
			case <-deadline:
				close(quit)
				ws.Close()
				return
			}
		}
		close(quit)
		ws.Close()
		wait := time.Duration(20+rand.IntN(100)) * time.Millisecond
		if ce, ok := err.(*websocket.CloseError); ok && ce.Code == websocket.CloseServiceRestart {
			wait = time.Duration(rand.IntN(300)) * time.Millisecond
		}
		select {
		case <-time.After(wait):
		case <-deadline:
			return
		}
	}
}

// note adds what to the history of the pending event.
func (c *onceClient) note(what string) {
	c.hist[c.pending.id] = append(c.hist[c.pending.id], what)
}

// dial connects, trying again until deadline.
func (c *onceClient) dial(deadline <-chan struct{}) *websocket.Conn {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	for {
		ws, _, err := d.Dial(c.url, http.Header{"Origin": {c.origin}})
		if err == nil {
			c.dials++
			return ws
		}
		select {
		case <-time.After(time.Duration(50+rand.IntN(150)) * time.Millisecond):
		case <-deadline:
			return nil
		}
	}
}

// linesNaming returns the lines of the apps' output that contain id.
func linesNaming(apps map[byte]*App, id string) []string {
	var out []string
	re := regexp.MustCompile(regexp.QuoteMeta(id) + `(\D|$)`)
	for _, a := range apps {
		for _, l := range strings.Split(a.out.String(), "\n") {
			if re.MatchString(l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// runLine is the counter app's log of one handler run.
var runLine = regexp.MustCompile(`(?m)^once-run pid=(\d+) room=(\S+) id=(\S+)$`)

// clickerJS clicks the page's button whenever its loading state allows,
// counting the clicks, until window.__stop.
const clickerJS = `(() => {
  window.__clicks = 0; window.__stop = false; window.__sent = [];
  const seen = new Set(), send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (frame) {
    const id = JSON.parse(frame).id;
    if (id && !seen.has(id)) { seen.add(id); window.__sent.push(id); }
    return send.call(this, frame);
  };
  const b = document.getElementById("inc");
  const loop = () => {
    if (window.__stop) return;
    if (!b.hasAttribute("aria-busy")) { b.click(); window.__clicks++; }
    setTimeout(loop, 1);
  };
  loop();
  return true;
})()`

// TestExactlyOnce is the skeptic's test of exactly-once events: two
// instances of the counter app sharing a redis-server behind a round-robin
// proxy that cuts WebSockets after an event and before its answer,
// between a handler's frames and at random moments; WebSocket clients
// speaking the client's protocol and headless-Chromium pages click as fast
// as their answers come while the instances are restarted gracefully
// (SIGTERM: a drain) in turn, and killed with SIGKILL (restarted after).
// At the end every page's Redis counter equals the clicks it made (the
// handler passes c.EventID() to Redis as its idempotency key, as the README
// tells handlers with outside effects to, which covers the kill window
// below), every
// page shows its count, nothing is left loading or pending, and each
// event id ran once, except ids whose first run was on an instance killed
// with -9 before that run's record was stored (the documented window: the
// claim expires after DedupeLease and the re-sent event runs again; those
// are counted and logged, and their extra increments accounted for).
//
// By default a small run (30 WebSocket clients, 2 browsers, 2 graceful
// restarts and 1 kill); LIVEVIEW_ONCE_FULL=1 runs the full one (200
// clients, 5 browsers, 5 graceful restarts, 2 kills).
func TestExactlyOnce(t *testing.T) {
	full := os.Getenv("LIVEVIEW_ONCE_FULL") != ""
	nWS, nBrowsers, steps := 30, 2, "ga gb ka"
	if full {
		nWS, nBrowsers, steps = 200, 5, "ga gb ka ga gb kb ga"
	}
	t0 := time.Now()
	redis := redisserver.Start(t)
	args := []string{"-redis", redis.Addr(), "-lease", "2s", "-drain", "300ms"}
	apps := map[byte]*App{'a': Start(t, counterApp, args...), 'b': Start(t, counterApp, args...)}
	proxy, base := newChaosProxy(t, 0.01, 0.01, apps['a'].URL, apps['b'].URL)
	wsBase := "ws" + strings.TrimPrefix(base, "http")

	// The browsers first (their pages load while both instances are up).
	type tab struct {
		ctx  context.Context
		room string
	}
	var tabs []tab
	for i := range nBrowsers {
		ctx := NewTabTimeout(t, 5*time.Minute)
		room := fmt.Sprintf("b%d", i)
		Run(t, ctx, "opening "+room, chromedp.Navigate(base+"/c/"+room))
		WaitJS(t, ctx, "the WebSocket of "+room, wsOpen)
		tabs = append(tabs, tab{ctx, room})
	}
	for _, tb := range tabs {
		EvalJS[bool](t, tb.ctx, clickerJS)
	}

	stop, deadline := make(chan struct{}), make(chan struct{})
	clients := make([]*onceClient, nWS)
	var wg sync.WaitGroup
	for i := range clients {
		room := fmt.Sprintf("w%d", i)
		c := &onceClient{url: wsBase + "/ws/liveview/" + room + "/", origin: base, room: room, tab: fmt.Sprintf("t%dx%d", i, rand.IntN(1e6))}
		clients[i] = c
		wg.Go(func() { c.run(stop, deadline) })
	}

	// Random cuts throughout.
	cutting := make(chan struct{})
	var cutWG sync.WaitGroup
	cutWG.Go(func() {
		for {
			select {
			case <-cutting:
				return
			case <-time.After(time.Duration(50+rand.IntN(200)) * time.Millisecond):
				proxy.cutRandom()
			}
		}
	})

	// The deploys: g = graceful restart, k = kill -9 then restart.
	killed := map[string]bool{} // pids
	for _, step := range strings.Fields(steps) {
		time.Sleep(time.Duration(1500+rand.IntN(1000)) * time.Millisecond)
		a := apps[step[1]]
		if step[0] == 'k' {
			a.mu.Lock()
			killed[strconv.Itoa(a.cmd.Process.Pid)] = true
			a.mu.Unlock()
			a.Kill()
		} else {
			a.Stop()
		}
		t.Logf("%v: %s %c", time.Since(t0).Round(time.Millisecond), map[byte]string{'g': "graceful restart of", 'k': "kill -9 of"}[step[0]], step[1])
		a.Restart()
	}
	time.Sleep(time.Second)
	close(cutting)
	cutWG.Wait()
	close(stop)
	for _, tb := range tabs {
		EvalJS[bool](t, tb.ctx, `window.__stop = true`)
	}
	settle := time.AfterFunc(30*time.Second, func() { close(deadline) })
	wg.Wait()
	settle.Stop()
	type browserEnd struct {
		clicks int
		shown  string
		sent   []string
	}
	ends := make([]browserEnd, len(tabs))
	for i, tb := range tabs {
		WaitJS(t, tb.ctx, tb.room+": no loading state, nothing pending",
			`!document.getElementById("inc").hasAttribute("aria-busy") && (sessionStorage.getItem("liveview-pending") || "[]") === "[]"`)
		ends[i] = browserEnd{EvalJS[int](t, tb.ctx, `window.__clicks`), EvalJS[string](t, tb.ctx, `document.getElementById("count").textContent`), EvalJS[[]string](t, tb.ctx, `window.__sent`)}
	}
	// The instances' output is read once they have exited: a run line
	// reaches the test through a pipe that os/exec copies, which may lag
	// behind the answer the client already has (the last event's line was
	// missed once so; an exited app's output is all there).
	for _, a := range apps {
		a.Stop()
	}

	// What ran: each id once, but for the kill window.
	runs := map[string][]string{} // room/id -> pids
	for _, a := range apps {
		for _, m := range runLine.FindAllStringSubmatch(a.out.String(), -1) {
			k := m[2] + "/" + m[3]
			runs[k] = append(runs[k], m[1])
		}
	}
	extra := map[string]int{} // room -> runs in the kill window
	ids := map[string]int{}   // room -> ids run
	twice := 0
	for k, pids := range runs {
		room := k[:strings.IndexByte(k, '/')]
		ids[room]++
		if len(pids) == 1 {
			continue
		}
		onKilled := 0
		for _, pid := range pids {
			if killed[pid] {
				onKilled++
			}
		}
		if len(pids)-onKilled > 1 {
			t.Errorf("event %s ran %d times (pids %v), not only because of a kill -9", k, len(pids), pids)
			twice++
		}
		extra[room] += len(pids) - 1
	}
	counter := func(room string) int {
		n, _ := strconv.Atoi(redis.Do("GET", "counter:count:"+room))
		return n
	}

	total, onces, over := 0, map[string]int{}, 0
	for _, c := range clients {
		total += c.clicks
		for k, v := range c.onces {
			onces[k] += v
		}
		n := counter(c.room)
		over += n - c.clicks
		// Every check, not the first failing one: a failure's report says
		// all that is known (which ids did not run, what happened to them).
		if c.pending != nil {
			t.Errorf("%s: event %s still unanswered at the end", c.room, c.pending.id)
		}
		if len(c.errs) > 0 {
			t.Errorf("%s: error answers %v", c.room, c.errs)
		}
		if ids[c.room] != c.clicks {
			t.Errorf("%s: %d clicks, %d ids run", c.room, c.clicks, ids[c.room])
			for id, h := range c.hist {
				if len(runs[c.room+"/"+id]) == 0 {
					t.Errorf("%s: id %s did not run: %s; the instances' lines naming it: %q", c.room, id, strings.Join(h, ", "), linesNaming(apps, id))
				}
			}
		}
		if n != c.clicks {
			t.Errorf("%s: counter %d, clicks %d (%d runs again in a kill window)", c.room, n, c.clicks, extra[c.room])
		}
		if c.shown != strconv.Itoa(n) {
			t.Errorf("%s: shows %q, counter %d", c.room, c.shown, n)
		}
	}
	for i, tb := range tabs {
		clicks, shown := ends[i].clicks, ends[i].shown
		n := counter(tb.room)
		total += clicks
		over += n - clicks
		if ids[tb.room] != clicks || n != clicks || shown != strconv.Itoa(n) {
			t.Errorf("%s (browser): counter %d, clicks %d, ids run %d (+%d runs in a kill window), shows %q; %d distinct ids sent", tb.room, n, clicks, ids[tb.room], extra[tb.room], shown, len(ends[i].sent))
			for _, id := range ends[i].sent {
				if len(runs[tb.room+"/"+id]) == 0 {
					t.Errorf("%s (browser): id %s sent, did not run; the instances' lines naming it: %q", tb.room, id, linesNaming(apps, id))
				}
			}
		}
	}
	proxy.mu.Lock()
	cuts := fmt.Sprint(proxy.cuts)
	proxy.mu.Unlock()
	var kw []string
	for room, n := range extra {
		kw = append(kw, fmt.Sprintf("%s:%d", room, n))
	}
	sort.Strings(kw)
	t.Logf("%v: %d clicks by %d WebSocket clients and %d browsers, %d ids run, %d ran again after a kill -9 (%v) and %d of these counted twice, %d ran twice otherwise; answers to re-sends %v; cuts %s",
		time.Since(t0).Round(time.Millisecond), total, nWS, nBrowsers, len(runs), len(kw), kw, over, twice, onces, cuts)
}

// An event whose socket dropped after it was sent and before its answer
// (the server ran it; or the network lost it) is sent again when the page
// reconnects and runs once; its answer ends the loading state and the page
// shows the count. One lost with the network just before a reload of the
// tab is sent by the reloaded page (sessionStorage) and runs once.
func TestOnceInBrowser(t *testing.T) {
	redis := redisserver.Start(t)
	app := Start(t, counterApp, "-redis", redis.Addr())
	proxy, base := newChaosProxy(t, 0, 0, app.URL)
	// runs counts room's run lines, waiting up to 5 s for the first: the
	// app's output reaches the test through a pipe os/exec copies, which
	// may lag behind the answer the page already shows.
	runs := func(room string) int {
		for end := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			n := 0
			for _, m := range runLine.FindAllStringSubmatch(app.out.String(), -1) {
				if m[2] == room {
					n++
				}
			}
			if n > 0 || time.Now().After(end) {
				return n
			}
		}
	}
	settled := `!document.getElementById("inc").hasAttribute("aria-busy") && (sessionStorage.getItem("liveview-pending") || "[]") === "[]"`
	for _, tt := range []struct {
		name   string
		lost   bool // swallowed by the proxy, else run and its answer lost
		reload bool
	}{
		{"answer lost, reconnect", false, false},
		{"event lost, reconnect", true, false},
		{"event lost, reload", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			room := strings.NewReplacer(" ", "", ",", "-").Replace(tt.name)
			ctx := NewTab(t)
			jsErrors := CaptureJSErrors(ctx)
			Run(t, ctx, "opening the page", chromedp.Navigate(base+"/c/"+room))
			WaitJS(t, ctx, "the WebSocket", wsOpen)
			if tt.lost {
				proxy.swallowNext.Store(true)
			} else {
				proxy.cutNext.Store(true)
			}
			if tt.reload {
				proxy.refuse.Store(true) // no reconnect before the reload
			}
			Run(t, ctx, "clicking", chromedp.Click("#inc", chromedp.ByQuery))
			WaitJS(t, ctx, "the cut", `window.myWebSocket.readyState === 3`)
			if tt.reload {
				if p := EvalJS[string](t, ctx, `sessionStorage.getItem("liveview-pending")`); !strings.Contains(p, `"increment"`) {
					t.Fatalf("pending before the reload: %s", p)
				}
				Run(t, ctx, "reloading the tab", chromedp.Reload())
				proxy.refuse.Store(false)
			}
			WaitJS(t, ctx, "the answer", settled+` && document.getElementById("count").textContent === "1"`)
			if n, r := redis.Do("GET", "counter:count:"+room), runs(room); n != "1" || r != 1 {
				t.Errorf("counter %s, %d runs, want 1 and 1", n, r)
			}
			assertNoExceptions(t, jsErrors)
		})
	}
}

// flightJS counts, in window.__double, the sends of an event id on a socket
// that still has a send of that id unanswered, and in window.__final the
// answers to the page's events other than "retry".
const flightJS = `(() => {
  window.__double = 0; window.__sends = 0; window.__final = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (d) {
    const m = JSON.parse(d);
    if (m.id) {
      if (!this.__fly) {
        this.__fly = new Map();
        this.addEventListener("message", (e) => {
          const f = JSON.parse(e.data);
          if (f.ref && f.once !== "retry") window.__final++;
          for (const [id, ref] of this.__fly) if (f.ref && f.ref === ref) this.__fly.delete(id);
        });
      }
      if (this.__fly.has(m.id)) window.__double++;
      this.__fly.set(m.id, m.ref);
      window.__sends++;
    }
    return send.call(this, d);
  };
  return true;
})()`

// A "retry" answered on a socket that dropped since is not sent again on
// the next socket, which sent the event itself: one send of an id in
// flight at a time, and one answer applied. The event runs slowly (its claim holds); its first
// socket is cut after the event, the second after its "retry" answer, the
// third opens at once (an "online" event) and sends it; the second's
// retry timer (reconnectBaseMs, 1.5 s) then fires while the third is open.
func TestOnceOneInFlight(t *testing.T) {
	redis := redisserver.Start(t)
	app := Start(t, counterApp, "-redis", redis.Addr(), "-slow", "4s")
	proxy, base := newChaosProxy(t, 0, 0, app.URL)
	ctx := NewTab(t)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "opening the page", chromedp.Navigate(base+"/c/slow1?base=1500"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	EvalJS[bool](t, ctx, flightJS)
	proxy.cutNext.Store(true)
	proxy.cutRetry.Store(true)
	Run(t, ctx, "clicking", chromedp.Click("#inc", chromedp.ByQuery))
	WaitJS(t, ctx, "the first cut", `window.myWebSocket.readyState === 3`)
	EvalJS[bool](t, ctx, `dispatchEvent(new Event("online")) || true`)
	WaitJS(t, ctx, "the second socket's re-send and its cut after \"retry\"", `window.__sends >= 2 && window.myWebSocket.readyState === 3`)
	EvalJS[bool](t, ctx, `dispatchEvent(new Event("online")) || true`)
	WaitJS(t, ctx, "the answer", `!document.getElementById("inc").hasAttribute("aria-busy") && document.getElementById("count").textContent === "1"`)
	if d := EvalJS[int](t, ctx, `window.__double`); d != 0 {
		t.Errorf("%d sends of the id while one was in flight on the same socket", d)
	}
	// Two chains of retries on the third socket would each end with the
	// replayed frames: applied twice.
	time.Sleep(2 * time.Second) // a second chain's next retry, if any
	if n := EvalJS[int](t, ctx, `window.__final`); n != 1 {
		t.Errorf("%d answers to the event (its frames applied that many times), want 1", n)
	}
	if n := redis.Do("GET", "counter:count:slow1"); n != "1" {
		t.Errorf("counter %s, want 1", n)
	}
	proxy.mu.Lock()
	t.Logf("sends %d, cuts %v", EvalJS[int](t, ctx, `window.__sends`), proxy.cuts)
	proxy.mu.Unlock()
	assertNoExceptions(t, jsErrors)
}

// Values across reconnects in a real browser: a page of the counter app
// whose name starts with "keep" counts its own clicks in the connection's
// value "mine" (Config.KeepValues). After three clicks the instance that
// serves the page stops (a deploy); the page reconnects, through the
// proxy, to the other instance, which restores "mine" from the page
// secret the client sent on both handshakes: the next click shows 4, not
// 1. A reload is a new page (a new secret): it counts from 1 again, while
// the Redis counter goes on.
func TestKeepValuesInBrowser(t *testing.T) {
	redis := redisserver.Start(t)
	apps := []*App{Start(t, counterApp, "-redis", redis.Addr()), Start(t, counterApp, "-redis", redis.Addr())}
	proxy, base := newChaosProxy(t, 0, 0, apps[0].URL, apps[1].URL)
	ctx := NewTab(t)
	jsErrors := CaptureJSErrors(ctx)
	Run(t, ctx, "opening the page", chromedp.Navigate(base+"/c/keep1"))
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	clickShows := func(count, mine string) {
		t.Helper()
		Run(t, ctx, "clicking", chromedp.Click("#inc", chromedp.ByQuery))
		WaitJS(t, ctx, "count "+count+", mine "+mine, `!document.getElementById("inc").hasAttribute("aria-busy") && `+
			`document.getElementById("count").textContent === "`+count+`" && document.getElementById("mine").textContent === "`+mine+`"`)
	}
	for i := 1; i <= 3; i++ {
		clickShows(strconv.Itoa(i), strconv.Itoa(i))
	}
	// The instance that ran the clicks stops gracefully; the page
	// reconnects to the other one.
	serving := -1
	for i, a := range apps {
		if strings.Contains(a.out.String(), " room=keep1 ") {
			serving = i
		}
	}
	if serving < 0 {
		t.Fatal("no instance logged the clicks")
	}
	EvalJS[bool](t, ctx, `(window.__old = window.myWebSocket, true)`)
	// Out of the rotation first, as a load balancer's health check does:
	// a strict round robin would send every other request (the client's
	// reconnect, then its probe) to the stopped instance, the reconnect
	// each time.
	proxy.out.Store(int32(serving) + 1)
	apps[serving].Stop()
	WaitJS(t, ctx, "the reconnect", wsOpen+` && window.myWebSocket !== window.__old`)
	other := apps[1-serving]
	clickShows("4", "4")
	if !strings.Contains(other.out.String(), " room=keep1 ") {
		t.Fatal("the fourth click did not run on the other instance")
	}
	if u := EvalJS[string](t, ctx, `myWebSocket.url`); !regexp.MustCompile(`\?page=[A-Za-z0-9_-]{22}$`).MatchString(u) {
		t.Errorf("socket URL %s carries no page secret", u)
	}
	apps[serving].Restart()
	proxy.out.Store(0)

	Run(t, ctx, "reloading the tab", chromedp.Reload())
	WaitJS(t, ctx, "the WebSocket", wsOpen)
	clickShows("5", "1")
	assertNoExceptions(t, jsErrors)
}
