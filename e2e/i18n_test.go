package e2e

import (
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const multilangApp = "./examples/multilang"

// TestMultiLanguage switches <html lang> in the page and sees the same
// handlers answer in English, then Spanish, then English again, on one
// WebSocket: content, plural forms and validation messages.
func TestMultiLanguage(t *testing.T) {
	ctx := NewTab(t)
	base := StartApp(t, multilangApp)
	jsErrors := CaptureJSErrors(ctx)

	Run(t, ctx, "opening "+base+"/ as an English browser",
		network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": "en-US,en;q=0.9"}),
		chromedp.Navigate(base+"/"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	if lang := EvalJS[string](t, ctx, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("<html lang> = %q, want en (the browser's language)", lang)
	}

	show := func(what string) {
		t.Helper()
		Run(t, ctx, what, chromedp.Click(`button[data-liveview-function="show_content"]`, chromedp.ByQuery))
	}
	greet := func(what string) {
		t.Helper()
		Run(t, ctx, what, chromedp.Click(`button[data-liveview-function="greet"]`, chromedp.ByQuery))
	}

	show("showing the content in English")
	WaitJS(t, ctx, "English content", text("#content h2")+` === 'Welcome'`)
	if got := EvalJS[string](t, ctx, text("#content .message")+` + ' ' + `+text("#content .shown")); got != "This content is in your language. Shown 1 time on this page." {
		t.Errorf("English content: %q", got)
	}
	greet("greeting without a name, in English")
	WaitJS(t, ctx, "the English validation message", text("#greeting .error")+` === 'This field is required.'`)

	Run(t, ctx, "switching the page to Spanish", chromedp.Click(`#lang-es`, chromedp.ByQuery))
	if lang := EvalJS[string](t, ctx, `document.documentElement.lang`); lang != "es" {
		t.Fatalf("<html lang> = %q after the switch", lang)
	}
	show("showing the content in Spanish")
	WaitJS(t, ctx, "Spanish content", text("#content h2")+` === 'Bienvenido'`)
	if got := EvalJS[string](t, ctx, text("#content .message")+` + ' ' + `+text("#content .shown")); got != "Este contenido está en tu idioma. Mostrado 2 veces en esta página." {
		t.Errorf("Spanish content: %q", got)
	}
	greet("greeting without a name, in Spanish")
	WaitJS(t, ctx, "the Spanish validation message", text("#greeting .error")+` === 'Este campo es obligatorio.'`)
	Run(t, ctx, "typing a name and greeting in Spanish",
		chromedp.SendKeys(`input[name="name"]`, "Ada", chromedp.ByQuery),
		chromedp.Click(`button[data-liveview-function="greet"]`, chromedp.ByQuery),
	)
	WaitJS(t, ctx, "the Spanish greeting", text("#greeting .hello")+` === '¡Hola, Ada!'`)

	Run(t, ctx, "switching back to English", chromedp.Click(`#lang-en`, chromedp.ByQuery))
	greet("greeting in English")
	WaitJS(t, ctx, "the English greeting", text("#greeting .hello")+` === 'Hello, Ada!'`)
	show("showing the content in English again")
	WaitJS(t, ctx, "English content again", text("#content .shown")+` === 'Shown 3 times on this page.'`)
	jsErrors.AssertNone(t)
}

// TestMultiLanguageBrowserLanguage: a Spanish browser gets the page in
// Spanish (Accept-Language), and so do the answers to its events.
func TestMultiLanguageBrowserLanguage(t *testing.T) {
	ctx := NewTab(t)
	base := StartApp(t, multilangApp)
	jsErrors := CaptureJSErrors(ctx)

	Run(t, ctx, "opening "+base+"/ as a Spanish browser",
		network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": "es-ES,es;q=0.9"}),
		chromedp.Navigate(base+"/"))
	WaitJS(t, ctx, "the WebSocket to open", wsOpen)
	if lang := EvalJS[string](t, ctx, `document.documentElement.lang`); lang != "es" {
		t.Fatalf("<html lang> = %q, want es", lang)
	}
	if got := EvalJS[string](t, ctx, text(`button[data-liveview-function="show_content"]`)); got != "Mostrar contenido" {
		t.Errorf("button label = %q, want Spanish", got)
	}
	Run(t, ctx, "showing the content", chromedp.Click(`button[data-liveview-function="show_content"]`, chromedp.ByQuery))
	WaitJS(t, ctx, "Spanish content", text("#content h2")+` === 'Bienvenido'`)
	jsErrors.AssertNone(t)
}
