package redis_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
)

// TestHubBurstThroughRedis is issue 10's burst attack across instances:
// one client on instance A sends 500 broadcast-producing events back to
// back while 50 clients, half on A and half on B, read normally. Every
// reader gets every frame, in order, and none is disconnected.
func TestHubBurstThroughRedis(t *testing.T) {
	const perInstance, n = 25, 500
	srv := redisserver.Start(t)
	a, b := newInstance(t, srv.Addr()), newInstance(t, srv.Addr())
	for _, in := range []*instance{a, b} {
		in.hub.Handle("announce", func(c *liveview.Context) error {
			return c.Broadcast(liveview.Message{Target: "#news", HTML: "<p>announcement " + c.Data("n") + "</p>", Append: true})
		})
	}
	var readers []*websocket.Conn
	for _, in := range []*instance{a, b} {
		for range perInstance {
			readers = append(readers, in.dial(t, "lobby"))
		}
	}
	attacker := a.dial(t, "lobby")
	errs := make(chan error, len(readers)+1)
	var wg sync.WaitGroup
	for i, ws := range append(readers, attacker) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range n {
				_ = ws.SetReadDeadline(time.Now().Add(waitTimeout))
				_, b, err := ws.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("reader %d, frame %d: %w", i, j, err)
					return
				}
				if want := "announcement " + strconv.Itoa(j) + "<"; !strings.Contains(string(b), want) {
					errs <- fmt.Errorf("reader %d, frame %d: %s, want %q", i, j, b, want)
					return
				}
			}
		}()
	}
	for i := range n {
		if err := attacker.WriteMessage(websocket.TextMessage, []byte(`{"function":"announce","data":{"n":"`+strconv.Itoa(i)+`"}}`)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
