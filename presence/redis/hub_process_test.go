package redis_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/redis"
	psredis "github.com/echo-liveview/liveview/pubsub/redis"
)

// The Hub-level multi-process test: TestHubProcesses re-executes the test
// binary with hubChildEnv set; TestMain then runs runHubChild instead of the
// tests. A child is one application instance: an Echo app whose liveview
// Hub has a pubsub/redis Broker and a presence/redis Tracker sharing one
// redis-server. Each WebSocket connection tracks itself in hubTopic from
// OnConnect (key and meta from the query); a connection with watch=1 also
// shows the list (ShowPresence into #online), so that every instance keeps
// a replica of the topic and Hub.Presence answers from it. The app serves
// GET /presence (Hub.Presence as JSON) on a loopback port it prints on
// stdout, and exits when its stdin closes.

const (
	hubChildEnv = "PRESENCE_HUB_CHILD"
	hubTopic    = "lobby"
	hubLease    = 2 * time.Second
	hubSync     = 500 * time.Millisecond
	// hubBound is presence/redis's documented bound (Tracker.Bound) for
	// the children's options: a killed instance's entries are gone from
	// every other instance within it.
	hubBound = hubLease + hubSync
	// hubSlack is what the test allows beyond a bound: the polling itself
	// (four HTTP or Redis reads per poll) and timers late on a loaded
	// two-core machine under -race.
	hubSlack = time.Second
	// hubConverge bounds the convergence of new entries: their PUBLISH
	// reaches the replicas at once, a lost one the next sync.
	hubConverge = hubSync + hubSlack
	// hubGraceBound bounds the removal of an app that died while Redis
	// was down, from Redis's return: a heartbeat notices the data loss,
	// the replicas keep the parts Redis lost for lease + sync (the
	// documented grace against flapping), and the next sync drops them.
	hubGraceBound = hubLease/4 + hubBound + hubSync

	hubApps = 3
	// The 300 clients, 100 per app: 45 keys with a tab on two apps, 15
	// keys with two tabs on one app, 180 keys with one tab; 2 watchers per
	// app among the latter.
	hubShared, hubDouble, hubSingle, hubWatchers = 45, 15, 180, 2
)

var hubQuick = flag.Bool("hubquick", false, "TestHubProcesses: every round restarts the killed app at once, and Redis restarts without downtime")

var hubKills = flag.Int("hubkills", 1, "TestHubProcesses: number of rounds (kill -9 of an app process, its restart on the same port, a Redis restart)")

// hubMeta is a connection's meta: which client, which of its connections
// (a reconnection is a new generation), which app tracked it.
type hubMeta struct {
	C   int    `json:"c"`
	G   int    `json:"g"`
	App string `json:"app"`
}

var hubTemplates = template.Must(template.New("online.html").Parse(`{{range .}}<li>{{.Key}} {{.Count}}</li>{{end}}`))

type hubRenderer struct{}

func (hubRenderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return hubTemplates.ExecuteTemplate(w, name, data)
}

func runHubChild() int {
	name := os.Getenv(hubChildEnv)
	log := quietLogger()
	logging.Disable() // go-redis's own lines about refused dials while Redis is down
	client := goredis.NewClient(&goredis.Options{Addr: os.Getenv("PRESENCE_ADDR")})
	defer client.Close()
	tracker := redis.New(client, redis.WithLease(hubLease), redis.WithSyncInterval(hubSync), redis.WithLogger(log))
	defer tracker.Close()
	broker := psredis.New(client, psredis.WithLogger(log))
	defer broker.Close()
	// left: when this app's watchers first saw each connection leave
	// (wall clock, shared by the processes of one machine), by "c/g".
	var leftMu sync.Mutex
	left := make(map[string]int64)
	record := func(_ *liveview.Context, d presence.Diff) {
		now := time.Now().UnixNano()
		leftMu.Lock()
		defer leftMu.Unlock()
		for _, e := range d.Leaves {
			if slices.ContainsFunc(d.Joins, func(j presence.Entry) bool { return j.Ref == e.Ref }) {
				continue // replaced, not gone
			}
			var m hubMeta
			if json.Unmarshal(e.Meta, &m) != nil {
				continue
			}
			k := fmt.Sprintf("%d/%d", m.C, m.G)
			if _, ok := left[k]; !ok {
				left[k] = now
			}
		}
	}
	hub := liveview.New(liveview.Config{
		Broker:           broker,
		Presence:         tracker,
		Logger:           log,
		PresenceInterval: 50 * time.Millisecond,
		OnConnect: func(ec echo.Context, c *liveview.Context) error {
			q := ec.QueryParams()
			cn, err1 := strconv.Atoi(q.Get("c"))
			g, err2 := strconv.Atoi(q.Get("g"))
			if err := errors.Join(err1, err2); err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, err.Error())
			}
			if err := c.Track(hubTopic, q.Get("key"), hubMeta{C: cn, G: g, App: name}); err != nil {
				return err
			}
			if q.Get("watch") != "1" {
				return nil
			}
			if err := c.ShowPresence(hubTopic, "#online", "online.html"); err != nil {
				return err
			}
			return c.WatchPresence(hubTopic, record)
		},
	})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = hubRenderer{}
	e.Use(hub.Middleware())
	e.GET("/presence", func(c echo.Context) error {
		l, err := hub.Presence(c.Request().Context(), hubTopic)
		if err != nil {
			return c.String(http.StatusServiceUnavailable, err.Error())
		}
		return c.JSON(http.StatusOK, l)
	})
	e.GET("/left", func(c echo.Context) error {
		leftMu.Lock()
		defer leftMu.Unlock()
		return c.JSON(http.StatusOK, left)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PRESENCE_PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 1
	}
	srv := &http.Server{Handler: e}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("READY %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it (or dies)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	if err := hub.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hub shutdown:", err)
		return 1
	}
	return 0
}

// hubApp is one child process.
type hubApp struct {
	name, addr string
	cmd        *exec.Cmd
	stdin      io.WriteCloser
	exited     chan struct{}
	waitErr    error // set when exited is closed
}

// readyWriter is a child's stdout: it hands over the first line.
type readyWriter struct {
	buf  []byte
	line chan string // capacity 1
	sent bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := slices.Index(w.buf, '\n'); i >= 0 {
			w.line <- string(w.buf[:i])
			w.sent, w.buf = true, nil
		}
	}
	return len(p), nil
}

// startHubApp starts a child serving on port ("0": any free one).
func startHubApp(t *testing.T, name, redisAddr, port string) *hubApp {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), hubChildEnv+"="+name, "PRESENCE_ADDR="+redisAddr, "PRESENCE_PORT="+port,
			"GORACE=halt_on_error=1") // a data race in a child ends it: its clients' closes fail the test
		cmd.Stderr = os.Stderr
		ready := &readyWriter{line: make(chan string, 1)}
		cmd.Stdout = ready
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		a := &hubApp{name: name, cmd: cmd, stdin: stdin, exited: make(chan struct{})}
		go func() {
			a.waitErr = cmd.Wait()
			close(a.exited)
		}()
		t.Cleanup(a.kill)
		select {
		case s := <-ready.line:
			addr, ok := strings.CutPrefix(strings.TrimSpace(s), "READY ")
			if !ok {
				t.Fatalf("app %s: %q instead of READY", name, s)
			}
			a.addr = addr
			return a
		case <-a.exited:
			// The port of a killed app may be taken for a moment (by an
			// outgoing connection's local port, say): try again.
			if port == "0" || attempt == 5 {
				t.Fatalf("app %s exited before it was ready: %v", name, a.waitErr)
			}
			time.Sleep(200 * time.Millisecond)
		case <-time.After(30 * time.Second):
			t.Fatalf("app %s did not start", name)
		}
	}
}

// kill stops the app with SIGKILL: no goodbye, no Untrack.
func (a *hubApp) kill() {
	select {
	case <-a.exited:
	default:
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
}

// stop closes the app's stdin and waits for its graceful exit; it must
// exit 0 (a data race would make it exit 66).
func (a *hubApp) stop(t *testing.T) {
	t.Helper()
	_ = a.stdin.Close()
	select {
	case <-a.exited:
		if a.waitErr != nil {
			t.Errorf("app %s: %v", a.name, a.waitErr)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("app %s did not exit after its stdin closed", a.name)
		a.kill()
	}
}

var hubHTTP = &http.Client{Timeout: 5 * time.Second}

// presence returns the app's GET /presence.
func (a *hubApp) presence() ([]liveview.Present, error) {
	resp, err := hubHTTP.Get("http://" + a.addr + "/presence")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, b)
	}
	var l []liveview.Present
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%w: %.200s", err, b)
	}
	return l, nil
}

// removal returns when the app's watchers saw the last of ps leave,
// after start; ok is false when they did not see every one leave.
func (a *hubApp) removal(t *testing.T, ps map[pair]bool, start time.Time) (d time.Duration, ok bool) {
	t.Helper()
	resp, err := hubHTTP.Get("http://" + a.addr + "/left")
	if err != nil {
		t.Fatalf("app %s: %v", a.name, err)
	}
	defer resp.Body.Close()
	var left map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&left); err != nil {
		t.Fatalf("app %s: /left: %v", a.name, err)
	}
	ok = true
	for p := range ps {
		at, seen := left[fmt.Sprintf("%d/%d", p.c, p.g)]
		if !seen {
			ok = false
			continue
		}
		d = max(d, time.Unix(0, at).Sub(start))
	}
	return d, ok
}

// exactRemoval returns the latest time an app of live saw one of ps
// leave (its WatchPresence Diff), after start. The apps of must (those
// that listed ps) must have seen each one leave.
func (h *hubTest) exactRemoval(what string, live, must []int, ps map[pair]bool, start time.Time) time.Duration {
	h.t.Helper()
	var worst time.Duration
	for _, i := range live {
		d, ok := h.apps[i].removal(h.t, ps, start)
		if !ok && slices.Contains(must, i) {
			h.t.Fatalf("%s: app %s: its watchers did not see every killed connection leave", what, h.apps[i].name)
		}
		worst = max(worst, d)
	}
	return worst
}

// hubClient is one user's tab: a WebSocket to one app, read until it
// closes. A reconnection is a new generation.
type hubClient struct {
	id    int
	key   string
	app   int
	watch bool

	mu     sync.Mutex
	gen    int
	ws     *websocket.Conn
	done   chan struct{} // the read loop of ws ended
	dying  bool          // its app is being killed: its close is expected
	err    error         // why the read loop ended when it should not have
	online string        // the last #online list rendered to it
}

type pair struct{ c, g int }

// hubTest is the parent's state.
type hubTest struct {
	t       *testing.T
	srv     *redisserver.Server
	apps    []*hubApp
	clients []*hubClient
	store   *redis.Tracker // the parent's own: it watches nothing, so its List reads Redis

	mu        sync.Mutex
	failures  []string       // found by the read loops
	frameKeep map[string]int // keys that every rendered list must show, with at least that count

	extras int           // entries of phase.extra seen by the current poll
	clean  time.Duration // set by poll: when no list had any of phase.extra any more
	// dirty: at the last poll that still saw phase.extra entries, which
	// lists had how many, and when.
	dirty, dirtyNow []string
}

// phase is what every poll expects of the lists.
type phase struct {
	want  map[pair]bool // the list is right when it has exactly these
	keep  map[pair]bool // every list must always have these: live entries never vanish
	extra map[pair]bool // entries that may still be listed besides want (those of a killed app)
	// store: check the List read from Redis too; storeLoose: it may fail
	// or miss entries (Redis lost its data and is being rebuilt).
	store, storeLoose bool
	// anyway: poll only checks the invariants for its min duration,
	// without waiting for want.
	anyway bool
}

func (h *hubTest) fail(format string, args ...any) {
	h.mu.Lock()
	h.failures = append(h.failures, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

// dial connects c to its app as a new generation.
func (h *hubTest) dial(c *hubClient) error {
	c.mu.Lock()
	c.gen++
	gen := c.gen
	c.dying, c.err, c.online = false, nil, ""
	c.mu.Unlock()
	q := url.Values{"key": {c.key}, "c": {strconv.Itoa(c.id)}, "g": {strconv.Itoa(gen)}}
	if c.watch {
		q.Set("watch", "1")
	}
	u := "ws://" + h.apps[c.app].addr + "/ws/liveview/" + hubTopic + "/?" + q.Encode()
	var ws *websocket.Conn
	for attempt := 0; ; attempt++ {
		var resp *http.Response
		var err error
		ws, resp, err = websocket.DefaultDialer.Dial(u, nil)
		if err == nil {
			break
		}
		busy := resp != nil && (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests)
		if !busy || attempt == 20 {
			return fmt.Errorf("client %d: dial %s: %w", c.id, u, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.ws, c.done = ws, done
	c.mu.Unlock()
	go h.read(c, ws, gen, done)
	return nil
}

// read reads c's frames until its socket closes; a watcher's #online
// lists are checked against frameKeep.
func (h *hubTest) read(c *hubClient, ws *websocket.Conn, gen int, done chan struct{}) {
	defer close(done)
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			if !c.dying && c.gen == gen && c.ws == ws {
				c.err = err
			}
			c.mu.Unlock()
			return
		}
		var m struct {
			Target string `json:"target"`
			HTML   string `json:"html"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			h.fail("client %d: frame %.200q: %v", c.id, b, err)
			continue
		}
		if m.Target != "#online" {
			continue
		}
		if !c.watch {
			h.fail("client %d is no watcher but got %.200q", c.id, b)
		}
		counts, err := parseOnline(m.HTML)
		if err != nil {
			h.fail("client %d: %v", c.id, err)
		}
		h.mu.Lock()
		for key, n := range h.frameKeep {
			if counts[key] < n {
				h.failures = append(h.failures, fmt.Sprintf("client %d (app p%d): a rendered list shows %s %d times, want at least %d (a live entry vanished): %.300s",
					c.id, c.app, key, counts[key], n, m.HTML))
				break
			}
		}
		h.mu.Unlock()
		c.mu.Lock()
		c.online = m.HTML
		c.mu.Unlock()
	}
}

// parseOnline reads a rendered list: key -> count.
func parseOnline(s string) (map[string]int, error) {
	counts := make(map[string]int)
	for item := range strings.SplitSeq(s, "</li>") {
		if item == "" {
			continue
		}
		key, n, ok := strings.Cut(strings.TrimPrefix(item, "<li>"), " ")
		c, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("rendered list %.300q: bad item %q", s, item)
		}
		if _, dup := counts[key]; dup {
			return nil, fmt.Errorf("rendered list %.300q: key %s twice", s, key)
		}
		counts[key] = c
	}
	return counts, nil
}

// dialAll connects the clients, eight at a time.
func (h *hubTest) dialAll(cs []*hubClient) {
	h.t.Helper()
	sem := make(chan struct{}, 8)
	errs := make(chan error, len(cs))
	for _, c := range cs {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- h.dial(c)
		}()
	}
	for range cs {
		if err := <-errs; err != nil {
			h.t.Fatal(err)
		}
	}
}

// closeAll closes the clients' sockets and waits for their read loops.
func (h *hubTest) closeAll() {
	for _, c := range h.clients {
		c.mu.Lock()
		ws, done := c.ws, c.done
		c.dying = true
		c.mu.Unlock()
		if ws != nil {
			_ = ws.Close()
			<-done
		}
	}
}

// pairs returns the current connections of the clients of the apps in
// (nil: every app).
func (h *hubTest) pairs(in func(app int) bool) map[pair]bool {
	m := make(map[pair]bool)
	for _, c := range h.clients {
		if in == nil || in(c.app) {
			c.mu.Lock()
			m[pair{c.id, c.gen}] = true
			c.mu.Unlock()
		}
	}
	return m
}

// keyCounts returns the per-key counts of a set of connections.
func (h *hubTest) keyCounts(ps map[pair]bool) map[string]int {
	m := make(map[string]int)
	for p := range ps {
		m[h.clients[p.c].key]++
	}
	return m
}

// render is the #online list of ps, as the template renders it.
func (h *hubTest) render(ps map[pair]bool) string {
	counts := h.keyCounts(ps)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "<li>%s %d</li>", k, counts[k])
	}
	return b.String()
}

// inspect checks one list against ph on every poll (sorted, one Present
// per key, every meta a known connection under its own key and listed
// once, nothing unexpected, nothing of keep missing) and reports whether
// it is exactly ph.want, per-key counts included.
func (h *hubTest) inspect(what, who string, list []liveview.Present, ph phase, keepIt bool) (ok bool, why string) {
	t := h.t
	t.Helper()
	seen := make(map[pair]bool)
	for i, p := range list {
		if i > 0 && p.Key <= list[i-1].Key {
			t.Fatalf("%s: %s: key %q after %q: not sorted, or a key listed twice", what, who, p.Key, list[i-1].Key)
		}
		if len(p.Metas) == 0 || p.Count() != len(p.Metas) {
			t.Fatalf("%s: %s: key %q with %d metas, Count %d", what, who, p.Key, len(p.Metas), p.Count())
		}
		for _, raw := range p.Metas {
			var m hubMeta
			if err := json.Unmarshal(raw, &m); err != nil || m.C < 0 || m.C >= len(h.clients) {
				t.Fatalf("%s: %s: key %q: meta %s is no connection of the test (%v)", what, who, p.Key, raw, err)
			}
			k := pair{m.C, m.G}
			if c := h.clients[m.C]; c.key != p.Key {
				t.Fatalf("%s: %s: meta %s listed under key %q, its key is %q", what, who, raw, p.Key, c.key)
			}
			if seen[k] {
				t.Fatalf("%s: %s: duplicate: connection %+v listed twice under %q", what, who, m, p.Key)
			}
			seen[k] = true
			if !ph.want[k] && ph.extra[k] {
				if h.extras++; len(h.dirtyNow) == 0 || !strings.HasPrefix(h.dirtyNow[len(h.dirtyNow)-1], who+":") {
					h.dirtyNow = append(h.dirtyNow, who+": "+fmt.Sprint(m))
				}
			}
			if !ph.want[k] && !ph.extra[k] {
				t.Fatalf("%s: %s: ghost: connection %+v (client %d is at generation %d on app p%d) is listed under %q",
					what, who, m, m.C, h.clients[m.C].gen, h.clients[m.C].app, p.Key)
			}
		}
	}
	if keepIt {
		for k := range ph.keep {
			if !seen[k] {
				c := h.clients[k.c]
				t.Fatalf("%s: %s: live connection %+v (key %q, app p%d) is missing: %d entries listed", what, who, k, c.key, c.app, len(seen))
			}
		}
	}
	var missing, extra []pair
	for k := range ph.want {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	for k := range seen {
		if !ph.want[k] {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra) > 0 {
		clipped := func(ps []pair) []pair { return ps[:min(len(ps), 5)] }
		return false, fmt.Sprintf("%s: %d entries, %d missing %v, %d extra %v", who, len(seen),
			len(missing), clipped(missing), len(extra), clipped(extra))
	}
	counts := h.keyCounts(ph.want)
	for _, p := range list {
		if p.Count() != counts[p.Key] {
			t.Fatalf("%s: %s: key %q has %d metas, want %d", what, who, p.Key, p.Count(), counts[p.Key])
		}
	}
	return len(list) == len(counts), ""
}

// group turns the store's entries into Presents, as the Hub does.
func groupEntries(es []presence.Entry) []liveview.Present {
	var out []liveview.Present
	for _, e := range es {
		if n := len(out); n > 0 && out[n-1].Key == e.Key {
			out[n-1].Metas = append(out[n-1].Metas, e.Meta)
			continue
		}
		out = append(out, liveview.Present{Key: e.Key, Metas: []json.RawMessage{e.Meta}})
	}
	return out
}

// checkClients fails the test for a client whose socket closed when it
// should not have, and for what the read loops found.
func (h *hubTest) checkClients(what string) {
	t := h.t
	t.Helper()
	h.mu.Lock()
	failures := h.failures
	h.mu.Unlock()
	if len(failures) > 0 {
		t.Fatalf("%s: %s", what, strings.Join(failures, "\n"))
	}
	for _, c := range h.clients {
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		if err != nil {
			t.Fatalf("%s: client %d (key %q, app p%d): its WebSocket closed: %v", what, c.id, c.key, c.app, err)
		}
	}
}

// poll checks the live apps' lists (and the store's) against ph until
// they are all exactly ph.want, the watchers' rendered lists too, and at
// least min has passed; it fails when that takes longer than bound after
// start. It returns when they were first all right, and sets h.clean to
// when none of them had any of ph.extra any more.
func (h *hubTest) poll(what string, live []int, ph phase, start time.Time, min, bound time.Duration) time.Duration {
	t := h.t
	t.Helper()
	var first time.Duration = -1
	wantHTML := h.render(ph.want)
	var why []string // what was not right at the last poll
	h.clean = -1
	for {
		h.checkClients(what)
		done := true
		why = why[:0]
		h.extras, h.dirtyNow = 0, nil
		note := func(ok bool, s string) {
			if !ok {
				done = false
				why = append(why, s)
			}
		}
		for _, i := range live {
			a := h.apps[i]
			l, err := a.presence()
			if err != nil {
				t.Fatalf("%s: app %s: GET /presence: %v", what, a.name, err)
			}
			note(h.inspect(what, "app "+a.name, l, ph, true))
		}
		if ph.store {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			es, err := h.store.List(ctx, hubTopic)
			cancel()
			switch {
			case err != nil && !ph.storeLoose:
				t.Fatalf("%s: the store (List read from Redis): %v", what, err)
			case err != nil:
				note(false, "the store: "+err.Error())
			default:
				note(h.inspect(what, "the store", groupEntries(es), ph, !ph.storeLoose))
			}
		}
		if done {
			for _, c := range h.clients {
				if !c.watch || !slices.Contains(live, c.app) {
					continue
				}
				c.mu.Lock()
				online := c.online
				c.mu.Unlock()
				if online != wantHTML {
					got, _ := parseOnline(online)
					note(false, fmt.Sprintf("watcher %d (app p%d): its rendered list has %d keys, want %d: %.200s",
						c.id, c.app, len(got), len(h.keyCounts(ph.want)), online))
				}
			}
		}
		elapsed := time.Since(start)
		if h.extras == 0 && h.clean < 0 {
			h.clean = elapsed
		}
		if h.extras > 0 {
			h.dirty = append(h.dirtyNow, "at "+elapsed.String())
		}
		if done && first < 0 {
			first = elapsed
		}
		if (first >= 0 || ph.anyway) && elapsed >= min {
			return first
		}
		if elapsed > bound {
			t.Fatalf("%s: the lists are not all right within %v:\n%s", what, bound, strings.Join(why, "\n"))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestHubProcesses runs three app processes (liveview Hubs with the Redis
// broker and presence/redis, lease 2s and sync 0.5s: bound 2.5s) sharing
// redis-server, and 300 real WebSocket clients spread over them, 45 users
// with a tab on two apps and 15 with two tabs on one. Every app's
// Hub.Presence, the store read from Redis and the rendered lists agree on
// the keys, per-key counts and metas. Each round then:
//
//   - kills one app with SIGKILL: its entries are gone from the other
//     lists within the bound (plus hubSlack), and on every poll no other
//     entry is missing, none is listed twice and no WebSocket of the other
//     apps closed;
//   - restarts it on the same port and reconnects its clients, after the
//     removal (even rounds) or at once, while the killed entries are still
//     in Redis (odd rounds): the lists agree again, and the killed
//     connections never come back;
//   - kills redis-server (1, 0 or 3 s down: the last longer than the
//     lease) and restarts it without its data: the apps' lists keep every
//     entry on every poll (no flapping), the store is rebuilt, and all
//     agree again within the bound.
//
// Then Redis and an app are killed together: the dead app's entries go
// within hubGraceBound of Redis's return, nobody else's meanwhile.
// -hubkills=N runs N rounds (default 1); -hubquick makes every round an
// immediate restart followed by a Redis restart without downtime.
func TestHubProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	began := time.Now()
	srv := redisserver.Start(t)
	h := &hubTest{t: t, srv: srv}
	for i := range hubApps {
		h.apps = append(h.apps, startHubApp(t, "p"+strconv.Itoa(i), srv.Addr(), "0"))
	}
	storeClient := newClient(t, srv.Addr(), 3)
	h.store = redis.New(storeClient, redis.WithLease(hubLease), redis.WithSyncInterval(hubSync), redis.WithLogger(quietLogger()))
	t.Cleanup(func() { _ = h.store.Close() })

	add := func(key string, app int, watch bool) {
		h.clients = append(h.clients, &hubClient{id: len(h.clients), key: key, app: app, watch: watch})
	}
	for j := range hubShared {
		add(fmt.Sprintf("shared-%d", j), j%hubApps, false)
		add(fmt.Sprintf("shared-%d", j), (j+1)%hubApps, false)
	}
	for j := range hubDouble {
		add(fmt.Sprintf("double-%d", j), j%hubApps, false)
		add(fmt.Sprintf("double-%d", j), j%hubApps, false)
	}
	for j := range hubSingle {
		add(fmt.Sprintf("single-%d", j), j%hubApps, j < hubWatchers*hubApps)
	}
	t.Cleanup(h.closeAll)
	h.dialAll(h.clients)
	all := h.pairs(nil)
	if len(all) != 2*hubShared+2*hubDouble+hubSingle {
		t.Fatalf("%d connections", len(all))
	}
	every := []int{0, 1, 2}
	took := h.poll("start", every, phase{want: all, store: true}, time.Now(), 0, hubConverge)
	t.Logf("%d connections on %d apps (%d keys): the lists agree %v after the last handshake (startup %v)",
		len(all), hubApps, len(h.keyCounts(all)), took.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
	h.mu.Lock()
	h.frameKeep = h.keyCounts(all)
	h.mu.Unlock()

	// worst: the slowest removal seen by polling Hub.Presence (an upper
	// bound: a poll reads four lists); worstExact: the slowest as the
	// apps' WatchPresence saw it.
	var worst, worstExact, worstRedis time.Duration
	downs := []time.Duration{time.Second, 0, 3 * time.Second}
	for round := range *hubKills {
		k := round % hubApps
		victim := h.apps[k]
		var others []int
		for i := range hubApps {
			if i != k {
				others = append(others, i)
			}
		}
		onVictim := func(app int) bool { return app == k }
		keep, dying := h.pairs(func(app int) bool { return app != k }), h.pairs(onVictim)
		h.mu.Lock()
		h.frameKeep = h.keyCounts(keep)
		h.mu.Unlock()
		for _, c := range h.clients {
			if c.app == k {
				c.mu.Lock()
				c.dying = true
				c.mu.Unlock()
			}
		}

		var back []*hubClient
		for _, c := range h.clients {
			if c.app == k {
				back = append(back, c)
			}
		}
		restart := func() {
			h.apps[k] = startHubApp(t, victim.name, srv.Addr(), victim.addr[strings.LastIndexByte(victim.addr, ':')+1:])
			h.dialAll(back)
		}

		// kill -9: exactly its entries go, within the bound. On odd rounds
		// the app restarts at once (on the same port, its clients
		// reconnect) while the killed entries are still in Redis; on even
		// rounds after they are gone.
		quick := round%2 == 1 || *hubQuick
		what := fmt.Sprintf("round %d: kill -9 of %s", round, victim.name)
		start := time.Now()
		victim.kill()
		if quick {
			what += " and its immediate restart"
			restart()
			restarted := time.Since(start)
			all = h.pairs(nil)
			took := h.poll(what, every, phase{want: all, keep: keep, extra: dying, store: true}, start, 0, max(hubBound, restarted)+hubConverge)
			gone := h.clean
			// The lists are polled from the restart on: a removal before
			// it is seen at the first poll.
			if gone > max(hubBound, restarted)+hubSlack {
				t.Fatalf("%s: the killed connections were listed until %v after the kill (bound %v; the restart took %v); the last poll that listed some: %s",
					what, gone, hubBound, restarted, strings.Join(h.dirty, "; "))
			}
			if gone > restarted+hubSlack/4 {
				worst = max(worst, gone)
			}
			exact := h.exactRemoval(what, every, others, dying, start)
			worstExact = max(worstExact, exact)
			t.Logf("%s: the restart took %v; the %d killed connections left the apps' Watches %v after the kill (bound %v) and were gone from every list and the store at the poll of %v; the %d new ones listed everywhere after %v, without ghosts",
				what, restarted.Round(time.Millisecond), len(dying), exact.Round(time.Millisecond), hubBound, gone.Round(time.Millisecond), len(back), took.Round(time.Millisecond))
		} else {
			h.poll(what, others, phase{want: keep, keep: keep, extra: dying, store: true}, start, 0, hubBound+hubSlack)
			took := h.clean
			worst = max(worst, took)
			exact := h.exactRemoval(what, others, others, dying, start)
			worstExact = max(worstExact, exact)
			t.Logf("%s: its %d connections left the others' Watches %v after the kill (bound %v), gone from their lists and the store at the poll of %v",
				what, len(dying), exact.Round(time.Millisecond), hubBound, took.Round(time.Millisecond))
			// Restart on the same port, its clients reconnect: no ghosts.
			what = fmt.Sprintf("round %d: restart of %s", round, victim.name)
			restart()
			all = h.pairs(nil)
			took = h.poll(what, every, phase{want: all, keep: keep, store: true}, time.Now(), 0, hubConverge)
			t.Logf("%s: %d connections again, the lists agree %v after the last handshake, without ghosts", what, len(all), took.Round(time.Millisecond))
		}
		h.mu.Lock()
		h.frameKeep = h.keyCounts(all)
		h.mu.Unlock()
		// A sync or two later, still nothing of the killed app.
		h.poll(what+", settled", every, phase{want: all, keep: all, store: true}, time.Now(), 2*hubSync, 2*hubSync+hubConverge)

		// Redis killed, down a while, restarted without its data.
		down := downs[round%len(downs)]
		if *hubQuick {
			down = 0
		}
		what = fmt.Sprintf("round %d: Redis killed for %v", round, down)
		srv.Do("SET", "presence-test-sentinel", "1")
		srv.Kill()
		start = time.Now()
		h.poll(what, every, phase{want: all, keep: all}, start, down, down+hubConverge)
		srv.Restart()
		if got := srv.Do("EXISTS", "presence-test-sentinel"); got != "0" {
			t.Fatalf("the restarted Redis kept its data (EXISTS sentinel = %s)", got)
		}
		start = time.Now()
		took = h.poll(what+", restarted", every, phase{want: all, keep: all, store: true, storeLoose: true}, start, 0, hubBound+hubSlack)
		worstRedis = max(worstRedis, took)
		h.poll(what+", restarted, settled", every, phase{want: all, keep: all, store: true}, time.Now(), 2*hubSync, 2*hubSync+hubConverge)
		t.Logf("%s: the store rebuilt and the lists agree %v after the restart, no entry missing from the apps' lists meanwhile (bound %v)",
			what, took.Round(time.Millisecond), hubBound)
	}
	// Redis and an app die together (one host, say): the survivors keep
	// every live entry throughout; the dead app's entries go within the
	// grace bound of Redis's return; its restart brings no ghost.
	k := *hubKills % hubApps
	victim := h.apps[k]
	var others []int
	var back []*hubClient
	for i := range hubApps {
		if i != k {
			others = append(others, i)
		}
	}
	for _, c := range h.clients {
		if c.app == k {
			back = append(back, c)
			c.mu.Lock()
			c.dying = true
			c.mu.Unlock()
		}
	}
	keep, dying := h.pairs(func(app int) bool { return app != k }), h.pairs(func(app int) bool { return app == k })
	h.mu.Lock()
	h.frameKeep = h.keyCounts(keep)
	h.mu.Unlock()
	what := fmt.Sprintf("Redis and %s killed together", victim.name)
	srv.Kill()
	victim.kill()
	h.poll(what, others, phase{want: keep, keep: keep, extra: dying, anyway: true}, time.Now(), time.Second, 2*time.Second+hubConverge)
	srv.Restart()
	start := time.Now()
	took = h.poll(what+", Redis restarted", others, phase{want: keep, keep: keep, extra: dying, store: true, storeLoose: true}, start, 0, hubGraceBound+hubSlack)
	exact := h.exactRemoval(what, others, others, dying, start)
	if exact > hubGraceBound+hubSlack {
		t.Fatalf("%s: the dead app's connections left the others' Watches %v after Redis's return (bound %v)", what, exact, hubGraceBound)
	}
	t.Logf("%s: Redis down 1s, then the dead app's %d connections left the others' Watches %v after Redis's return (bound %v), gone from their lists at the poll of %v; no live one missing meanwhile",
		what, len(dying), exact.Round(time.Millisecond), hubGraceBound, took.Round(time.Millisecond))
	h.apps[k] = startHubApp(t, victim.name, srv.Addr(), victim.addr[strings.LastIndexByte(victim.addr, ':')+1:])
	h.dialAll(back)
	all = h.pairs(nil)
	h.poll(what+", app restarted", every, phase{want: all, keep: keep, store: true}, time.Now(), 2*hubSync, 2*hubSync+hubConverge)

	if worstExact > hubBound+hubSlack {
		t.Errorf("a killed app's connections left a Watch %v after the kill (bound %v)", worstExact, hubBound)
	}
	t.Logf("%d rounds: slowest removal of a killed app's entries %v as the apps' Watches saw it, %v by polling the lists (bound %v + slack %v); slowest rebuild after a Redis restart %v",
		*hubKills, worstExact.Round(time.Millisecond), worst.Round(time.Millisecond), hubBound, hubSlack, worstRedis.Round(time.Millisecond))

	h.closeAll()
	for _, a := range h.apps {
		a.stop(t)
	}
}
