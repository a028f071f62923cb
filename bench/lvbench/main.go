// Command lvbench compares a liveview Hub with raw melody doing the same
// work, in one run on one machine, over loopback only:
//
//   - roundtrip: closed-loop click events whose handler renders a small
//     template and replies, with 1 and 50 concurrent connections (msg/s,
//     p50/p99 latency), and at 50 connections the server's CPU time
//     (user+system, from /proc) and heap allocations per event;
//   - fanout: one broadcast to 1,000 and 5,000 connections, the time until
//     each connection has it (p50/p99 of those times, and the last); lost
//     messages must be 0;
//   - once: the 50-connection round trip with a ref on every click, without
//     and with an event id (exactly-once events, the Hub's in-process
//     store): what dedupe costs per event, hub against hub;
//   - idle: server RSS growth per idle connection for 5,000 connections;
//   - fanout through Redis: two Hub instances sharing a redis-server (which
//     lvbench starts on a free loopback port), clients split between them,
//     the broadcast triggered on one; compared with raw melody's fan-out.
//
// It builds ./server, starts one server process per system and scenario,
// and prints a Markdown table. Every loop is bounded in count and time.
//
//	go run ./bench/lvbench          (make bench runs it)
//	go run ./bench/lvbench -quick   (smaller counts, for a smoke test)
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/echo-liveview/liveview/internal/procstat"
)

var (
	quick    = flag.Bool("quick", false, "smaller counts and shorter runs")
	duration = flag.Duration("duration", 5*time.Second, "length of each round-trip run")
	rounds   = flag.Int("rounds", 20, "broadcasts per fan-out run")
	heapProf = flag.String("heapprofile", "", "write the heap profile of each system with its idle connections to FILE.<system>")
	cpuProf  = flag.String("cpuprofile", "", "write a CPU profile of each server during the 50-connection round trip to FILE.<system>")
	only     = flag.String("only", "roundtrip,once,fanout,idle", "comma-separated scenarios to run")
	systems  = []string{"melody", "hub"}
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	raiseFileLimit()
	bin, err := buildServer()
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(filepath.Dir(bin))

	fanouts, idleN := []int{1000, 5000}, 5000
	if *quick {
		*duration, *rounds = time.Second, 5
		fanouts, idleN = []int{200}, 500
	}
	fmt.Printf("lvbench: %s, %d CPUs, GOMAXPROCS %d, %s per round-trip run, %d broadcasts per fan-out run\n\n",
		runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), *duration, *rounds)
	fmt.Println("| scenario | melody | hub | hub / melody |")
	fmt.Println("|---|---|---|---|")

	for _, conns := range []int{1, 50} {
		if !run("roundtrip") {
			break
		}
		res := map[string]roundtrip{}
		for _, sys := range systems {
			res[sys] = withServerPID(bin, sys, func(url string, pid int) roundtrip { return runRoundtrip(url, pid, conns, *duration) })
		}
		row(fmt.Sprintf("round trip, %d conn: msg/s", conns), res["melody"].rate, res["hub"].rate, "%.0f")
		row(fmt.Sprintf("round trip, %d conn: p50 µs", conns), us(res["melody"].p50), us(res["hub"].p50), "%.0f")
		row(fmt.Sprintf("round trip, %d conn: p99 µs", conns), us(res["melody"].p99), us(res["hub"].p99), "%.0f")
		if conns > 1 {
			row(fmt.Sprintf("round trip, %d conn: server CPU µs/event", conns), res["melody"].cpu, res["hub"].cpu, "%.2f")
			row(fmt.Sprintf("round trip, %d conn: server allocs/event", conns), res["melody"].allocs, res["hub"].allocs, "%.1f")
		}
	}
	if run("once") {
		// Exactly-once events: the same click with a ref (so the Hub also
		// answers {"ref": n}: two frames per event), without and with an
		// event id, on the Hub's default store (in process). A hub/hub
		// comparison: melody has no ids.
		res := map[string]roundtrip{}
		for _, mode := range []string{"ref", "id"} {
			res[mode] = withServerPID(bin, "hub", func(url string, pid int) roundtrip { return runRoundtripMode(url, pid, 50, *duration, mode) })
		}
		onceRow := func(name string, ref, id float64, format string) {
			fmt.Printf("| %s | "+format+" (ref, no id) | "+format+" (ref and id) | %.2fx |\n", name, ref, id, id/ref)
		}
		onceRow("exactly-once, 50 conn: msg/s", res["ref"].rate, res["id"].rate, "%.0f")
		onceRow("exactly-once, 50 conn: p50 µs", us(res["ref"].p50), us(res["id"].p50), "%.0f")
		onceRow("exactly-once, 50 conn: p99 µs", us(res["ref"].p99), us(res["id"].p99), "%.0f")
		onceRow("exactly-once, 50 conn: server CPU µs/event", res["ref"].cpu, res["id"].cpu, "%.2f")
		onceRow("exactly-once, 50 conn: server allocs/event", res["ref"].allocs, res["id"].allocs, "%.1f")
	}
	redisAddr, stopRedis := "", func() {}
	if run("fanout") {
		redisAddr, stopRedis = startRedis()
	} else {
		fanouts = nil
	}
	defer stopRedis()
	for _, n := range fanouts {
		res := map[string]fanout{}
		for _, sys := range systems {
			res[sys] = withServerPID(bin, sys, func(base string, pid int) fanout { return runFanout([]string{base}, n, *rounds, pid) })
		}
		if redisAddr != "" {
			res["redis"] = withHubs(bin, 2, redisAddr, func(bases []string) fanout { return runFanout(bases, n, *rounds) })
			res["redis3"] = withHubs(bin, 3, redisAddr, func(bases []string) fanout { return runFanout(bases, n, *rounds) })
		}
		row(fmt.Sprintf("fan-out to %d: p50 ms", n), ms(res["melody"].p50), ms(res["hub"].p50), "%.2f")
		row(fmt.Sprintf("fan-out to %d: p99 ms", n), ms(res["melody"].p99), ms(res["hub"].p99), "%.2f")
		row(fmt.Sprintf("fan-out to %d: last ms", n), ms(res["melody"].last), ms(res["hub"].last), "%.2f")
		fmt.Printf("| fan-out to %d: lost | %d | %d | |\n", n, res["melody"].lost, res["hub"].lost)
		row(fmt.Sprintf("fan-out to %d: server CPU µs per frame delivered", n), res["melody"].cpu, res["hub"].cpu, "%.2f")
		if r, ok := res["redis"]; ok {
			row(fmt.Sprintf("fan-out to %d via Redis, 2 hubs: p50 ms", n), ms(res["melody"].p50), ms(r.p50), "%.2f")
			row(fmt.Sprintf("fan-out to %d via Redis, 2 hubs: p99 ms", n), ms(res["melody"].p99), ms(r.p99), "%.2f")
			row(fmt.Sprintf("fan-out to %d via Redis, 2 hubs: last ms", n), ms(res["melody"].last), ms(r.last), "%.2f")
			fmt.Printf("| fan-out to %d via Redis, 2 hubs: lost | %d | %d | |\n", n, res["melody"].lost, r.lost)
		}
		if r, ok := res["redis3"]; ok {
			row(fmt.Sprintf("fan-out to %d via Redis, 3 hubs: p50 ms", n), ms(res["melody"].p50), ms(r.p50), "%.2f")
			row(fmt.Sprintf("fan-out to %d via Redis, 3 hubs: p99 ms", n), ms(res["melody"].p99), ms(r.p99), "%.2f")
			fmt.Printf("| fan-out to %d via Redis, 3 hubs: lost | %d | %d | |\n", n, res["melody"].lost, r.lost)
			// Against one Hub process without Redis: what spreading the
			// same connections over three instances costs or wins.
			fmt.Printf("| fan-out to %d, 3 hubs via Redis / 1 hub: p50, p99 | | | %.2fx, %.2fx |\n", n,
				ms(r.p50)/ms(res["hub"].p50), ms(r.p99)/ms(res["hub"].p99))
		}
	}
	if !run("idle") {
		return
	}
	res := map[string]idle{}
	for _, sys := range systems {
		res[sys] = withServerPID(bin, sys, func(url string, pid int) idle { return runIdle(url, pid, idleN) })
	}
	row(fmt.Sprintf("idle memory, %d conns: KB/conn (server RSS)", idleN), res["melody"].rss/1024, res["hub"].rss/1024, "%.1f")
	row(fmt.Sprintf("idle memory, %d conns: Go heap KB/conn", idleN), res["melody"].heap/1024, res["hub"].heap/1024, "%.1f")
	row(fmt.Sprintf("idle memory, %d conns: goroutine stacks KB/conn", idleN), res["melody"].stack/1024, res["hub"].stack/1024, "%.1f")
	row(fmt.Sprintf("idle memory after one event each, %d conns: KB/conn (server RSS)", idleN), res["melody"].rssUsed/1024, res["hub"].rssUsed/1024, "%.1f")
	row(fmt.Sprintf("idle memory after one event each, %d conns: goroutine stacks KB/conn", idleN), res["melody"].stackUsed/1024, res["hub"].stackUsed/1024, "%.1f")
}

// withHubs runs f with the base URLs of n Hub processes sharing the
// redis-server at redisAddr.
func withHubs[T any](bin string, n int, redisAddr string, f func(bases []string) T) T {
	var nest func(bases []string) T
	nest = func(bases []string) T {
		if len(bases) == n {
			return f(bases)
		}
		return withServer(bin, "hub", func(b string) T { return nest(append(bases, b)) }, "-redis", redisAddr)
	}
	return nest(nil)
}

// run reports whether the -only flag selects scenario.
func run(scenario string) bool {
	return slices.Contains(strings.Split(*only, ","), scenario)
}

func row(name string, melody, hub float64, format string) {
	ratio := "n/a"
	if melody > 0 {
		ratio = fmt.Sprintf("%.2fx", hub/melody)
	}
	fmt.Printf("| %s | "+format+" | "+format+" | %s |\n", name, melody, hub, ratio)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit, for this process and
// the servers it starts.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func buildServer() (string, error) {
	dir, err := os.MkdirTemp("", "lvbench")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "server")
	cmd := exec.Command("go", "build", "-o", bin, "./bench/server")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building ./bench/server (run lvbench from the repository root): %w", err)
	}
	return bin, nil
}

func withServer[T any](bin, sys string, f func(base string) T, args ...string) T {
	return withServerPID(bin, sys, func(base string, _ int) T { return f(base) }, args...)
}

// withServerPID starts one server process, runs f against it and stops it.
func withServerPID[T any](bin, sys string, f func(base string, pid int) T, args ...string) T {
	cmd := exec.Command(bin, append([]string{"-mode", sys, "-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(stderr)
	addr := ""
	for lines.Scan() {
		if a, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		log.Fatalf("%s server did not start", sys)
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	return f("127.0.0.1"+addr[strings.LastIndex(addr, ":"):], cmd.Process.Pid)
}

func dial(base string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	ws, _, err := d.Dial("ws://"+base+"/ws/liveview/bench/", nil)
	return ws, err
}

// dialMany opens n connections, 64 at a time.
func dialMany(base string, n int) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, err := dial(base)
			if err != nil {
				failed.Add(1)
				return
			}
			conns[i] = ws
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		log.Fatalf("%d of %d connections failed", f, n)
	}
	return conns
}

type roundtrip struct {
	rate     float64
	p50, p99 time.Duration
	cpu      float64 // server CPU time per event, µs
	allocs   float64 // server heap allocations per event
}

// runRoundtrip drives conns closed loops of click -> rendered reply and
// measures the server process's CPU time and heap allocations over them.
func runRoundtrip(base string, pid, conns int, d time.Duration) roundtrip {
	return runRoundtripMode(base, pid, conns, d, "")
}

// runRoundtripMode is runRoundtrip whose clicks carry a ref (mode "ref")
// or a ref and an event id unique to the run (mode "id"), as the bundled
// client's do: a loop then waits for the {"ref": n} answer too.
func runRoundtripMode(base string, pid, conns int, d time.Duration, mode string) roundtrip {
	wss := dialMany(base, conns)
	defer closeAll(wss)
	if *cpuProf != "" && conns > 1 {
		go saveProfile(base, fmt.Sprintf("/cpu?seconds=%d", max(int(d.Seconds())-1, 1)), fmt.Sprintf("%s.%d", *cpuProf, pid))
	}
	cpu0, mallocs0 := cpuTime(pid), mallocs(base)
	var (
		mu   sync.Mutex
		lats []time.Duration
		wg   sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	for i, ws := range wss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			for n := 0; time.Now().Before(deadline); n++ {
				extra := ""
				switch mode {
				case "ref":
					extra = fmt.Sprintf(`,"ref":%d`, n+1)
				case "id":
					extra = fmt.Sprintf(`,"ref":%d,"id":"p%dc%d.%d"`, n+1, pid, i, n+1)
				}
				msg := fmt.Sprintf(`{"function":"click","data":{"id":"%d","count":"%d"},"form":{"name":"Ada"}%s,"lang":"en","room":"bench"}`, i, n, extra)
				t0 := time.Now()
				_ = ws.SetWriteDeadline(t0.Add(10 * time.Second))
				_ = ws.SetReadDeadline(t0.Add(10 * time.Second))
				if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
					log.Fatalf("write: %v", err)
				}
				if _, reply, err := ws.ReadMessage(); err != nil || !bytes.Contains(reply, []byte("clicked")) {
					log.Fatalf("reply %q: %v", reply, err)
				}
				if mode != "" {
					want := fmt.Appendf(nil, `{"ref":%d}`, n+1) // the answer, not "once": each id is new
					if _, reply, err := ws.ReadMessage(); err != nil || !bytes.Equal(reply, want) {
						log.Fatalf("answer %q, want %s: %v", reply, want, err)
					}
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cpu, allocs := cpuTime(pid)-cpu0, mallocs(base)-mallocs0-1 // the second /mallocs request
	slices.Sort(lats)
	n := float64(len(lats))
	return roundtrip{rate: n / d.Seconds(), p50: pct(lats, 50), p99: pct(lats, 99),
		cpu: us(cpu) / n, allocs: float64(allocs) / n}
}

// cpuTime reads the user+system CPU time of process pid from
// /proc/pid/stat (fields 14 and 15, in clock ticks of 1/100 s).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		log.Fatalf("reading CPU time (Linux only): %v", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// mallocs asks the server how many heap allocations it has made.
func mallocs(base string) uint64 {
	resp, err := http.Get("http://" + base + "/mallocs")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		log.Fatalf("/mallocs: %q: %v", b, err)
	}
	return n
}

type fanout struct {
	p50, p99, last time.Duration
	lost           int
	cpu            float64 // server CPU µs per frame delivered, when the pids were given
}

// runFanout connects n clients, spread over the servers at bases, and
// broadcasts rounds times through the first server, one broadcast at a
// time; for each it records when every client had it.
func runFanout(bases []string, n, rounds int, pids ...int) fanout {
	var wss []*websocket.Conn
	for i, base := range bases {
		wss = append(wss, dialMany(base, n/len(bases)+boolInt(i < n%len(bases)))...)
	}
	defer closeAll(wss)
	var cpu0 time.Duration
	for _, pid := range pids {
		cpu0 += cpuTime(pid)
	}
	var (
		all  []time.Duration
		last time.Duration
		lost int
	)
	for r := range rounds {
		body := fmt.Sprintf(`<p>news %d</p>`, r)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			lats = make([]time.Duration, 0, n)
		)
		start := time.Now()
		for _, ws := range wss {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = ws.SetReadDeadline(start.Add(10 * time.Second))
				_, msg, err := ws.ReadMessage()
				mu.Lock()
				defer mu.Unlock()
				if err != nil || !bytes.Contains(msg, []byte(body)) {
					lost++
					return
				}
				lats = append(lats, time.Since(start))
			}()
		}
		if err := post(bases[0], "/broadcast", body); err != nil {
			log.Fatal(err)
		}
		wg.Wait()
		slices.Sort(lats)
		if len(lats) > 0 {
			last = max(last, lats[len(lats)-1])
		}
		all = append(all, lats...)
		if lost > 0 {
			break // the connections are out of step now
		}
	}
	slices.Sort(all)
	f := fanout{p50: pct(all, 50), p99: pct(all, 99), last: last, lost: lost}
	if len(pids) > 0 && len(all) > 0 {
		var cpu time.Duration
		for _, pid := range pids {
			cpu += cpuTime(pid)
		}
		f.cpu = us(cpu-cpu0) / float64(len(all))
	}
	return f
}

// idle is the server's memory growth per idle connection, in bytes: its
// RSS, and the part of it that is Go heap in use and goroutine stacks; then
// RSS and stacks again once every connection has sent one event and read
// its answer (a handler's work leaves a connection's read goroutine with a
// bigger stack, in both systems).
type idle struct{ rss, heap, stack, rssUsed, stackUsed float64 }

// runIdle measures the server's memory growth per idle connection.
func runIdle(base string, pid, n int) idle {
	// Warm up the server's paths first, so the baseline includes them.
	warm := dialMany(base, 50)
	closeAll(warm)
	time.Sleep(500 * time.Millisecond)
	before := rss(base, pid)
	heap0, stack0 := memstats(base)
	wss := dialMany(base, n)
	defer closeAll(wss)
	time.Sleep(time.Second) // every server goroutine settles into its idle state
	after := rss(base, pid)
	heap1, stack1 := memstats(base)
	if *heapProf != "" {
		saveHeap(base, fmt.Sprintf("%s.%d", *heapProf, pid))
	}
	for i, ws := range wss {
		msg := fmt.Sprintf(`{"function":"click","data":{"id":"%d","count":"1"},"form":{"name":"Ada"},"lang":"en","room":"bench"}`, i)
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			log.Fatalf("write: %v", err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			log.Fatalf("read: %v", err)
		}
	}
	time.Sleep(time.Second)
	used := rss(base, pid)
	_, stack2 := memstats(base)
	per := func(a, b int64) float64 { return float64(b-a) / float64(n) }
	return idle{rss: per(before, after), heap: per(heap0, heap1), stack: per(stack0, stack1),
		rssUsed: per(before, used), stackUsed: per(stack0, stack2)}
}

// memstats asks the server for its Go heap in use and goroutine stacks.
func memstats(base string) (heap, stack int64) {
	resp, err := http.Get("http://" + base + "/memstats")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if _, err := fmt.Sscan(string(b), &heap, &stack); err != nil {
		log.Fatalf("/memstats: %q: %v", b, err)
	}
	return heap, stack
}

// rss asks the server to collect garbage and return it to the OS, then reads
// its resident set size.
func rss(base string, pid int) int64 {
	if err := post(base, "/gc", ""); err != nil {
		log.Fatal(err)
	}
	n, err := procstat.RSS(pid)
	if err != nil {
		log.Fatalf("reading RSS (Linux only): %v", err)
	}
	return n
}

func post(base, path, body string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+base+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return errors.New(path + ": " + resp.Status + ": " + string(b))
	}
	return nil
}

func closeAll(wss []*websocket.Conn) {
	for _, ws := range wss {
		if ws != nil {
			ws.Close()
		}
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// startRedis starts redis-server on a free loopback port without
// persistence. Without redis-server it says so and the Redis rows are left
// out.
func startRedis() (addr string, stop func()) {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		log.Printf("lvbench: redis-server not found, skipping the Redis fan-out (scripts/install-deps.sh installs it)")
		return "", func() {}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "lvbench-redis")
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 16)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return addr, stop
			}
		}
	}
	stop()
	log.Fatal("redis-server did not start")
	return "", nil
}

// saveHeap stores the server's heap profile in file.
func saveHeap(base, file string) { saveProfile(base, "/heap", file) }

// saveProfile stores the profile the server answers at path in file.
func saveProfile(base, path, file string) {
	resp, err := http.Get("http://" + base + path)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		log.Fatal(err)
	}
	log.Printf("lvbench: profile in %s", file)
}
