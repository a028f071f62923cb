// Package e2e tests the example applications end to end, as a person would:
// it builds each example with `go build`, runs the binary on a free loopback
// port, and clicks and types in a real headless Chromium driven by chromedp.
//
// It is a module of its own so that chromedp never enters the library's
// module graph, and it mostly does not import the library: it sees what a
// user of an example sees. The exceptions (a replace directive points at the
// parent module) are the standard-library-only test helper
// internal/redisserver, which starts the redis-server that multi-instance
// tests share, and the drain tests (drain_test.go), which run two Hubs in
// the test binary behind a proxy to watch what reaches the second one.
//
// One browser serves the whole test binary (see [Main]); each [NewTab] opens a
// tab in a fresh browser context, so tests share no cookies or storage.
//
// When Chromium (or another tool named with [RequireBinary]) is missing, a
// test skips locally but fails when the CI environment variable is set: a
// green CI means every test ran.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

const (
	// TabTimeout bounds everything one tab does in a test.
	TabTimeout = 30 * time.Second
	// WaitTimeout bounds one [WaitJS].
	WaitTimeout = 10 * time.Second
	// appStartTimeout bounds the time an example takes to listen.
	appStartTimeout = 30 * time.Second
	// buildTimeout bounds `go build` of one example.
	buildTimeout = 5 * time.Minute
)

var (
	repoRoot string // the library's repository: the parent of this module
	workDir  string // temporary files of this test binary

	browserCtx context.Context // root chromedp context, nil without a browser
	browserErr error           // why browserCtx is nil
	chromeOut  syncBuffer      // Chromium's own output, shown when it fails

	builds sync.Map // package path -> *build
)

// errNoChromium marks a missing browser, which skips locally.
var errNoChromium = errors.New("chromium not found: install Debian's chromium package (scripts/install-deps.sh does)")

// Main runs the tests of a test binary around one shared headless Chromium.
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(e2e.Main(m)) }
func Main(m *testing.M) int {
	var err error
	if workDir, err = os.MkdirTemp("", "liveview-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(workDir)

	if repoRoot, err = findRepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}

	stop := startBrowser()
	code := m.Run()
	stop()
	return code
}

// findRepoRoot returns the parent of this module's folder (go test runs in
// the package folder), checking that it holds the library's go.mod.
func findRepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.Contains(mod, []byte("module github.com/echo-liveview/liveview\n")) {
		return "", fmt.Errorf("%s is not the liveview repository (run the tests from the e2e folder)", root)
	}
	return root, nil
}

// chromiumPath finds Debian's Chromium.
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// startBrowser starts the shared Chromium and returns what stops it. On
// failure it sets browserErr, which [NewTab] reports.
func startBrowser() (stop func()) {
	path := chromiumPath()
	if path == "" {
		browserErr = errNoChromium
		return func() {}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // root in containers and CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(workDir, "chromium-profile")),
		chromedp.CombinedOutput(&chromeOut),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Run starts the browser; it must not get a timeout, which
	// would end the browser with it (chromedp bounds the start itself).
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		cancelAlloc()
		browserErr = fmt.Errorf("starting %s: %w\n%s", path, err, chromeOut.String())
		return func() {}
	}
	browserCtx = ctx
	return func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelAlloc()
	}
}

// SkipOrFail skips the test, or fails it when the CI environment variable
// is set, where everything must run.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, so this cannot skip: "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireBinary returns the path of the program name from PATH; without it
// the test skips locally and fails under CI.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(t, "%s not found in PATH (scripts/install-deps.sh installs it)", name)
	}
	return p
}

// NewTab opens a tab of the shared browser in a new browser context (its own
// cookies and storage) and returns its context, which ends after
// [TabTimeout]. The tab closes when the test ends.
func NewTab(t testing.TB) context.Context {
	t.Helper()
	return NewTabTimeout(t, TabTimeout)
}

// NewTabTimeout is [NewTab] with a context that ends after timeout, for the
// few tests that need a tab for longer than [TabTimeout].
func NewTabTimeout(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	browserExec := browserExecutor(t)
	setupCtx, cancelSetup := context.WithTimeout(browserExec, TabTimeout)
	defer cancelSetup()
	contextID, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(setupCtx)
	if err != nil {
		t.Fatalf("creating a browser context: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(browserExec, 5*time.Second)
		defer cancel()
		_ = target.DisposeBrowserContext(contextID).Do(ctx)
	})
	return openTab(t, setupCtx, contextID, timeout)
}

// SameUserTab opens another tab in the browser context of tab (a context
// from [NewTab]): it shares tab's cookies and storage, as a second tab of
// the same person does. Its context ends after [TabTimeout]; it closes
// when the test ends, or earlier with [CloseTab].
func SameUserTab(t testing.TB, tab context.Context) context.Context {
	t.Helper()
	browserExec := browserExecutor(t)
	setupCtx, cancelSetup := context.WithTimeout(browserExec, TabTimeout)
	defer cancelSetup()
	c := chromedp.FromContext(tab)
	if c == nil || c.Target == nil {
		t.Fatal("SameUserTab: not a tab's context")
	}
	info, err := target.GetTargetInfo().WithTargetID(c.Target.TargetID).Do(setupCtx)
	if err != nil {
		t.Fatalf("SameUserTab: the tab's browser context: %v", err)
	}
	return openTab(t, setupCtx, info.BrowserContextID, TabTimeout)
}

// CloseTab closes the tab (a context from [NewTab] or [SameUserTab]) now,
// as a person closing it does: its page unloads and its WebSockets close.
func CloseTab(t testing.TB, tab context.Context) {
	t.Helper()
	if err := chromedp.Cancel(tab); err != nil {
		t.Fatalf("closing the tab: %v", err)
	}
}

// browserExecutor returns a context that runs commands on the shared
// browser itself (not on a tab), or ends the test without a browser.
func browserExecutor(t testing.TB) context.Context {
	t.Helper()
	switch {
	case errors.Is(browserErr, errNoChromium):
		SkipOrFail(t, "%v", browserErr)
	case browserErr != nil:
		t.Fatalf("no browser: %v", browserErr)
	case browserCtx == nil:
		t.Fatal("no browser: call e2e.Main from TestMain")
	}
	return cdp.WithExecutor(browserCtx, chromedp.FromContext(browserCtx).Browser)
}

// openTab opens a windowed tab in the browser context contextID and
// attaches to it. chromedp.WithNewBrowserContext would open the tab
// without a window, which Chromium refuses in a context that has none ("no
// browser is open"): the caller makes the context and openTab a windowed
// tab in it.
func openTab(t testing.TB, setupCtx context.Context, contextID cdp.BrowserContextID, timeout time.Duration) context.Context {
	t.Helper()
	targetID, err := target.CreateTarget("about:blank").
		WithBrowserContextID(contextID).
		WithNewWindow(true).
		Do(setupCtx)
	if err != nil {
		t.Fatalf("opening a tab: %v", err)
	}

	tabCtx, closeTab := chromedp.NewContext(browserCtx, chromedp.WithTargetID(targetID))
	ctx, cancel := context.WithTimeout(tabCtx, timeout)
	t.Cleanup(func() {
		cancel()
		closeTab() // closes the tab and waits
	})
	if err := chromedp.Run(ctx); err != nil { // attaches to the tab
		t.Fatalf("attaching to the tab: %v", err)
	}
	return ctx
}

// Run runs chromedp actions in the tab; on error it fails the test, naming
// what it was doing.
func Run(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// WaitJS waits until the JavaScript expression is truthy in the tab, for at
// most [WaitTimeout]. It polls on a timer, not on animation frames, which a
// tab in the background does not get.
func WaitJS(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	err := chromedp.Run(ctx, chromedp.Poll(expr, nil,
		chromedp.WithPollingInterval(20*time.Millisecond),
		chromedp.WithPollingTimeout(WaitTimeout)))
	if err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// EvalJS evaluates the JavaScript expression in the tab into a T.
func EvalJS[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	var v T
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &v)); err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// JSErrors collects what a page reports as going wrong: uncaught exceptions,
// console.error and console.assert calls, and error entries of the browser's
// log (a script that fails to load, a WebSocket that cannot connect).
type JSErrors struct {
	mu   sync.Mutex
	list []string
}

// CaptureJSErrors starts collecting the errors of the tab. Call it before
// navigating.
func CaptureJSErrors(ctx context.Context) *JSErrors {
	e := &JSErrors{}
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			e.add(fmt.Sprintf("exception at %s:%d:%d: %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.APITypeError && ev.Type != runtime.APITypeAssert {
				return
			}
			args := make([]string, 0, len(ev.Args))
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			e.add(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		case *log.EventEntryAdded:
			en := ev.Entry
			if en.Level != log.LevelError || strings.HasSuffix(en.URL, "/favicon.ico") {
				return
			}
			e.add(fmt.Sprintf("browser log (%s): %s %s", en.Source, en.Text, en.URL))
		}
	})
	return e
}

func (e *JSErrors) add(s string) {
	e.mu.Lock()
	e.list = append(e.list, s)
	e.mu.Unlock()
}

// All returns the errors seen so far.
func (e *JSErrors) All() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.list...)
}

// AssertNone fails the test for each error seen so far.
func (e *JSErrors) AssertNone(t testing.TB) {
	t.Helper()
	for _, s := range e.All() {
		t.Errorf("page error: %s", s)
	}
}

// build is one `go build` of an example, shared by the tests of the binary.
type build struct {
	once sync.Once
	path string
	err  error
}

// buildApp builds the main package pkg (a path relative to the repository,
// such as "./examples/demo") once per test binary. Under -race the example
// is built with -race too, and its races fail the test.
func buildApp(t testing.TB, pkg string) string {
	t.Helper()
	dir := filepath.Join(repoRoot, filepath.FromSlash(pkg))
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("%s does not exist (yet) in %s: nothing to test", pkg, repoRoot)
	}
	v, _ := builds.LoadOrStore(pkg, &build{})
	b := v.(*build)
	b.once.Do(func() {
		name := strings.Trim(strings.NewReplacer("/", "_", ".", "_").Replace(pkg), "_")
		b.path = filepath.Join(workDir, "bin", name)
		args := []string{"build", "-o", b.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, pkg)
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// StartApp builds the example pkg (e.g. "./examples/demo"), runs it from the
// repository root with `-addr 127.0.0.1:PORT` on a free port plus args, waits
// until it accepts connections and returns its base URL, such as
// "http://127.0.0.1:41234". The app and everything it started are stopped
// when the test ends; its output is shown if the test failed.
func StartApp(t testing.TB, pkg string, args ...string) (baseURL string) {
	t.Helper()
	return Start(t, pkg, args...).URL
}

// App is a running example that a test may stop and start again on the
// same address, e.g. to see the browser reconnect.
type App struct {
	// URL is the app's base URL, such as "http://127.0.0.1:41234"; it stays
	// the same across restarts.
	URL string

	t    testing.TB
	pkg  string
	bin  string
	addr string
	args []string
	out  *syncBuffer

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Start is StartApp returning the [App], for tests that stop or restart it.
func Start(t testing.TB, pkg string, args ...string) *App {
	t.Helper()
	a := &App{t: t, pkg: pkg, bin: buildApp(t, pkg), addr: freeAddr(t), args: args, out: &syncBuffer{}}
	a.URL = "http://" + a.addr
	t.Cleanup(func() {
		a.Stop()
		if s := a.out.String(); strings.Contains(s, "WARNING: DATA RACE") {
			t.Errorf("%s had a data race:\n%s", pkg, s)
		} else if t.Failed() {
			t.Logf("output of %s (%v):\n%s", pkg, a.waitErr, s)
		}
	})
	a.Restart()
	return a
}

// Restart starts the app again (after Stop or Kill) on the same address and
// waits until it accepts connections.
func (a *App) Restart() {
	t := a.t
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd := exec.Command(a.bin, append([]string{"-addr", a.addr}, a.args...)...)
	cmd.Dir = repoRoot
	cmd.Stdout = a.out
	cmd.Stderr = a.out
	cmd.SysProcAttr = appProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", a.pkg, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		a.mu.Lock()
		a.waitErr = err
		a.mu.Unlock()
		close(exited)
	}()
	a.cmd, a.exited = cmd, exited

	deadline := time.Now().Add(appStartTimeout)
	for {
		conn, err := net.DialTimeout("tcp", a.addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before listening on %s", a.pkg, a.addr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within %v", a.pkg, a.addr, appStartTimeout)
		}
	}
}

// Stop ends the app gracefully (SIGTERM: it closes its WebSockets with 1012,
// service restart) and waits for it. Stopping a stopped app does nothing.
func (a *App) Stop() { a.end(false) }

// Kill ends the app abruptly (SIGKILL: its sockets just drop) and waits.
func (a *App) Kill() { a.end(true) }

func (a *App) end(kill bool) {
	a.mu.Lock()
	cmd, exited := a.cmd, a.exited
	a.cmd = nil
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	if kill {
		killGroup(cmd.Process, exited)
	} else {
		stopGroup(cmd.Process, exited)
	}
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

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
