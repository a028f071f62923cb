package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const demo = "./examples/demo"

// wsOpen is true once the client's WebSocket is connected.
const wsOpen = `window.myWebSocket instanceof WebSocket && window.myWebSocket.readyState === 1`

// socketURLJS is the URL of the page's WebSocket without the page secret
// the bundled client adds (?page= and 22 characters of base64url): a URL
// with a malformed secret, or none, keeps its query and fails the caller's
// comparison.
const socketURLJS = `myWebSocket.url.replace(/\?page=[A-Za-z0-9_-]{22}$/, "")`

// TestQuickStart is the Django LiveView quick start, done in the browser:
// type a name, click the button, and the greeting arrives over the WebSocket
// without a page load.
func TestQuickStart(t *testing.T) {
	ctx := NewTab(t)
	base := StartApp(t, demo)
	jsErrors := CaptureJSErrors(ctx)

	Run(t, ctx, "opening "+base+"/", chromedp.Navigate(base+"/"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)

	Run(t, ctx, "typing a name and clicking say_hello",
		chromedp.Evaluate(`window.__marker = 1`, nil),
		chromedp.SendKeys(`input[name="name"]`, "Ada", chromedp.ByQuery),
		chromedp.Click(`button[data-liveview-function="say_hello"]`, chromedp.ByQuery),
	)
	WaitJS(t, ctx, `#greeting to say "Hello, Ada!"`,
		`(document.querySelector('#greeting')?.textContent ?? '').includes('Hello, Ada!')`)

	if !EvalJS[bool](t, ctx, `window.__marker === 1`) {
		t.Error("the page reloaded: window.__marker is gone")
	}
	jsErrors.AssertNone(t)
}

// TestPerUserRooms opens /room as two users (two browser contexts, so two
// cookie jars): what one user's click publishes to their own room reaches
// that user only.
func TestPerUserRooms(t *testing.T) {
	alice, bob := NewTab(t), NewTab(t)
	base := StartApp(t, demo)
	aliceErrors, bobErrors := CaptureJSErrors(alice), CaptureJSErrors(bob)

	for _, tab := range []context.Context{alice, bob} {
		Run(t, tab, "opening "+base+"/room", chromedp.Navigate(base+"/room"))
		WaitJS(t, tab, "the WebSocket to open", wsOpen)
	}

	const items = `document.querySelectorAll('#notifications li').length`
	notify := func(tab context.Context, who string) {
		t.Helper()
		Run(t, tab, who+" clicking notify_me",
			chromedp.ActionFunc(func(ctx context.Context) error { return page.BringToFront().Do(ctx) }),
			chromedp.Click(`button[data-liveview-function="notify_me"]`, chromedp.ByQuery),
		)
	}

	notify(alice, "alice")
	WaitJS(t, alice, "alice's notification", items+` === 1`)

	// Bob's own notification is the marker: once it is there, alice's would
	// have arrived before it had it been sent to bob's room.
	notify(bob, "bob")
	WaitJS(t, bob, "bob's notification", items+` >= 1`)

	if n := EvalJS[int](t, alice, items); n != 1 {
		t.Errorf("alice has %d notifications, want 1 (her own)", n)
	}
	if n := EvalJS[int](t, bob, items); n != 1 {
		t.Errorf("bob has %d notifications, want 1 (his own): rooms leak between users", n)
	}
	aliceErrors.AssertNone(t)
	bobErrors.AssertNone(t)
}
