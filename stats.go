package liveview

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"
)

// Stats is a snapshot of a Hub, from Hub.Stats: what an operator looks at
// first, without any metrics system. Its JSON form is what the stats
// handler serves.
type Stats struct {
	Time time.Time `json:"time"`
	// Connections is the number of open connections on this instance.
	Connections int `json:"connections"`
	// Handshakes is the number of handshakes in progress (the figure
	// Config.MaxHandshakes caps).
	Handshakes int64 `json:"handshakes"`
	// Events counts the frames received as events since New, those
	// refused included; EventsPerSecond is their rate over the last
	// interval: since the sample taken by an earlier Stats call at least a
	// second before (since New for the first calls).
	Events          uint64  `json:"events"`
	EventsPerSecond float64 `json:"events_per_second"`
	// Topics is the number of topics (rooms and topics joined with
	// Context.Join) with local members; TopTopics lists the largest, at
	// most 20, by local members.
	Topics    int          `json:"topics"`
	TopTopics []TopicStats `json:"top_topics"`
	// Queue summarises the connections' send backlogs.
	Queue QueueStats `json:"queue"`
	// PresenceTopics is the number of presence topics watched here
	// (ShowPresence, WatchPresence).
	PresenceTopics int `json:"presence_topics"`
	// Broker is the Broker's own counters when it reports them
	// (pubsub/redis: its Stats, through a BrokerStats method), else nil.
	Broker any `json:"broker,omitempty"`
	// Closed: Shutdown has started.
	Closed bool `json:"closed"`
}

// TopicStats is one topic with its local members.
type TopicStats struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
}

// QueueStats summarises the send backlogs of the open connections: the
// bytes of frames queued and not yet written (each counted with a small
// overhead), against Config.SendQueueBytes.
type QueueStats struct {
	MaxBytes   int     `json:"max_bytes"`
	AvgBytes   float64 `json:"avg_bytes"`
	Backlogged int     `json:"backlogged"` // connections with frames waiting
	LimitBytes int     `json:"limit_bytes"`
}

// maxTopTopics bounds Stats.TopTopics.
const maxTopTopics = 20

// statsState is what Stats keeps between calls: the events/s sample, and
// the stats page's own Hub.
type statsState struct {
	mu         sync.Mutex
	prevTime   time.Time
	prevEvents uint64
	rate       float64
	sampled    bool // rate was computed over a whole interval
}

func (s *statsState) start(*Hub) { s.prevTime = time.Now() }

// eventRate returns the events/s over the last interval, taking a new
// sample when the last one is a second old.
func (s *statsState) eventRate(now time.Time, events uint64) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	el := now.Sub(s.prevTime)
	if el < time.Second && s.sampled {
		return s.rate
	}
	rate := 0.0
	if el > 0 {
		rate = float64(events-s.prevEvents) / el.Seconds()
	}
	if el >= time.Second {
		s.prevTime, s.prevEvents, s.rate, s.sampled = now, events, rate, true
	}
	return rate
}

// brokerStats is implemented by Brokers that report counters
// (pubsub/redis).
type brokerStats interface{ BrokerStats() any }

// Stats returns a snapshot of the Hub. It takes the Hub's locks briefly,
// once per connection for its queue: cheap enough to call every second,
// not per event. Safe for concurrent use.
func (h *Hub) Stats() Stats {
	now := time.Now()
	st := Stats{Time: now, Handshakes: h.drain.inflight.Load(), Events: h.events.Load()}
	st.EventsPerSecond = h.stats.eventRate(now, st.Events)
	st.Queue.LimitBytes = h.cfg.SendQueueBytes
	h.mu.RLock()
	st.Closed = h.closed
	st.Connections = len(h.conns)
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	topics := make([]TopicStats, 0, len(h.topics))
	for name, t := range h.topics {
		if name == broadcastTopic {
			continue
		}
		topics = append(topics, TopicStats{Name: strings.TrimPrefix(name, roomTopicPrefix), Members: len(t.members)})
	}
	h.mu.RUnlock()
	var total int
	for _, c := range conns {
		c.sendMu.Lock()
		b := c.backlog
		c.sendMu.Unlock()
		total += b
		st.Queue.MaxBytes = max(st.Queue.MaxBytes, b)
		if b > 0 {
			st.Queue.Backlogged++
		}
	}
	if len(conns) > 0 {
		st.Queue.AvgBytes = float64(total) / float64(len(conns))
	}
	st.Topics = len(topics)
	slices.SortFunc(topics, func(a, b TopicStats) int {
		return cmp.Or(cmp.Compare(b.Members, a.Members), strings.Compare(a.Name, b.Name))
	})
	st.TopTopics = topics[:min(len(topics), maxTopTopics)]
	h.presMu.Lock()
	st.PresenceTopics = len(h.presTopics)
	h.presMu.Unlock()
	if bs, ok := h.broker.(brokerStats); ok {
		st.Broker = bs.BrokerStats()
	}
	return st
}

// StatsHandler returns an Echo handler that serves the Hub's Stats under
// prefix (a path such as "/debug/liveview", without a trailing slash):
//
//   - prefix and prefix/: a live HTML page, itself a LiveView (its own
//     small Hub, whose endpoint and client script live under prefix),
//     refreshed every second with data-liveview-poll;
//   - prefix/json: Stats as JSON;
//   - prefix/ws/stats/ and prefix/js/...: that page's WebSocket endpoint
//     and client script.
//
// Route both the prefix and everything under it to it, behind your own
// authentication (the page shows room and topic names):
//
//	stats := hub.StatsHandler("/debug/liveview")
//	g := e.Group("/debug/liveview", adminOnly)
//	g.GET("", stats)
//	g.GET("/*", stats)
//
// The page's Hub closes with this Hub's Shutdown. Calling StatsHandler
// again returns a handler sharing that Hub; prefix must be the same.
func (h *Hub) StatsHandler(prefix string) echo.HandlerFunc {
	prefix = strings.TrimRight(prefix, "/")
	page := h.statsPage(prefix)
	serve := page.Middleware()(func(echo.Context) error { return echo.ErrNotFound })
	return func(c echo.Context) error {
		switch c.Request().URL.Path {
		case prefix, prefix + "/":
			var buf bytes.Buffer
			if err := statsTemplate.ExecuteTemplate(&buf, "page", statsView{Stats: h.Stats(), Script: page.ScriptTag()}); err != nil {
				return err
			}
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.HTMLBlob(http.StatusOK, buf.Bytes())
		case prefix + "/json":
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.JSON(http.StatusOK, h.Stats())
		}
		return serve(c)
	}
}

// statsPage returns the stats page's Hub, made on first use.
func (h *Hub) statsPage(prefix string) *Hub {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.statsHub != nil {
		return h.statsHub
	}
	p := New(Config{
		Path:                    prefix + "/ws/:room/",
		ScriptPath:              prefix + "/js/",
		Logger:                  h.log,
		AllowedOrigins:          h.cfg.AllowedOrigins,
		InsecureSkipOriginCheck: h.cfg.InsecureSkipOriginCheck,
		Room: func(echo.Context) (string, error) {
			return "liveview-stats", nil
		},
	})
	p.Handle(statsFunction, func(c *Context) error {
		var buf bytes.Buffer
		if err := statsTemplate.ExecuteTemplate(&buf, "body", statsView{Stats: h.Stats()}); err != nil {
			return err
		}
		return c.Send(Message{Target: "#liveview-stats", HTML: buf.String(), Morph: true})
	})
	h.statsHub = p
	return p
}

// statsFunction is the stats page's one handler, polled every second.
const statsFunction = "liveview_stats"

type statsView struct {
	Stats
	Script template.HTML
}

// BrokerFields is the Broker's stats as fields, in their order.
func (v statsView) BrokerFields() []statField { return brokerFields(v.Broker) }

var statsTemplate = template.Must(template.New("").Funcs(template.FuncMap{
	"kib": func(n any) string {
		var f float64
		switch v := n.(type) {
		case int:
			f = float64(v)
		case float64:
			f = v
		}
		switch {
		case f >= 1<<20:
			return strconvF(f/(1<<20)) + " MiB"
		case f >= 1<<10:
			return strconvF(f/(1<<10)) + " KiB"
		}
		return strconvF(f) + " B"
	},
	"rate": strconvF,
	"pct": func(a any, b int) int {
		var f float64
		switch v := a.(type) {
		case int:
			f = float64(v)
		case float64:
			f = v
		}
		if b <= 0 {
			return 0
		}
		return min(100, int(f*100/float64(b)))
	},
}).Parse(statsHTML))

const statsHTML = `{{define "page"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LiveView stats</title>
<style>
:root{--bg:#0f172a;--card:#1e293b;--fg:#e2e8f0;--mute:#94a3b8;--ok:#22c55e;--warn:#f59e0b;--bad:#ef4444;--acc:#38bdf8}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;align-items:baseline;gap:1rem;padding:1rem 1.5rem;border-bottom:1px solid #334155}
h1{font-size:1.2rem;margin:0}header span{color:var(--mute)}
main{padding:1.5rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(220px,1fr))}
.card{background:var(--card);border-radius:10px;padding:1rem}
.card b{display:block;font-size:1.9rem;font-variant-numeric:tabular-nums}
.card small{color:var(--mute);text-transform:uppercase;letter-spacing:.05em;font-size:.72rem}
.wide{grid-column:1/-1}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #334155}
th{color:var(--mute);font-weight:500;font-size:.8rem}.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{height:6px;background:#334155;border-radius:3px;margin-top:.5rem}.bar i{display:block;height:100%;background:var(--acc);border-radius:3px}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.mute{color:var(--mute)}
.card em{display:block;color:var(--mute);font-style:normal;font-size:.75rem;margin-top:.35rem}
footer{grid-column:1/-1;color:var(--mute);font-size:.8rem;text-align:right}
</style></head>
<body data-controller="page"><header><h1>LiveView</h1><span>live stats of this instance, refreshed every second</span></header>
<div id="liveview-stats" data-liveview-poll="1000" data-liveview-function="` + statsFunction + `">{{template "body" .}}</div>
{{.Script}}
</body></html>{{end}}
{{define "body"}}<main>
<div class="card"><small>Connections</small><b id="stat-connections">{{.Connections}}</b></div>
<div class="card"><small>Events / s</small><b id="stat-rate">{{rate .EventsPerSecond}}</b></div>
<div class="card"><small>Events total</small><b>{{.Events}}</b></div>
<div class="card"><small>Topics</small><b>{{.Topics}}</b></div>
<div class="card"><small>Handshakes</small><b>{{.Handshakes}}</b></div>
<div class="card"><small>Presence topics</small><b>{{.PresenceTopics}}</b></div>
<div class="card"><small>Send queue max</small><b>{{kib .Queue.MaxBytes}}</b><div class="bar"><i style="width:{{pct .Queue.MaxBytes .Queue.LimitBytes}}%"></i></div><em>of {{kib .Queue.LimitBytes}} per connection</em></div>
<div class="card"><small>Send queue avg</small><b>{{kib .Queue.AvgBytes}}</b><div class="bar"><i style="width:{{pct .Queue.AvgBytes .Queue.LimitBytes}}%"></i></div><em>of {{kib .Queue.LimitBytes}} per connection</em></div>
<div class="card"><small>Backlogged conns</small><b>{{.Queue.Backlogged}}</b></div>
<div class="card"><small>State</small><b>{{if .Closed}}<span class="warn">draining</span>{{else}}<span class="ok">serving</span>{{end}}</b></div>
{{with .BrokerFields}}<div class="card wide"><small>Broker</small><table id="stat-broker"><tr>{{range .}}<th>{{.Name}}</th>{{end}}</tr><tr>{{range .}}<td{{with .Class}} class="{{.}}"{{end}}>{{.Value}}</td>{{end}}</tr></table></div>{{end}}
<div class="card wide"><small>Largest topics (local members)</small>
<table id="stat-topics"><tr><th>topic</th><th class="n">members</th></tr>
{{range .TopTopics}}<tr><td>{{.Name}}</td><td class="n">{{.Members}}</td></tr>{{else}}<tr><td colspan="2">none</td></tr>{{end}}</table></div>
<footer>snapshot {{.Time.Format "2006-01-02 15:04:05 MST"}}</footer>
</main>{{end}}`

// strconvF formats f with at most one decimal.
func strconvF(f float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0")
}

// statField is one field of the Broker's stats as the page shows it.
type statField struct {
	Name, Value string
	Class       string // "ok", "bad", "mute" or ""
}

// brokerFields returns the fields of a Broker's stats, for the page: a
// struct's exported fields in their order, with readable names ("Publish
// errors") and values (a duration rounded, a zero time as "none", a bool
// as yes/no); any other value's JSON object fields, sorted.
func brokerFields(v any) []statField {
	if v == nil {
		return nil
	}
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() == reflect.Struct {
		var out []statField
		for i := range rv.NumField() {
			if f := rv.Type().Field(i); f.IsExported() {
				out = append(out, statValue(spaceWords(f.Name), rv.Field(i).Interface()))
			}
		}
		return out
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	out := make([]statField, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, statValue(k, m[k]))
	}
	return out
}

// statValue formats one Broker stat.
func statValue(name string, v any) statField {
	f := statField{Name: name}
	switch x := v.(type) {
	case bool:
		f.Value, f.Class = "no", "bad"
		if x {
			f.Value, f.Class = "yes", "ok"
		}
	case time.Duration:
		f.Value = x.Round(time.Millisecond).String()
	case time.Time:
		f.Value, f.Class = "none", "mute"
		if !x.IsZero() {
			f.Value, f.Class = x.Format("15:04:05"), "bad"
		}
	case float64:
		f.Value = strconvF(x)
	default:
		f.Value = fmt.Sprint(x)
	}
	return f
}

// spaceWords turns a Go field name into words: "PublishErrors" ->
// "Publish errors".
func spaceWords(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
