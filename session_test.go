package liveview

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/gorilla/sessions"
	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// TestPerUserRoomsWithSession derives rooms from a real cookie session
// (gorilla/sessions): the same URL segment puts two users in two rooms,
// and a Publish to one user's room reaches all of that user's tabs only.
func TestPerUserRoomsWithSession(t *testing.T) {
	store := sessions.NewCookieStore([]byte("0123456789abcdef0123456789abcdef"))
	session := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			s, _ := store.Get(c.Request(), "app")
			if u := c.QueryParam("login"); u != "" {
				s.Values["user"] = u
				if err := s.Save(c.Request(), c.Response()); err != nil {
					return err
				}
			}
			if u, ok := s.Values["user"].(string); ok {
				c.Set("user", u)
			}
			return next(c)
		}
	}
	ts := newTestServer(t, Config{
		Room: func(c echo.Context) (string, error) {
			u, _ := c.Get("user").(string)
			if u == "" {
				return "", echo.NewHTTPError(http.StatusUnauthorized)
			}
			return "user-" + u, nil
		},
	}, func(h *Hub, e *echo.Echo) {
		e.Use(session) // runs before the hub's middleware, as in an app
		h.Handle("ping", echoHandler)
		h.Handle("notify_me", func(c *Context) error {
			return c.Publish(c.Room(), Message{Target: "#notes", HTML: c.Room(), Append: true})
		})
	})

	login := func(user string) http.Header {
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar}
		resp, err := hc.Get(ts.srv.URL + "/hello?login=" + user)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, _ := url.Parse(ts.srv.URL)
		h := http.Header{"Origin": {ts.srv.URL}}
		for _, c := range jar.Cookies(u) {
			h.Add("Cookie", c.String())
		}
		return h
	}
	ada, bob := login("ada"), login("bob")
	// Same URL segment for everybody: the session decides.
	ada1, ada2 := ts.dialHeader(t, "shared", ada), ts.dialHeader(t, "shared", ada)
	bob1 := ts.dialHeader(t, "shared", bob)

	ada1.send("notify_me", nil, nil)
	equalJSON(t, ada1.read(), `{"target":"#notes","html":"user-ada","append":true}`)
	equalJSON(t, ada2.read(), `{"target":"#notes","html":"user-ada","append":true}`)
	bob1.ping("bob saw nothing before this")

	if err := ts.hub.Publish(context.Background(), "user-bob", Message{Target: "#notes", HTML: "for bob"}); err != nil {
		t.Fatal(err)
	}
	equalJSON(t, bob1.read(), `{"target":"#notes","html":"for bob"}`)
	ada1.ping("ada saw nothing before this")

	// No session: refused.
	if _, resp, err := websocket.DefaultDialer.Dial(ts.wsURL("shared"), http.Header{"Origin": {ts.srv.URL}}); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without session: %v %v", resp, err)
	}
}
