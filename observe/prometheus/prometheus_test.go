package prometheus_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/liveviewtest"
	lvprom "github.com/echo-liveview/liveview/observe/prometheus"
	psredis "github.com/echo-liveview/liveview/pubsub/redis"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// app is a Hub under Echo with its Prometheus handler.
type app struct {
	hub     *liveview.Hub
	srv     *httptest.Server
	metrics *httptest.Server
}

func newApp(t *testing.T, cfg liveview.Config, setup func(*liveview.Hub)) *app {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := lvprom.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lvprom.New(reg); err == nil {
		t.Error("a second New on the same registry succeeded")
	}
	cfg.Hooks = m.Hooks()
	cfg.Logger = discard
	cfg.MaxConnsPerIP = -1
	hub := liveview.New(cfg)
	setup(hub)
	e := echo.New()
	e.Use(hub.Middleware())
	a := &app{hub: hub, srv: httptest.NewServer(e), metrics: httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hub.Shutdown(ctx)
		a.srv.Close()
		a.metrics.Close()
	})
	return a
}

func (a *app) dial(t *testing.T, room string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.srv.URL, "http")+"/ws/liveview/"+room+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// scrape GETs the metrics handler and returns every sample by its series
// ("name{label="v",...}", labels as the exposition sorts them).
func (a *app) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(a.metrics.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// waitFor scrapes until series has want (a condition, not a timing: the
// deadline only bounds a broken run).
func (a *app) waitFor(t *testing.T, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := a.scrape(t)[series]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", series, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func send(t *testing.T, ws *websocket.Conn, function string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"function":%q}`, function)); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestScrape drives scripted traffic (events that succeed, fail, panic and
// name no handler; a client that stops reading; a Redis killed and
// restarted under a subscribed room; connections closed by the client and
// by Shutdown) and checks each series in the scrape.
func TestScrape(t *testing.T) {
	rs := redisserver.Start(t)
	client := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer client.Close()
	broker := psredis.New(client, psredis.WithLogger(discard))
	defer broker.Close()
	big := strings.Repeat("x", 64<<10)
	var a *app
	a = newApp(t, liveview.Config{Broker: broker, SendQueueBytes: 256 << 10, WriteTimeout: 300 * time.Millisecond, RateLimit: -1},
		func(h *liveview.Hub) {
			h.Handle("ok", func(c *liveview.Context) error { return c.HTML("#x", "hi") })
			h.Handle("fail", func(*liveview.Context) error { return errors.New("database down") })
			h.Handle("boom", func(*liveview.Context) error { panic("nil map") })
			h.Handle("user", func(*liveview.Context) error { return &liveview.Error{Message: "name required"} })
			h.Handle("flood", func(c *liveview.Context) error {
				go func() {
					for range 4096 { // socket buffers absorb a few MB; 256 MB cannot fit
						if a.hub.Publish(context.Background(), c.Room(), liveview.Message{Target: "#big", HTML: big}) != nil || c.Context().Err() != nil {
							return
						}
					}
				}()
				return nil
			})
		})

	ws := a.dial(t, "lobby")
	for _, fn := range []string{"ok", "ok", "ok", "fail", "boom", "user", "no_such_function"} {
		send(t, ws, fn)
		read(t, ws)
	}

	slow := a.dial(t, "slow")
	send(t, slow, "flood") // and never read
	a.waitFor(t, "liveview_slow_clients_dropped_total", 1)

	// lobby is subscribed on Redis: killing it makes a gap, which ends
	// once Redis is back and the subscription confirmed.
	rs.Kill()
	rs.Restart()
	a.waitFor(t, "liveview_broker_gaps_total", 1)

	_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	a.waitFor(t, `liveview_connections_closed_total{reason="client_close"}`, 1)
	a.dial(t, "last")
	a.waitFor(t, "liveview_connections", 1)
	if err := a.hub.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	got := a.scrape(t)
	for _, tt := range []struct {
		series string
		want   float64
	}{
		{"liveview_connections", 0},
		{"liveview_connections_opened_total", 3},
		{`liveview_connections_closed_total{reason="client_close"}`, 1},
		{`liveview_connections_closed_total{reason="slow_client"}`, 1},
		{`liveview_connections_closed_total{reason="shutdown"}`, 1},
		{`liveview_connections_closed_total{reason="error"}`, 0},
		{"liveview_slow_clients_dropped_total", 1},
		{`liveview_events_total{function="ok",outcome="ok"}`, 3},
		{`liveview_events_total{function="fail",outcome="error"}`, 1},
		{`liveview_events_total{function="boom",outcome="panic"}`, 1},
		{`liveview_events_total{function="user",outcome="rejected"}`, 1},
		{`liveview_events_total{function="unknown",outcome="rejected"}`, 1},
		{`liveview_events_total{function="flood",outcome="ok"}`, 1},
		{`liveview_events_total{function="ok",outcome="error"}`, 0},
		{`liveview_event_duration_seconds_count{function="ok"}`, 3},
		{`liveview_event_duration_seconds_count{function="unknown"}`, 1},
		{"liveview_broker_gaps_total", 1},
		{`liveview_send_queue_high_water_total{fraction="0.75"}`, 1}, // the slow client, dropped before its backlog passed the budget
	} {
		if v, ok := got[tt.series]; !ok || v != tt.want {
			t.Errorf("%s = %v (present: %v), want %v", tt.series, v, ok, tt.want)
		}
	}
	for _, tt := range []struct {
		series string
		min    float64
	}{
		{"liveview_frames_sent_total", 7},            // the lobby's 7 answers at least
		{"liveview_frames_sent_bytes_total", 7 * 10}, // each a JSON object
		{"liveview_broker_publish_duration_seconds_count", 1},
		{"liveview_broker_gap_seconds_total", 0.001},
	} {
		if got[tt.series] < tt.min {
			t.Errorf("%s = %v, want at least %v", tt.series, got[tt.series], tt.min)
		}
	}
}

// TestCardinality: 10,000 different unregistered function names make one
// "unknown" series, not 10,000.
func TestCardinality(t *testing.T) {
	a := newApp(t, liveview.Config{RateLimit: -1}, func(h *liveview.Hub) {
		h.Handle("ok", func(*liveview.Context) error { return nil })
	})
	ws := a.dial(t, "lobby")
	const n = 10000
	go func() {
		for i := range n {
			if ws.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"function":"attacker_%d"}`, i)) != nil {
				return
			}
		}
	}()
	for range n {
		read(t, ws) // each gets its error frame
	}
	got := a.scrape(t)
	var series []string
	for s := range got {
		if strings.HasPrefix(s, "liveview_events_total{") || strings.HasPrefix(s, "liveview_event_duration_seconds_count{") {
			series = append(series, s)
		}
	}
	// 5 outcomes of "unknown", and one duration count.
	if len(series) != 6 {
		t.Errorf("%d event series, want 6: %v", len(series), series)
	}
	if v := got[`liveview_events_total{function="unknown",outcome="rejected"}`]; v != n {
		t.Errorf("unknown rejected = %v, want %d", v, n)
	}
}

// TestRefusedHandshake: a refused origin is counted by reason and opens
// nothing.
func TestRefusedHandshake(t *testing.T) {
	a := newApp(t, liveview.Config{}, func(*liveview.Hub) {})
	h := http.Header{"Origin": {"https://evil.example"}}
	if _, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.srv.URL, "http")+"/ws/liveview/lobby/", h); err == nil {
		t.Fatal("handshake from another origin succeeded")
	}
	got := a.scrape(t)
	if v := got[`liveview_handshakes_refused_total{reason="origin_refused"}`]; v != 1 {
		t.Errorf("origin_refused = %v, want 1", v)
	}
	if v := got["liveview_connections_opened_total"]; v != 0 {
		t.Errorf("opened = %v, want 0", v)
	}
}

// uploadPresencePage tracks its visitor (the X-User header) in "lobby",
// shows who is online, and has a file input submitted to "save".
const uploadPresencePage = `<!DOCTYPE html><html lang="en" data-room="lobby"><head><title>Upload</title></head>
<body data-controller="page"><ul id="online"></ul>
<form id="f" data-action="submit->page#run:prevent" data-liveview-function="save">
<input type="file" name="docs" multiple><span data-liveview-upload-error="docs"></span>
<button type="submit">Save</button></form>
<button id="away" data-action="page#run" data-liveview-function="away">away</button>
<div id="saved"></div>
<script src="/static/liveview/liveview.min.js" defer></script>
</body></html>`

type onlineRenderer struct{}

func (onlineRenderer) Render(w io.Writer, _ string, data any, _ echo.Context) error {
	for _, p := range data.([]liveview.Present) {
		fmt.Fprintf(w, "<li>%s x%d</li>", p.Key, p.Count())
	}
	return nil
}

// TestScrapeUploadsPresence: complete and refused uploads, and presence
// joins, a status change and a leave, in the upload and presence series.
func TestScrapeUploadsPresence(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := lvprom.MustNew(reg)
	metrics := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer metrics.Close()
	a := &app{metrics: metrics}
	e := echo.New()
	e.Renderer = onlineRenderer{}
	hub := liveview.New(liveview.Config{
		Hooks: m.Hooks(), Logger: discard, PresenceInterval: time.Millisecond,
		Upload: liveview.UploadConfig{Dir: t.TempDir(), MaxFileSize: 100},
		OnConnect: func(ec echo.Context, c *liveview.Context) error {
			user := ec.Request().Header.Get("X-User")
			c.Set("user", user)
			if err := c.Track("lobby", user, map[string]string{"status": "here"}); err != nil {
				return err
			}
			return c.ShowPresence("lobby", "#online", "online")
		},
	})
	defer hub.Close()
	hub.Handle("save", func(c *liveview.Context) error { return c.HTML("#saved", "saved") })
	hub.Handle("away", func(c *liveview.Context) error {
		return c.Track("lobby", c.Get("user").(string), map[string]string{"status": "away"})
	})
	e.Use(hub.Middleware())
	e.GET("/", func(c echo.Context) error { return c.HTML(http.StatusOK, uploadPresencePage) })

	lt := liveviewtest.New(t, e)
	ada := lt.Open("/", liveviewtest.WithHeader("X-User", "ada"))
	ada.WaitText("#online", "ada x1")
	ada.SetFiles("[name=docs]", liveviewtest.File{Name: "a.txt", Content: []byte("hello")}, liveviewtest.File{Name: "b.txt", Content: []byte("world!")})
	ada.Submit("#f")
	ada.SetFiles("[name=docs]", liveviewtest.File{Name: "c.txt", Content: []byte("again")})
	ada.Submit("#f")
	ada.SetFiles("[name=docs]", liveviewtest.File{Name: "big.txt", Content: make([]byte, 101)})
	ada.Submit("#f")
	if len(ada.UploadErrors()) != 1 || ada.Text("#saved") != "saved" {
		t.Fatalf("refusals %v, saved %q", ada.UploadErrors(), ada.Text("#saved"))
	}

	// ada's own join happened before the Hub watched the topic: it is in
	// the first list, not a diff. Then bob joins, goes away (a leave and
	// a join of his entry), and leaves.
	base := a.scrape(t)
	bob := lt.Open("/", liveviewtest.WithHeader("X-User", "bob"))
	ada.WaitText("#online", "ada x1bob x1")
	a.waitFor(t, "liveview_presence_joins_total", base["liveview_presence_joins_total"]+1)
	bob.Click("#away")
	a.waitFor(t, "liveview_presence_joins_total", base["liveview_presence_joins_total"]+2)
	bob.Close()
	ada.WaitText("#online", "ada x1")
	a.waitFor(t, "liveview_presence_leaves_total", base["liveview_presence_leaves_total"]+2)

	got := a.scrape(t)
	for _, tt := range []struct {
		series string
		want   float64
	}{
		{`liveview_uploads_total{outcome="complete"}`, 2},
		{`liveview_uploads_total{outcome="refused"}`, 1},
		{"liveview_upload_bytes_total", 16}, // 5 + 6 + 5: a refused upload's bytes are not counted
		{"liveview_presence_diffs_total", base["liveview_presence_diffs_total"] + 3},
		{"liveview_presence_joins_total", base["liveview_presence_joins_total"] + 2},
		{"liveview_presence_leaves_total", base["liveview_presence_leaves_total"] + 2},
	} {
		if v, ok := got[tt.series]; !ok || v != tt.want {
			t.Errorf("%s = %v (present: %v), want %v", tt.series, v, ok, tt.want)
		}
	}
	if j, l := base["liveview_presence_joins_total"], base["liveview_presence_leaves_total"]; j > 1 || l != 0 {
		t.Errorf("before bob: %v joins, %v leaves; want ada's join at most", j, l)
	}
}

// TestREADMETable: the README's metrics table names exactly the series
// New registers, with their types and label names.
func TestREADMETable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Metrics, traces and the stats page")
	if !ok {
		t.Fatal("README has no metrics section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	type metric struct {
		typ    string
		labels string // sorted, comma-separated
	}
	nameRE := regexp.MustCompile("`(liveview_[a-z_]+)`")
	labelRE := regexp.MustCompile("`\\{([a-z_, ]+)\\}`")
	documented := map[string]metric{}
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `liveview_") || len(cells) < 2 {
			continue
		}
		typ := strings.TrimSuffix(strings.Fields(cells[1])[0], "s") // "counters" -> "counter"
		var labels []string
		for _, m := range labelRE.FindAllStringSubmatch(cells[1], -1) {
			for l := range strings.SplitSeq(m[1], ",") {
				labels = append(labels, strings.TrimSpace(l))
			}
		}
		slices.Sort(labels)
		for _, m := range nameRE.FindAllStringSubmatch(cells[0], -1) {
			documented[m[1]] = metric{typ, strings.Join(labels, ",")}
		}
	}

	// Every hook once, so that every vector has a series to scrape.
	reg := prometheus.NewRegistry()
	h := lvprom.MustNew(reg).Hooks()
	conn := liveview.ConnInfo{ID: "c", Room: "r"}
	h.ConnOpened(conn)
	h.ConnClosed(conn, liveview.ReasonSlowClient)
	h.HandshakeRefused(httptest.NewRequest(http.MethodGet, "/", nil), liveview.ReasonBusy)
	h.EventEnd(context.Background(), liveview.EventDone{EventInfo: liveview.EventInfo{Conn: conn, Function: "f"}})
	h.FrameSent(conn, 10)
	h.QueueHighWater(liveview.QueueLevel{Conn: conn, Fraction: 0.5})
	h.BrokerPublish(liveview.BrokerPublish{Err: errors.New("down")})
	h.BrokerGap(liveview.BrokerGap{})
	h.Upload(liveview.UploadInfo{Conn: conn, Function: "f", Files: 1, Bytes: 1})
	h.PresenceDiff(liveview.PresenceInfo{Topic: "t", Joins: 1})
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	registered := map[string]metric{}
	labelsOf := map[string]map[string]bool{}
	for line := range strings.SplitSeq(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" {
			registered[f[2]] = metric{typ: f[3]}
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base := strings.TrimSuffix(name, suffix); base != name && registered[base].typ == "histogram" {
				name = base
			}
		}
		labels, _, _ := strings.Cut(rest, "}")
		for kv := range strings.SplitSeq(labels, ",") {
			if k, _, _ := strings.Cut(kv, "="); k != "le" {
				if labelsOf[name] == nil {
					labelsOf[name] = map[string]bool{}
				}
				labelsOf[name][k] = true
			}
		}
	}
	for name, m := range registered {
		m.labels = strings.Join(slices.Sorted(maps.Keys(labelsOf[name])), ",")
		registered[name] = m
	}
	if len(registered) != 19 {
		t.Errorf("scraped %d metric families, want the 19 New registers", len(registered))
	}
	for name, want := range registered {
		if got, ok := documented[name]; !ok {
			t.Errorf("%s (%s {%s}) is not in the README's metrics table", name, want.typ, want.labels)
		} else if got != want {
			t.Errorf("%s: README says %s {%s}, the scrape %s {%s}", name, got.typ, got.labels, want.typ, want.labels)
		}
	}
	for name := range documented {
		if _, ok := registered[name]; !ok {
			t.Errorf("README's metrics table names %s, which New does not register", name)
		}
	}
}
