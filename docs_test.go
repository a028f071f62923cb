package liveview

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeRecipes checks that the README keeps the recipes of issue 11's
// trap 8 and a "Coming from Django LiveView" row for each trap.
func TestReadmeRecipes(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	section := func(heading string) string {
		i := strings.Index(readme, "\n"+heading+"\n")
		if i < 0 {
			t.Fatalf("README has no %q section", heading)
		}
		rest := readme[i+len(heading)+2:]
		if j := strings.Index(rest, "\n## "); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	tests := []struct {
		heading string
		want    []string
	}{
		{"## Coming from Django LiveView", []string{"\n| 1 |", "\n| 2 |", "\n| 3 |", "\n| 4 |", "\n| 5 |", "\n| 6 |", "\n| 7 |", "\n| 8 |", "\n| 9 |", `c.Data("comment_id")`, "liveview.Append(", "WithLocale", "hub.Group(", "Content:", "did_you_mean"}},
		{"## Sessions and JWT", []string{"*jwt.Token", "OnConnect", "sessions.NewCookieStore", "cookie:token", "liveview.Group("}},
		{"## Layouts", []string{`{{block "content" .}}`, "base.Clone()", "liveview.NewTemplates("}},
		{"### JS commands", []string{"toggle:#menu", "show:#menu li:first-child", "[hidden]", "set-attribute(aria-expanded=true)", "dispatch(chart:refresh)", "c.JS("}},
		{"### Keyboard names", []string{"`esc`", "`page_up`", "ctrl+shift+p", "`Escape` (= `esc`)", "may never match"}},
		{"## Shutdown", []string{"signal.NotifyContext", "e.Shutdown(shutdown)", "hub.Shutdown(shutdown)", "broker.Close()"}},
		{"## Middleware and groups", []string{"admin.Handle(\"ban_user\", banUser, auditLog)"}},
		{"## Flash, redirects and expired sessions", []string{"data-liveview-flash", `c.Flash("error", "")`, "c.Redirect(", "ErrUnsafeURL", "liveview.ErrSessionExpired", "4401", "expiredReloadMs"}},
		{"## Forms", []string{"<select multiple>", `.Selected "colors" "red"`, `validate:"min=1"`}},
		{"## Sending rendered HTML to other pages, and components", []string{"hub.Fragment(", "Render(ctx context.Context, w\nio.Writer) error", "liveview.T(ctx"}},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			s := section(tt.heading)
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("%s does not mention %q", tt.heading, w)
				}
			}
		})
	}
	if strings.Contains(readme, `c.Get("user").(string)`) {
		t.Error(`the README still reads c.Get("user") as a string (echo-jwt stores a *jwt.Token there)`)
	}
}
