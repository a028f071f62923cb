// Command counter is the fixture app of the exactly-once test
// (e2e/once_test.go): a page per name, /c/NAME, with an "increment" button
// whose handler increments the page's counter in Redis (INCR, keyed by the
// page) and shows it. Instances given the same -redis share the counters,
// the pub/sub and the records of the events they ran (pubsub/redis is the
// Hub's dedupe store), so a page may reconnect to any of them.
//
//	go run ./examples/clienttest/counter -addr :8081 -redis 127.0.0.1:6379
//	go run ./examples/clienttest/counter -addr :8082 -redis 127.0.0.1:6379
//
// A page /c/NAME?base=MS sets the client's reconnectBaseMs; with -slow D the
// handler waits D in the pages whose NAME starts with "slow". In the pages
// whose NAME starts with "keep", the handler also counts the clicks of
// this page load in the connection's value "mine" (Config.KeepValues: it
// survives a reconnect to the other instance) and shows it in #mine.
//
// Each run of the handler prints one line to stdout as it starts, which
// the test reads to see that no event ran twice:
//
//	once-run pid=PID room=NAME id=ID
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

const pageHTML = `<!DOCTYPE html>
<html lang="en" data-room="{{.Room}}">
<head><meta charset="UTF-8"><title>counter {{.Room}}</title></head>
<body data-controller="page">
<button id="inc" data-liveview-function="increment" data-action="page#run">+</button>
<output id="count">{{.N}}</output> <span id="last"></span> <output id="mine">0</output>
{{if .Base}}<script>window.webSocketConfig = {reconnectBaseMs: {{.Base}}};</script>{{end}}
{{liveviewScript}}
</body>
</html>`

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis address (host:port) shared by the instances")
	lease := flag.Duration("lease", liveview.DefaultDedupeLease, "Config.DedupeLease: how long a running event's claim lasts")
	drain := flag.Duration("drain", 300*time.Millisecond, "Config.DrainWindow")
	slow := flag.Duration("slow", 0, "how long the handler waits before incrementing in the pages whose name starts with \"slow\"")
	flag.Parse()

	rdb := goredis.NewClient(&goredis.Options{Addr: *redisAddr})
	defer rdb.Close()
	broker := redis.New(rdb, redis.WithPrefix("counter:"))
	defer broker.Close()

	e := echo.New()
	e.HideBanner = true
	hub := liveview.New(liveview.Config{
		Broker: broker, DedupeLease: *lease, DrainWindow: *drain,
		KeepValues: map[string]any{"mine": 0},
		// The test's hundreds of clients all come from 127.0.0.1, through
		// one proxy, and click as fast as answers come.
		MaxConnsPerIP: -1, RateLimit: -1, MaxHandshakes: -1,
	})
	page := template.Must(template.New("page").Funcs(template.FuncMap{"liveviewScript": hub.ScriptTag}).Parse(pageHTML))
	pid := os.Getpid()
	hub.Handle("increment", func(c *liveview.Context) error {
		// Not c.Context(): it ends with the connection, and a socket that
		// drops must not cut the increment off halfway (the event's
		// record outlives the socket; its re-send gets the answer).
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context()), 5*time.Second)
		defer cancel()
		fmt.Printf("once-run pid=%d room=%s id=%s\n", pid, c.Room(), c.EventID())
		if strings.HasPrefix(c.Room(), "slow") {
			time.Sleep(*slow)
		}
		// The event id is the increment's idempotency key, in the same
		// script as the INCR: the Hub runs an event once, except when its
		// instance dies (kill -9) between the handler's effect and the
		// event's record (README, "Exactly-once events"); then the re-sent
		// event runs again and this key makes its second INCR a no-op.
		n, err := incrOnce.Run(ctx, rdb, []string{key(c.Room()), "counter:done:" + c.EventID()}).Int64()
		if err != nil {
			return fmt.Errorf("liveview: counter: %w", err)
		}
		// Two frames, so a connection can be cut between them.
		if err := c.HTML("#count", strconv.FormatInt(n, 10)); err != nil {
			return err
		}
		if strings.HasPrefix(c.Room(), "keep") {
			mine, _ := c.Get("mine").(int) // restored after a reconnect
			mine++
			c.Set("mine", mine)
			if err := c.HTML("#mine", strconv.Itoa(mine)); err != nil {
				return err
			}
		}
		return c.HTML("#last", template.HTMLEscapeString(c.EventID()))
	})
	e.Use(hub.Middleware())
	e.GET("/c/:page", func(c echo.Context) error {
		room := c.Param("page")
		n, err := rdb.Get(c.Request().Context(), key(room)).Int64()
		if err != nil && !errors.Is(err, goredis.Nil) {
			return err
		}
		c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
		base, _ := strconv.Atoi(c.QueryParam("base")) // the client's reconnectBaseMs
		return page.Execute(c.Response(), map[string]any{"Room": room, "N": n, "Base": base})
	})

	srv := e.Server
	srv.Addr = *addr
	srv.ReadHeaderTimeout = 5 * time.Second // as every example's newServer (README, "Production server")
	srv.IdleTimeout = 2 * time.Minute
	go func() {
		if err := e.StartServer(srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.Shutdown(shutdown) // starts the Hub's drain
	_ = hub.Shutdown(shutdown)
}

// incrOnce increments KEYS[1] unless the event KEYS[2] already did (the
// key lives 10 minutes, longer than any re-send), and returns the count.
var incrOnce = goredis.NewScript(`
if redis.call("SET", KEYS[2], "1", "NX", "EX", 600) then
	return redis.call("INCR", KEYS[1])
end
return tonumber(redis.call("GET", KEYS[1]) or "0")`)

// key is the Redis key of a page's counter.
func key(room string) string { return "counter:count:" + room }
