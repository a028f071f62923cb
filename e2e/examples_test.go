package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// screenshotsEnv names a folder: when set, TestExamplePages saves a
// screenshot of every page it opens there (NAME.png), to look at the
// examples without clicking through them by hand.
const screenshotsEnv = "LIVEVIEW_E2E_SCREENSHOTS"

// failedRequests collects what a tab's network log reports as going wrong:
// responses of 400 and more (the favicon.ico that [CaptureJSErrors] leaves
// out included) and requests that failed without being cancelled.
type failedRequests struct {
	mu   sync.Mutex
	list []string
}

func captureFailedRequests(ctx context.Context) *failedRequests {
	f := &failedRequests{}
	urls := sync.Map{} // request ID -> URL, for loading failures
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			urls.Store(ev.RequestID, ev.Request.URL)
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				f.add(fmt.Sprintf("%d %s", ev.Response.Status, ev.Response.URL))
			}
		case *network.EventLoadingFailed:
			if ev.Canceled {
				return
			}
			u, _ := urls.Load(ev.RequestID)
			f.add(fmt.Sprintf("failed (%s): %v", ev.ErrorText, u))
		}
	})
	return f
}

func (f *failedRequests) add(s string) {
	f.mu.Lock()
	f.list = append(f.list, s)
	f.mu.Unlock()
}

func (f *failedRequests) assertNone(t testing.TB) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.list {
		t.Errorf("request: %s", s)
	}
}

// examplePage is a tab on one example's pages, checking what a visitor
// would notice.
type examplePage struct {
	t        *testing.T
	ctx      context.Context
	base     string
	errs     *JSErrors
	requests *failedRequests
}

func openExample(t *testing.T, pkg string, args ...string) *examplePage {
	t.Helper()
	ctx := NewTab(t)
	base := StartApp(t, pkg, args...)
	p := &examplePage{t: t, ctx: ctx, base: base, errs: CaptureJSErrors(ctx), requests: captureFailedRequests(ctx)}
	Run(t, ctx, "setting the window size", chromedp.EmulateViewport(1000, 800))
	t.Cleanup(func() {
		p.errs.AssertNone(t)
		p.requests.assertNone(t)
	})
	return p
}

// open navigates to path and, for a liveview page, waits for its socket.
func (p *examplePage) open(path string, live bool) {
	p.t.Helper()
	Run(p.t, p.ctx, "opening "+path, chromedp.Navigate(p.base+path))
	if live {
		WaitJS(p.t, p.ctx, "the WebSocket to open", wsOpen)
	}
}

// checkLook checks that the page has a title, names an icon that loads,
// and, when styled, uses the examples' stylesheet and has a heading and a
// line saying what to try.
func (p *examplePage) checkLook(styled bool) {
	t := p.t
	t.Helper()
	if EvalJS[string](t, p.ctx, `document.title`) == "" {
		t.Error("the page has no title")
	}
	icon := EvalJS[string](t, p.ctx, `document.querySelector('link[rel~="icon"]')?.href ?? ''`)
	if styled && icon == "" {
		t.Error(`the page names no icon (<link rel="icon">)`)
	}
	if icon == "" {
		icon = p.base + "/favicon.ico" // what browsers ask for then
	}
	var got string
	Run(t, p.ctx, "fetching the icon", chromedp.Evaluate(
		`fetch(`+jsString(icon)+`).then((r) => r.status + " " + r.headers.get("content-type"))`, &got,
		func(ep *runtime.EvaluateParams) *runtime.EvaluateParams { return ep.WithAwaitPromise(true) }))
	if got != "200 image/svg+xml" {
		t.Errorf("icon %s: %s, want 200 image/svg+xml", icon, got)
	}
	if !styled {
		return
	}
	if !EvalJS[bool](t, p.ctx, `[...document.styleSheets].some((s) => (s.href ?? '').endsWith('/static/style.css') && s.cssRules.length > 0)`) {
		t.Error("the page does not use /static/style.css")
	}
	if EvalJS[string](t, p.ctx, text("h1")) == "" {
		t.Error("the page has no heading")
	}
	if EvalJS[string](t, p.ctx, text(".try")) == "" {
		t.Error(`the page does not say what to try (".try")`)
	}
}

// shot saves a screenshot of the page as name.png when $LIVEVIEW_E2E_SCREENSHOTS
// names a folder.
func (p *examplePage) shot(name string) {
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	p.t.Helper()
	var png []byte
	Run(p.t, p.ctx, "taking a screenshot", chromedp.FullScreenshot(&png, 100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// dark switches the tab to prefers-color-scheme: dark.
func (p *examplePage) dark() {
	p.t.Helper()
	Run(p.t, p.ctx, "emulating a dark color scheme", emulation.SetEmulatedMedia().
		WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}))
}

// TestExamplePages opens every page of every example, uses it a little,
// and fails on what a visitor would see going wrong: a console error, an
// exception, a request answered 404 (the favicon of issue 11) or failing.
// Each page has a title and an icon; those meant to be shown (all but
// clienttest's fixtures) use the examples' stylesheet and have a heading
// and a line saying what to try. The demo's index links every example.
func TestExamplePages(t *testing.T) {
	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		p := openExample(t, demo)
		p.open("/", true)
		p.checkLook(true)
		p.shot("demo-index")
		links := EvalJS[string](t, p.ctx, `[...document.querySelectorAll('a')].map((a) => a.href + ' ' + a.closest('li')?.textContent).join('\n')`)
		for _, want := range []string{"/room", "/streams", "examples/contact", "examples/multilang", "examples/chat", "examples/upload", "examples/clienttest"} {
			if !strings.Contains(links, want) {
				t.Errorf("the index does not link %s:\n%s", want, links)
			}
		}
		Run(t, p.ctx, "saying hello",
			chromedp.SendKeys(`input[name="name"]`, "Ada", chromedp.ByQuery),
			chromedp.Click(`button[data-liveview-function="say_hello"]`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the greeting", text("#greeting")+` === 'Hello, Ada!'`)
		p.shot("demo-index-hello")
		p.dark()
		p.shot("demo-index-dark")

		p.open("/room", true)
		p.checkLook(true)
		if id, shown := EvalJS[string](t, p.ctx, text("#user")), EvalJS[int](t, p.ctx, `document.querySelector('#user').clientWidth`); len(id) != 12 || shown <= 0 {
			t.Errorf("#user = %q (%d px wide), want the 12-character id, shown", id, shown)
		}
		Run(t, p.ctx, "notifying and announcing",
			chromedp.Click(`button[data-liveview-function="notify_me"]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="text"]`, "lunch at noon", chromedp.ByQuery),
			chromedp.Click(`button[data-liveview-function="announce"]`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the note and the announcement", `document.querySelectorAll('#notifications li, #announcements li').length === 2`)
		p.shot("demo-room-dark")
	})

	t.Run("contact", func(t *testing.T) {
		t.Parallel()
		p := openExample(t, contactApp)
		p.open("/", true)
		p.checkLook(true)
		p.shot("contact")
		Run(t, p.ctx, "submitting a bad form",
			chromedp.SendKeys(`input[name="email"]`, "ada-at-example", chromedp.ByQuery),
			chromedp.SendKeys(`textarea[name="message"]`, "Hi", chromedp.ByQuery),
			chromedp.Click(`button[data-liveview-function="submit_contact"]`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the errors", text("#error-message")+` !== '' && `+text("#error-name")+` !== ''`)
		if color := EvalJS[string](t, p.ctx, `getComputedStyle(document.querySelector('#error-email')).color`); color == EvalJS[string](t, p.ctx, `getComputedStyle(document.body).color`) {
			t.Errorf("errors are in the text's color %s, want them to stand out", color)
		}
		// The flash message, styled by the examples' stylesheet: over the
		// page, its kind's color on its edge.
		WaitJS(t, p.ctx, "the error message", `document.querySelector('#flash .liveview-flash-error') !== null`)
		if look := EvalJS[string](t, p.ctx, `(() => { const s = getComputedStyle(document.querySelector('.liveview-flash-error')); return getComputedStyle(document.querySelector('#flash')).position + " " + (s.borderLeftColor === s.borderTopColor) })()`); look != "fixed false" {
			t.Errorf("the flash message looks unstyled (%s)", look)
		}
		WaitJS(t, p.ctx, "the message's animation to end", `document.getAnimations().length === 0`)
		p.shot("contact-errors")
	})

	t.Run("multilang", func(t *testing.T) {
		t.Parallel()
		p := openExample(t, multilangApp)
		p.open("/", true)
		p.checkLook(true)
		Run(t, p.ctx, "switching to Spanish, showing the content and greeting",
			chromedp.Click(`#lang-es`, chromedp.ByQuery),
			chromedp.Click(`button[data-liveview-function="show_content"]`, chromedp.ByQuery),
			chromedp.SendKeys(`input[name="name"]`, "Ada", chromedp.ByQuery),
			chromedp.Click(`button[data-liveview-function="greet"]`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the Spanish answers", text("#content h2")+` === 'Bienvenido' && `+text("#greeting .hello")+` === '¡Hola, Ada!'`)
		p.shot("multilang-es")
	})

	t.Run("chat", func(t *testing.T) {
		t.Parallel()
		p := openExample(t, chat)
		p.open("/", false)
		p.checkLook(true)
		p.shot("chat-join")
		Run(t, p.ctx, "joining",
			chromedp.SetValue(`input[name="name"]`, "Ada", chromedp.ByQuery),
			chromedp.Submit(`input[name="name"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#composer`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the WebSocket to open", wsOpen)
		p.checkLook(true)
		Run(t, p.ctx, "sending a message and an announcement",
			chromedp.SendKeys(`#composer input[name="text"]`, "hello, lobby", chromedp.ByQuery),
			chromedp.Click(`#composer button`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the message", `document.querySelectorAll('#messages li').length === 1`)
		Run(t, p.ctx, "announcing",
			chromedp.SendKeys(`input[maxlength="200"]`, "the lobby is open", chromedp.ByQuery),
			chromedp.Click(`button[data-liveview-function="announce"]`, chromedp.ByQuery))
		WaitJS(t, p.ctx, "the announcement", `document.querySelectorAll('#announcements li').length === 1`)
		p.shot("chat-room")
	})

	t.Run("clienttest", func(t *testing.T) {
		t.Parallel()
		p := openExample(t, clienttest)
		for _, name := range []string{"attrs", "intersect", "history", "extras", "connection", "custompath", "frames", "wire"} {
			p.open("/p/"+name, true)
			p.checkLook(false)
			if name == "attrs" {
				p.shot("clienttest-attrs")
			}
		}
	})
}
