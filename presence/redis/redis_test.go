package redis_test

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/presencetest"
	"github.com/echo-liveview/liveview/presence/redis"
)

// TestMain runs a child process of a multi-process test when asked to
// (see child_test.go and hub_process_test.go), else the tests, failing them if any goroutine
// outlives them.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	if os.Getenv(hubChildEnv) != "" {
		os.Exit(runHubChild())
	}
	goleak.VerifyTestMain(m)
}

// Short leases for the tests: a dead instance goes within lease + sync.
const (
	testLease = 800 * time.Millisecond
	testSync  = 200 * time.Millisecond
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newClient(t testing.TB, addr string, protocol int) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: protocol})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	srv := redisserver.Start(t)
	for _, tt := range []struct {
		name     string
		protocol int
	}{{"RESP3", 3}, {"RESP2", 2}} {
		t.Run(tt.name, func(t *testing.T) {
			presencetest.Run(t, presencetest.Config{
				New: func(t *testing.T) presence.Tracker {
					return redis.New(newClient(t, srv.Addr(), tt.protocol),
						redis.WithLease(testLease), redis.WithSyncInterval(testSync), redis.WithLogger(quietLogger()))
				},
				Instances: true,
				Kill:      func(t *testing.T, tr presence.Tracker) { redis.Kill(tr.(*redis.Tracker)) },
				Restart: func(t *testing.T) {
					srv.Kill()
					srv.Restart()
				},
				DeadBound: testLease + testSync,
			})
		})
	}
}
