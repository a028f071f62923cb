// Command server is the system under test of lvbench: the same small app
// (a click handler that renders a template and replies, a broadcast
// trigger) written once on a liveview Hub and once on raw melody.
//
//	server -mode hub|melody -addr 127.0.0.1:0 [-redis 127.0.0.1:6379]
//
// It prints "listening on ADDR" once ready. Endpoints:
//
//	/ws/liveview/bench/  the WebSocket (any path for melody)
//	POST /broadcast      broadcast {"target":"#news","html":<body>}
//	POST /gc             runtime.GC + debug.FreeOSMemory (before RSS reads)
//	GET /heap            a heap profile (go tool pprof)
//	GET /mallocs         runtime.MemStats.Mallocs, the heap allocations so far
//	GET /memstats        "HeapInuse StackInuse" in bytes, after a GC
//	GET /cpu?seconds=N   a CPU profile of the next N seconds
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"html/template"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// item is what the click handler renders.
var item = template.Must(template.New("item.html").Parse(`<li id="item-{{.ID}}">{{.Name}} clicked {{.Count}} times</li>`))

type itemData struct {
	ID    string
	Name  string
	Count int
}

func main() {
	mode := flag.String("mode", "hub", "hub or melody")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	redisAddr := flag.String("redis", "", "hub mode: share broadcasts through the Redis server at this address")
	flag.Parse()

	var h http.Handler
	switch *mode {
	case "hub":
		var broker pubsub.Broker
		if *redisAddr != "" {
			broker = redis.New(goredis.NewClient(&goredis.Options{Addr: *redisAddr}))
		}
		h = hubApp(broker)
	case "melody":
		h = melodyApp()
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.SetFlags(0)
	log.Printf("listening on %s", ln.Addr())
	log.Fatal(http.Serve(ln, h))
}

// common adds the endpoints both apps share.
func common(mux *http.ServeMux, broadcast func([]byte) error) {
	mux.HandleFunc("POST /broadcast", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := broadcast(body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /gc", func(http.ResponseWriter, *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
	})
	mux.HandleFunc("GET /mallocs", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_, _ = io.WriteString(w, strconv.FormatUint(ms.Mallocs, 10))
	})
	mux.HandleFunc("GET /memstats", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_, _ = io.WriteString(w, strconv.FormatUint(ms.HeapInuse, 10)+" "+strconv.FormatUint(ms.StackInuse, 10))
	})
	mux.HandleFunc("GET /cpu", func(w http.ResponseWriter, r *http.Request) {
		secs, _ := strconv.Atoi(r.URL.Query().Get("seconds"))
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		time.Sleep(time.Duration(max(secs, 1)) * time.Second)
		pprof.StopCPUProfile()
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		_ = pprof.Lookup("heap").WriteTo(w, 0)
	})
}

type renderer struct{}

func (renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return item.ExecuteTemplate(w, name, data)
}

func hubApp(broker pubsub.Broker) http.Handler {
	// Limits off: lvbench drives thousands of connections from one address
	// as fast as it can.
	hub := liveview.New(liveview.Config{Logger: slog.New(slog.DiscardHandler), RateLimit: -1, MaxConnsPerIP: -1, Broker: broker})
	hub.Handle("click", func(c *liveview.Context) error {
		n, _ := strconv.Atoi(c.Data("count"))
		return c.Render("#item-"+c.Data("id"), "item.html", itemData{ID: c.Data("id"), Name: c.FormValue("name"), Count: n})
	})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = renderer{}
	e.Use(hub.Middleware())
	mux := http.NewServeMux()
	common(mux, func(b []byte) error {
		return hub.Broadcast(context.Background(), liveview.Message{Target: "#news", HTML: string(b)})
	})
	mux.Handle("/", e)
	return mux
}

// event is the client frame, decoded the way a hand-written melody app would.
type event struct {
	Function string            `json:"function"`
	Data     map[string]string `json:"data"`
	Form     map[string]any    `json:"form"`
}

type frame struct {
	Target string `json:"target"`
	HTML   string `json:"html"`
}

func melodyApp() http.Handler {
	m := melody.New()
	m.Config.MaxMessageSize = 64 << 10
	m.HandleMessage(func(s *melody.Session, msg []byte) {
		var ev event
		if err := json.Unmarshal(msg, &ev); err != nil || ev.Function != "click" {
			return
		}
		n, _ := strconv.Atoi(ev.Data["count"])
		name, _ := ev.Form["name"].(string)
		var buf bytes.Buffer
		// By name, as an Echo renderer does (ExecuteTemplate: the same work).
		if err := item.ExecuteTemplate(&buf, "item.html", itemData{ID: ev.Data["id"], Name: name, Count: n}); err != nil {
			return
		}
		_ = s.Write(encode(frame{Target: "#item-" + ev.Data["id"], HTML: buf.String()}))
	})
	mux := http.NewServeMux()
	common(mux, func(b []byte) error {
		return m.Broadcast(encode(frame{Target: "#news", HTML: string(b)}))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { _ = m.HandleRequest(w, r) })
	return mux
}

// encode writes f as the liveview Hub does: JSON without HTML escaping.
func encode(f frame) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(f)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
