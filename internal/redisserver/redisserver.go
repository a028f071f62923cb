// Package redisserver starts a private redis-server for tests: on a free
// loopback port, with its own temporary directory, no persistence, stopped
// when the test ends. It uses only the standard library so that every module
// of the repository can import it (the pubsub/redis tests and the e2e
// tests).
//
// When redis-server is not installed, [Start] skips the test, or fails it
// when the CI environment variable is set: a green CI means every test ran.
// scripts/install-deps.sh installs Debian's redis-server.
package redisserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the time redis-server takes to accept connections;
// stopTimeout the time it takes to exit after SIGTERM (then it is killed).
const (
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second
)

// Server is one redis-server process. Its methods must be called from the
// test's goroutine (they may call t.Fatal).
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	addr string   // 127.0.0.1:port, the same across restarts
	args []string // extra arguments of redis-server (cluster mode)

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *bytes.Buffer
}

// Start starts a redis-server on a free loopback port and returns it. It is
// stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return startServer(t, lookPath(t, "redis-server"), nil)
}

// lookPath returns the path of a Redis program, or skips the test (fails
// it when CI is set) if it is not installed.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found in PATH (scripts/install-deps.sh installs it)"
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set, so this cannot skip: %s", msg)
		}
		t.Skip(msg)
	}
	return bin
}

// startServer starts a redis-server with extra arguments args on a free
// port, stopped when the test ends.
func startServer(t testing.TB, bin string, args []string) *Server {
	t.Helper()
	s := &Server{t: t, bin: bin, dir: t.TempDir(), args: args}
	t.Cleanup(s.Stop)
	var err error
	// The port was free when chosen, but another process may take it
	// before redis-server binds it: try a few ports.
	for range 3 {
		s.addr = freeAddr(t)
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatal(err)
	return nil
}

// Addr returns the server's address, "127.0.0.1:PORT". It does not change
// when the server is restarted.
func (s *Server) Addr() string { return s.addr }

// start runs redis-server and waits until it answers PING.
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.addr)
	out := &bytes.Buffer{}
	cmd := exec.Command(s.bin,
		"--bind", "127.0.0.1",
		"--port", port,
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "yes",
		"--daemonize", "no",
		"--loglevel", "warning",
	)
	cmd.Args = append(cmd.Args, s.args...)
	cmd.Dir = s.dir
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		if err := ping(s.addr); err == nil {
			return nil
		}
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("redis-server exited before answering on %s:\n%s", s.addr, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("redis-server did not answer on %s within %v", s.addr, startTimeout)
		}
	}
}

// Kill stops the server abruptly (SIGKILL), as a crash would, and waits
// until it has exited. Clients see their connections reset.
func (s *Server) Kill() {
	s.t.Helper()
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Pause stops the server process (SIGSTOP) without closing anything: it
// keeps its connections and accepts new ones but answers nothing, like a
// server behind a network that dropped every packet. Resume undoes it.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.t.Fatalf("redisserver: %v while the server is not running", sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("redisserver: %v: %v", sig, err)
	}
}

// Restart starts the server again on the same address after Kill (or
// Stop). It fails the test if the server is running.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		s.t.Fatal("redisserver: Restart while the server is running")
	}
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after a while) and waits
// until it has exited. It does nothing if the server is not running. Start
// registers it as a cleanup.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // in case it was paused
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Do sends one command to the server over a fresh connection and returns
// its reply as text: a status or bulk string as is, an integer in decimal,
// an array as its elements on separate lines. An error reply, or a server
// that does not answer within five seconds, fails the test.
func (s *Server) Do(args ...string) string {
	s.t.Helper()
	reply, err := do(s.addr, args...)
	if err != nil {
		s.t.Fatalf("redis %s: %v", strings.Join(args, " "), err)
	}
	return reply
}

// CommandCalls returns the number of calls of every command since the last
// CONFIG RESETSTAT, from INFO commandstats: {"publish": 3, ...}. The INFO
// call itself is counted by the server only after it has answered, so it is
// not in the result.
func (s *Server) CommandCalls() map[string]int {
	s.t.Helper()
	calls := make(map[string]int)
	for line := range strings.SplitSeq(s.Do("INFO", "commandstats"), "\n") {
		// cmdstat_publish:calls=3,usec=12,...
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(name, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		for field := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					s.t.Fatalf("INFO commandstats: bad line %q", line)
				}
				calls[name] = n
			}
		}
	}
	return calls
}

func ping(addr string) error {
	reply, err := do(addr, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("PING answered %q", reply)
	}
	return nil
}

// do runs one command in RESP2 over a new connection.
func do(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, max(n, 0))
		for range n {
			p, err := readReply(r)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
