// Command chat is a chat over liveview: each user picks a name and a room,
// kept in a cookie session (gorilla/sessions), and what they write is
// published to their room; announcements are broadcast to every room.
//
//	go run ./examples/chat                        # one instance, in memory
//	go run ./examples/chat -addr :8081 -redis 127.0.0.1:6379
//	go run ./examples/chat -addr :8082 -redis 127.0.0.1:6379
//	go run ./examples/chat -metrics               # plus /metrics and the stats page /debug/liveview
//
// With -redis, instances share Redis pub/sub (package pubsub/redis): users
// on :8081 and on :8082 chat in the same rooms. -local-delivery lets users
// of one instance go on chatting among themselves while Redis is down.
//
// Every page shows who is online in its room, live: each tab tracks its
// user in the room's presence (package presence: in memory, or with -redis
// presence/redis, so the list covers every instance), and a user with
// several tabs is listed once, with their number.
//
// Session cookies are signed with $CHAT_SESSION_SECRET (at least 32 bytes,
// e.g. `export CHAT_SESSION_SECRET=$(openssl rand -hex 32)`); give every
// instance the same one so a session works on either. Without it each
// instance makes a random key at start: sessions end with the process and
// work only on the instance that made them.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/presence"
	presenceredis "github.com/echo-liveview/liveview/presence/redis"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

//go:embed templates
var templateFS embed.FS

// staticFS holds the examples' stylesheet and favicon. Every example has
// its own copy of static/, so that it runs alone when copied.
//
//go:embed static
var staticFS embed.FS

// renderer is the app's ordinary Echo renderer; liveview reuses it for
// fragments.
type renderer struct{ t *template.Template }

func (r renderer) Render(w io.Writer, name string, data any, _ echo.Context) error {
	return r.t.ExecuteTemplate(w, name, data)
}

// sessionName is the cookie of the chat's session.
const sessionName = "chat"

// appHooks are the Hub's hooks: the -metrics counters, or none.
var appHooks *liveview.Hooks

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	redisAddr := flag.String("redis", "", "Redis address (host:port) shared by the instances; empty: in memory, one instance")
	local := flag.Bool("local-delivery", false, "with -redis: deliver to this instance's users directly, so they can chat while Redis is down")
	metrics := flag.Bool("metrics", false, "serve /metrics (Prometheus text format) and the live stats page /debug/liveview (metrics.go)")
	flag.Parse()
	var m *chatMetrics
	if *metrics {
		m = newChatMetrics()
		appHooks = m.hooks()
	}

	var broker pubsub.Broker     // nil: the Hub's own in-memory broker
	var tracker presence.Tracker // nil: the Hub's own in-memory presence
	var rdb *goredis.Client
	if *redisAddr != "" {
		rdb = goredis.NewClient(&goredis.Options{Addr: *redisAddr})
		opts := []redis.Option{redis.WithPrefix("chat:")}
		if *local {
			opts = append(opts, redis.WithLocalDelivery())
		}
		broker = redis.New(rdb, opts...)
		// Who is online, shared by the instances: an instance that dies
		// without a goodbye leaves every list within its Bound (12.5s).
		tracker = presenceredis.New(rdb, presenceredis.WithPrefix("chat:presence:"))
	}

	secret, err := sessionSecret()
	if err != nil {
		log.Fatal(err)
	}
	e := newApp(sessions.NewCookieStore(secret), broker, tracker, *addr)
	if m != nil {
		mountMetrics(e, liveview.Default(), m)
	}
	srv := newServer(*addr, e)
	go func() {
		if err := e.StartServer(srv); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// e.Shutdown stops accepting and starts the Hub's drain (1012: browsers
	// reconnect to another instance, spread over Config.DrainWindow); the
	// Hub's own Shutdown waits until every WebSocket is closed.
	_ = e.Shutdown(shutdown)
	_ = liveview.Default().Shutdown(shutdown)
	if rdb != nil {
		// The Hub closes neither a Broker nor a Tracker it was given. The
		// tracker's Close removes this instance's users from every list at
		// once (its goodbye); the client goes last.
		_ = tracker.Close()
		_ = broker.Close()
		_ = rdb.Close()
	}
}

// newServer returns e's HTTP server (e.Server, so e.Shutdown stops it) set
// to listen on addr with the timeouts a server open to the internet needs:
// ReadHeaderTimeout closes a connection whose request headers, a WebSocket
// upgrade's included, do not arrive in time (else a client can hold a
// connection, a goroutine and a buffer per half-sent request forever), and
// IdleTimeout closes keep-alive connections left idle. Neither applies to
// an open WebSocket: it leaves net/http at the upgrade. See the README's
// "Production server".
func newServer(addr string, e *echo.Echo) *http.Server {
	s := e.Server
	s.Addr = addr
	s.ReadHeaderTimeout = 5 * time.Second
	s.IdleTimeout = 2 * time.Minute
	return s
}

// sessionSecretEnv names the variable holding the key that signs session
// cookies. Instances of one app must share it.
const sessionSecretEnv = "CHAT_SESSION_SECRET"

// sessionSecret returns the key that signs session cookies: the value of
// $CHAT_SESSION_SECRET, which must be at least 32 bytes, or, when it is not
// set, 32 random bytes made now, with a warning: sessions then won't
// survive a restart (nor work across instances).
func sessionSecret() ([]byte, error) {
	if v := os.Getenv(sessionSecretEnv); v != "" {
		if len(v) < 32 {
			return nil, fmt.Errorf("chat: %s must be at least 32 bytes (try: openssl rand -hex 32)", sessionSecretEnv)
		}
		return []byte(v), nil
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	slog.Warn("chat: " + sessionSecretEnv + " is not set: using a random session key, so sessions won't survive a restart")
	return key, nil
}

// newApp wires the chat: session middleware first, then the plugin, whose
// rooms come from the session. broker and tracker (nil: in memory) are what
// the instances share; instance is the address shown as serving the page.
func newApp(store sessions.Store, broker pubsub.Broker, tracker presence.Tracker, instance string) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.Renderer = renderer{template.Must(template.New("").Funcs(template.FuncMap{
		"byName": byName, "instances": instances,
	}).ParseFS(templateFS, "templates/*.html"))}
	e.Use(sessionMiddleware(store))
	e.Use(liveview.PluginWithConfig(liveview.Config{
		Broker:   broker,
		Presence: tracker,
		Hooks:    appHooks, // -metrics
		// The room is the one the user joined, from the session; the URL
		// segment and the client's JSON are ignored.
		Room: func(c echo.Context) (string, error) {
			u := userOf(c)
			if u.Room == "" {
				return "", echo.NewHTTPError(http.StatusUnauthorized, "join a room first")
			}
			return "chat-" + u.Room, nil
		},
		// Handlers need the user's name: copy it while the session is at
		// hand. Then the tab joins the room's presence and shows it.
		OnConnect: func(c echo.Context, lc *liveview.Context) error {
			u := userOf(c)
			lc.Set("name", u.Name)
			lc.Set("room", u.Room)
			online(c, lc, u)
			return nil
		},
	}))

	serveStatic(e)
	e.GET("/", func(c echo.Context) error {
		u := userOf(c)
		data := map[string]any{"ID": u.ID, "Name": u.Name, "Room": u.Room, "Instance": instance}
		if u.Name == "" || u.Room == "" {
			return c.Render(http.StatusOK, "join.html", data)
		}
		data["Script"] = liveview.Default().ScriptURL()
		return c.Render(http.StatusOK, "chat.html", data)
	})
	e.POST("/join", func(c echo.Context) error {
		name := strings.TrimSpace(c.FormValue("name"))
		room := strings.TrimSpace(c.FormValue("room"))
		if name == "" || utf8.RuneCountInString(name) > 30 || !liveview.ValidRoom(room) || len(room) > 50 {
			return c.Render(http.StatusBadRequest, "join.html", map[string]any{
				"Name": name, "Room": room, "Instance": instance,
				"Error": "Pick a name (up to 30 characters) and a room (letters, digits, . _ -).",
			})
		}
		id := userOf(c).ID
		if id == "" || userOf(c).Name != name {
			id = liveview.NewRoomID() // who this is, for the Online list: a new name is a new person
		}
		if err := saveUser(c, store, user{ID: id, Name: name, Room: room}); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/")
	})
	e.POST("/leave", func(c echo.Context) error {
		if err := saveUser(c, store, user{}); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/")
	})
	return e
}

// online tracks the tab in its room's presence and renders the room's
// list into #online, now and after every change on any instance, until the
// tab closes (the Hub then untracks it). The key is the session's random
// user id, made when the user joined: two tabs of one session are one
// user, whichever instance serves them, and two people who picked the same
// name are two. The meta is what the list shows: the name and the instance
// (the host the WebSocket reached, as messages say).
//
// Presence is an extra: when its store fails (Redis down), the tab is
// still let in to chat, and the failure is logged. A Track that timed out
// is kept on this instance and reaches the others when Redis answers; a
// list that could not be watched stays as the page rendered it.
func online(c echo.Context, lc *liveview.Context, u user) {
	room := lc.Room()
	meta := map[string]string{"name": u.Name, "instance": c.Request().Host}
	if err := lc.Track(room, u.ID, meta); err != nil {
		slog.Warn("chat: tracking presence", "room", room, "err", err)
	}
	if err := lc.ShowPresence(room, "#online", "online.html"); err != nil {
		slog.Warn("chat: showing presence", "room", room, "err", err)
	}
}

// byName returns the online list sorted by name (the Hub sorts it by key,
// a random user id), ties by key.
func byName(list []liveview.Present) []liveview.Present {
	out := slices.Clone(list)
	slices.SortStableFunc(out, func(a, b liveview.Present) int {
		an, _ := a.Meta()["name"].(string)
		bn, _ := b.Meta()["name"].(string)
		return cmp.Or(strings.Compare(an, bn), strings.Compare(a.Key, b.Key))
	})
	return out
}

// instances returns the instances a user's tabs are on (the "instance" of
// each meta), sorted, each once: for the online list.
func instances(p liveview.Present) []string {
	seen := make(map[string]bool)
	var out []string
	for _, raw := range p.Metas {
		var m struct{ Instance string }
		if json.Unmarshal(raw, &m) == nil && m.Instance != "" && !seen[m.Instance] {
			seen[m.Instance] = true
			out = append(out, m.Instance)
		}
	}
	slices.Sort(out)
	return out
}

// user is what the session holds: a random id made at /join, the name
// and the room.
type user struct{ ID, Name, Room string }

func userOf(c echo.Context) user {
	u, _ := c.Get("user").(user)
	return u
}

// sessionMiddleware puts the session's user (possibly empty) in the Echo
// context as "user".
func sessionMiddleware(store sessions.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			s, _ := store.Get(c.Request(), sessionName)
			id, _ := s.Values["id"].(string)
			name, _ := s.Values["name"].(string)
			room, _ := s.Values["room"].(string)
			if id == "" {
				id = name // a session from before ids
			}
			c.Set("user", user{ID: id, Name: name, Room: room})
			return next(c)
		}
	}
}

func saveUser(c echo.Context, store sessions.Store, u user) error {
	s, _ := store.Get(c.Request(), sessionName)
	s.Values["id"], s.Values["name"], s.Values["room"] = u.ID, u.Name, u.Room
	s.Options = &sessions.Options{Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	return s.Save(c.Request(), c.Response())
}

// unavailable is what users see when a message could not reach everyone.
const unavailable = "Not delivered to everyone: the chat is having trouble, try again."

func init() {
	// Reaches every connection in the sender's room, on every instance.
	liveview.Handle("send_message", func(c *liveview.Context) error {
		text := strings.TrimSpace(c.FormValue("text"))
		if text == "" {
			return nil
		}
		if utf8.RuneCountInString(text) > 500 {
			return liveview.NewError("Messages are limited to 500 characters.")
		}
		html, err := c.Fragment("message.html", map[string]any{
			"Name": c.Get("name"), "Text": text, "Instance": c.Request().Host,
		})
		if err != nil {
			return err
		}
		if err := c.Publish(c.Room(), liveview.Message{Target: "#messages", HTML: html, Append: true}); err != nil {
			slog.Warn("chat: publish failed", "room", c.Room(), "err", err)
			return &liveview.Error{Message: unavailable, Internal: err}
		}
		return c.Render("#composer", "composer.html", nil) // clear the input
	})
	// Reaches every connection of every room, on every instance.
	liveview.Handle("announce", func(c *liveview.Context) error {
		text := strings.TrimSpace(c.FormValue("text"))
		if text == "" || utf8.RuneCountInString(text) > 200 {
			return liveview.NewError("Announcements are 1 to 200 characters.")
		}
		html, err := c.Fragment("announcement.html", map[string]any{
			"Name": c.Get("name"), "Room": c.Get("room"), "Text": text, "Instance": c.Request().Host,
		})
		if err != nil {
			return err
		}
		if err := c.Broadcast(liveview.Message{Target: "#announcements", HTML: html, Append: true}); err != nil {
			slog.Warn("chat: broadcast failed", "err", err)
			return &liveview.Error{Message: unavailable, Internal: err}
		}
		return nil
	})
}

// serveStatic serves the stylesheet and the favicon (also at /favicon.ico,
// which browsers ask for when a page names no icon).
func serveStatic(e *echo.Echo) {
	e.FileFS("/static/style.css", "static/style.css", staticFS)
	e.FileFS("/favicon.svg", "static/favicon.svg", staticFS)
	e.FileFS("/favicon.ico", "static/favicon.svg", staticFS)
}
