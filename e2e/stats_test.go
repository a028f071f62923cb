package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
)

// TestStatsPage opens examples/chat -metrics's stats page (Hub.StatsHandler,
// itself a LiveView) and sees it follow the chat without a reload: two
// users join, the connection count and the room's members go up, then one
// leaves and they go down; the Prometheus text at /metrics agrees.
func TestStatsPage(t *testing.T) {
	base := StartApp(t, chat, "-metrics")
	ctx := NewTab(t)
	jsErrs := CaptureJSErrors(ctx)
	Run(t, ctx, "open the stats page", chromedp.Navigate(base+"/debug/liveview"))
	WaitJS(t, ctx, "the stats page's socket", `document.getElementById("stat-connections") !== null && document.getElementById("stat-connections").textContent === "0"`)
	// A marker a reload would lose.
	EvalJS[bool](t, ctx, `(window.statsMark = "loaded", true)`)

	a := joinChat(t, base, "ada", "red")
	joinChat(t, base, "bob", "red")
	WaitJS(t, ctx, "two connections shown", `document.getElementById("stat-connections").textContent === "2"`)
	WaitJS(t, ctx, "the room with its two members", `[...document.querySelectorAll("#stat-topics tr")].some(r => r.textContent.includes("chat-red") && r.textContent.includes("2"))`)
	if got := EvalJS[string](t, ctx, `location.pathname`); got != "/debug/liveview" {
		t.Errorf("the page navigated to %q", got)
	}
	_ = a.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(chatTimeout))
	WaitJS(t, ctx, "one connection shown", `document.getElementById("stat-connections").textContent === "1"`)
	if !EvalJS[bool](t, ctx, `window.statsMark === "loaded"`) {
		t.Error("the page was reloaded, not updated in place")
	}
	jsErrs.AssertNone(t)

	metrics := httpGet(t, base+"/metrics")
	for _, want := range []string{"liveview_connections 1\n", "liveview_connections_opened_total 2\n", `liveview_connections_closed_total{reason="client_close"} 1` + "\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	if !strings.Contains(httpGet(t, base+"/debug/liveview/json"), `"connections":1`) {
		t.Error("stats JSON does not say one connection")
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
