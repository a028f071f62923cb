package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

const contactApp = "./examples/contact"

// text returns the JS expression of the trimmed text of selector.
func text(selector string) string {
	return `(document.querySelector(` + jsString(selector) + `)?.textContent ?? '').trim()`
}

// clearField empties the field matching selector.
func clearField(selector string) chromedp.Action {
	return chromedp.Evaluate(`document.querySelector(`+jsString(selector)+`).value = ''`, nil)
}

// jsString quotes s for JavaScript (selectors here hold no backslashes or
// quotes of their own kind).
func jsString(s string) string { return "'" + s + "'" }

// TestContactForm is the contact form with validation, in the browser: an
// invalid submission shows an error next to each bad field and keeps what
// was typed; fixing the fields and submitting again shows the thank you.
func TestContactForm(t *testing.T) {
	ctx := NewTab(t)
	base := StartApp(t, contactApp)
	jsErrors := CaptureJSErrors(ctx)

	Run(t, ctx, "opening "+base+"/", chromedp.Navigate(base+"/"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)

	// A name, a bad email, a message too short, a word for a number.
	Run(t, ctx, "filling the form badly",
		chromedp.SendKeys(`input[name="name"]`, "Ada", chromedp.ByQuery),
		chromedp.SendKeys(`input[name="email"]`, "ada-at-example", chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name="message"]`, "Hi", chromedp.ByQuery),
		clearField(`input[name="copies"]`),
		chromedp.SendKeys(`input[name="copies"]`, "two", chromedp.ByQuery),
		chromedp.Click(`button[data-liveview-function="submit_contact"]`, chromedp.ByQuery),
	)
	WaitJS(t, ctx, "the message error", text("#error-message")+` !== ''`)

	for sel, want := range map[string]string{
		"#error-name":    "",
		"#error-email":   "Enter a valid email address.",
		"#error-message": "Use at least 10 characters.",
		"#error-copies":  "Enter a whole number.",
		"#error-topic":   "",
	} {
		if got := EvalJS[string](t, ctx, text(sel)); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	// What the user typed is still there, including the value that did not
	// convert.
	for sel, want := range map[string]string{
		`input[name="name"]`:       "Ada",
		`input[name="email"]`:      "ada-at-example",
		`textarea[name="message"]`: "Hi",
		`input[name="copies"]`:     "two",
		`select[name="topic"]`:     "question",
	} {
		if got := EvalJS[string](t, ctx, `document.querySelector(`+jsString(sel)+`).value`); got != want {
			t.Errorf("%s value = %q, want %q", sel, got, want)
		}
	}

	// Blurring a field checks it alone (Django LiveView's real-time validation).
	Run(t, ctx, "clearing the name and leaving the field",
		clearField(`input[name="name"]`),
		chromedp.Focus(`input[name="name"]`, chromedp.ByQuery),
		chromedp.Focus(`textarea[name="message"]`, chromedp.ByQuery),
	)
	WaitJS(t, ctx, "the name error on blur", text("#error-name")+` === 'This field is required.'`)
	// The blur's event is answered when its loading state (aria-busy on the
	// field) ends; chromedp v0.15.1's SendKeys reads a node's attributes
	// without its lock, racing with that change: wait for it first.
	WaitJS(t, ctx, "the blur's loading state to end", `!document.querySelector('input[name=name]').hasAttribute('aria-busy')`)

	Run(t, ctx, "fixing the form and submitting",
		chromedp.SendKeys(`input[name="name"]`, "Ada", chromedp.ByQuery),
		clearField(`input[name="email"]`),
		chromedp.SendKeys(`input[name="email"]`, "ada@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name="message"]`, " there, a longer message.", chromedp.ByQuery),
		clearField(`input[name="copies"]`),
		chromedp.SendKeys(`input[name="copies"]`, "2", chromedp.ByQuery),
		chromedp.Click(`input[name="subscribe"]`, chromedp.ByQuery),
		chromedp.Click(`button[data-liveview-function="submit_contact"]`, chromedp.ByQuery),
	)
	WaitJS(t, ctx, "the thank you", `document.querySelector('#contact-container .success') !== null`)
	if got := EvalJS[string](t, ctx, text("#contact-container h2")); got != "Thank you, Ada!" {
		t.Errorf("success heading = %q", got)
	}
	if got := EvalJS[string](t, ctx, text("#contact-container p")); got != "We'll be in touch at ada@example.com." {
		t.Errorf("success text = %q", got)
	}
	jsErrors.AssertNone(t)
}
