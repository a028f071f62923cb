package redis_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/presence/redis"
)

// The multi-process test: TestProcesses re-executes the test binary with
// childEnv set; TestMain then runs runChild instead of the tests. A child
// is one application instance: it tracks childEntries entries in one
// topic, watches it, and serves GET /state (its List, its Watch's state and
// its own entries, as JSON) on a loopback port that it prints on stdout.
// It exits when its stdin closes.

const (
	childEnv     = "PRESENCE_REDIS_CHILD"
	childEntries = 100
	sharedKeys   = 20 // keys "user-0".."user-19" are tracked by every child: two tabs of one user on two instances
	childLease   = 2 * time.Second
	childSync    = 500 * time.Millisecond
	// childBound is the documented bound for the children's options.
	childBound = childLease + childSync
	// slack is what the test allows beyond a bound: HTTP polling and a
	// loaded two-core machine under -race.
	slack = 2 * time.Second
)

var kills = flag.Int("kills", 1, "TestProcesses: number of kill -9 and restart rounds")

type childState struct {
	List  []presence.Entry `json:"list"`
	Watch []presence.Entry `json:"watch"`
	Own   []presence.Entry `json:"own"`
	Err   string           `json:"err,omitempty"`
}

func runChild() int {
	addr, topic, name := os.Getenv("PRESENCE_ADDR"), os.Getenv("PRESENCE_TOPIC"), os.Getenv(childEnv)
	client := goredis.NewClient(&goredis.Options{Addr: addr})
	defer client.Close()
	tr := redis.New(client, redis.WithLease(childLease), redis.WithSyncInterval(childSync), redis.WithLogger(quietLogger()))
	defer tr.Close()
	ctx := context.Background()

	var mu sync.Mutex
	watchState := make(map[string]presence.Entry)
	apply := func(d presence.Diff) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range d.Leaves {
			delete(watchState, e.Ref)
		}
		for _, e := range d.Joins {
			watchState[e.Ref] = e
		}
	}
	w, err := tr.Watch(ctx, topic, apply)
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		return 1
	}
	defer w.Stop()
	l, err := tr.List(ctx, topic)
	if err != nil {
		fmt.Fprintln(os.Stderr, "list:", err)
		return 1
	}
	apply(presence.Diff{Joins: l})

	var own []presence.Entry
	for i := range childEntries {
		key := fmt.Sprintf("%s-%d", name, i)
		if i < sharedKeys {
			key = fmt.Sprintf("user-%d", i)
		}
		e := presence.Entry{Key: key, Ref: fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64()),
			Meta: json.RawMessage(fmt.Sprintf(`{"instance":%q,"n":%d}`, name, i))}
		if err := tr.Track(ctx, topic, e); err != nil {
			fmt.Fprintln(os.Stderr, "track:", err)
			return 1
		}
		own = append(own, e)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var st childState
		st.Own = own
		st.List, err = tr.List(r.Context(), topic)
		if err != nil {
			st.Err = err.Error()
		}
		mu.Lock()
		for _, e := range watchState {
			st.Watch = append(st.Watch, e)
		}
		mu.Unlock()
		presence.Sort(st.Watch)
		_ = json.NewEncoder(rw).Encode(st)
	})}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("READY %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it (or dies)
	_ = srv.Close()
	return 0
}

type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	state childState // at start: its own entries
}

func startChild(t *testing.T, name, redisAddr, topic string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name, "PRESENCE_ADDR="+redisAddr, "PRESENCE_TOPIC="+topic)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{name: name, cmd: cmd, stdin: stdin}
	t.Cleanup(func() { c.kill() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(s), "READY ")
		if !ok {
			t.Fatalf("child %s: %q instead of READY", name, s)
		}
		c.addr = addr
	case <-time.After(30 * time.Second):
		t.Fatalf("child %s did not start", name)
	}
	c.state = c.get(t)
	if len(c.state.Own) != childEntries {
		t.Fatalf("child %s tracks %d entries", name, len(c.state.Own))
	}
	return c
}

// kill stops the child with SIGKILL: no goodbye.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	}
}

func (c *child) get(t *testing.T) childState {
	t.Helper()
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get("http://" + c.addr + "/state")
	if err != nil {
		t.Fatalf("child %s: %v", c.name, err)
	}
	defer resp.Body.Close()
	var st childState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("child %s: %v", c.name, err)
	}
	return st
}

func refSet(ls ...[]presence.Entry) map[string]presence.Entry {
	m := make(map[string]presence.Entry)
	for _, l := range ls {
		for _, e := range l {
			m[e.Ref] = e
		}
	}
	return m
}

// converge polls the live children until each one's List and Watch state
// equal want, within bound. Meanwhile every List must have each Ref once,
// contain every entry of keep (nobody else vanishes) and none of ghosts.
// It returns the time it took.
func converge(t *testing.T, what string, live []*child, want, keep, ghosts map[string]presence.Entry, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		done := true
		for _, c := range live {
			st := c.get(t)
			if st.Err != "" {
				t.Fatalf("%s: child %s: List: %s", what, c.name, st.Err)
			}
			for _, l := range [][]presence.Entry{st.List, st.Watch} {
				seen := make(map[string]bool, len(l))
				for _, e := range l {
					if seen[e.Ref] {
						t.Fatalf("%s: child %s: duplicate Ref %s", what, c.name, e.Ref)
					}
					seen[e.Ref] = true
					if _, ok := ghosts[e.Ref]; ok {
						t.Fatalf("%s: child %s: ghost %+v (an entry of a killed process)", what, c.name, e)
					}
				}
				for ref, e := range keep {
					if !seen[ref] {
						t.Fatalf("%s: child %s: live entry %+v is missing", what, c.name, e)
					}
				}
				if len(l) != len(want) {
					done = false
					continue
				}
				for _, e := range l {
					if w, ok := want[e.Ref]; !ok || !presence.Equal(w, e) {
						done = false
					}
				}
			}
		}
		if done {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("%s: the children do not agree within %v", what, bound)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProcesses: three processes share redis-server, 100 entries each (20
// keys shared by all three). Their Lists and Watches agree; kill -9 of one
// removes exactly its entries from the others within the bound; a new
// process in its place brings no ghosts and no duplicates; a Redis restart
// (data lost) is rebuilt without any entry going missing meanwhile.
// -kills=N repeats the kill and restart N times (default 1).
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := redisserver.Start(t)
	topic := fmt.Sprintf("room-%016x", rand.Uint64())
	var children []*child
	for i := range 3 {
		children = append(children, startChild(t, "p"+strconv.Itoa(i), srv.Addr(), topic))
	}
	owns := func(cs []*child) map[string]presence.Entry {
		var ls [][]presence.Entry
		for _, c := range cs {
			ls = append(ls, c.state.Own)
		}
		return refSet(ls...)
	}
	all := owns(children)
	if len(all) != 3*childEntries {
		t.Fatalf("%d distinct refs", len(all))
	}
	took := converge(t, "start", children, all, nil, nil, 10*time.Second)
	t.Logf("3 processes agree on %d entries %v after the last one started", len(all), took.Round(time.Millisecond))

	ghosts := make(map[string]presence.Entry)
	var worst time.Duration
	for round := range *kills {
		k := round % len(children)
		victim := children[k]
		others := slices.Delete(slices.Clone(children), k, k+1)
		victim.kill()
		keep := owns(others)
		took := converge(t, fmt.Sprintf("round %d: after kill -9 of %s", round, victim.name), others, keep, keep, ghosts, childBound+slack)
		worst = max(worst, took)
		t.Logf("round %d: kill -9 %s: its %d entries gone from the others after %v (bound %v)", round, victim.name, childEntries, took.Round(time.Millisecond), childBound)
		for _, e := range victim.state.Own {
			ghosts[e.Ref] = e
		}
		children[k] = startChild(t, victim.name, srv.Addr(), topic)
		all = owns(children)
		converge(t, fmt.Sprintf("round %d: after restarting %s", round, victim.name), children, all, keep, ghosts, 10*time.Second)
	}
	t.Logf("%d kill rounds, slowest removal %v (bound %v)", *kills, worst.Round(time.Millisecond), childBound)
	// After a sync interval or two, still no ghost anywhere.
	time.Sleep(2 * childSync)
	converge(t, "after the kill rounds", children, all, all, ghosts, time.Second)

	// Redis restart: data lost, rebuilt; nobody goes missing meanwhile.
	srv.Do("SET", "presence-test-sentinel", "1")
	srv.Kill()
	srv.Restart()
	if got := srv.Do("EXISTS", "presence-test-sentinel"); got != "0" {
		t.Fatalf("the restarted Redis kept its data (EXISTS sentinel = %s)", got)
	}
	took = converge(t, "after the Redis restart", children, all, all, ghosts, childBound+slack)
	// The store itself is rebuilt: a List read from Redis by a new instance.
	c := newClient(t, srv.Addr(), 3)
	tr := redis.New(c, redis.WithLogger(quietLogger()))
	defer tr.Close()
	deadline := time.Now().Add(childBound + slack)
	for {
		l, err := tr.List(t.Context(), topic)
		if err == nil && len(l) == len(all) && len(refSet(l)) == len(all) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the Redis restart, Redis has %d entries (err %v), want %d", len(l), err, len(all))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("Redis restart: lists agree after %v, without any entry missing meanwhile", took.Round(time.Millisecond))
}
