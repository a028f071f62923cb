package main

import (
	"bytes"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echo-liveview/liveview"
	"github.com/echo-liveview/liveview/internal/redisserver"
	"github.com/echo-liveview/liveview/liveviewtest"
	"github.com/echo-liveview/liveview/presence"
	presenceredis "github.com/echo-liveview/liveview/presence/redis"
	"github.com/echo-liveview/liveview/pubsub"
	"github.com/echo-liveview/liveview/pubsub/redis"
)

// TestNewServer: the server main starts is Echo's own (so e.Shutdown stops
// it) with a header timeout and an idle timeout.
func TestNewServer(t *testing.T) {
	e := echo.New()
	s := newServer("127.0.0.1:8080", e)
	if s != e.Server {
		t.Fatal("newServer must configure e.Server, which e.Shutdown stops")
	}
	if s.Addr != "127.0.0.1:8080" {
		t.Errorf("Addr %q", s.Addr)
	}
	if s.ReadHeaderTimeout <= 0 || s.ReadHeaderTimeout > 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v, want a few seconds", s.ReadHeaderTimeout)
	}
	if s.IdleTimeout <= 0 || s.IdleTimeout > 5*time.Minute {
		t.Errorf("IdleTimeout %v, want a few minutes at most", s.IdleTimeout)
	}
}

// TestSessionSecret: the key comes from the environment, is refused when
// short, and is random (different at every start) when absent.
func TestSessionSecret(t *testing.T) {
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))

	t.Setenv(sessionSecretEnv, "")
	a, err := sessionSecret()
	if err != nil || len(a) != 32 {
		t.Fatalf("unset: %d bytes, %v", len(a), err)
	}
	if !strings.Contains(logs.String(), "sessions won't survive a restart") {
		t.Errorf("unset: no warning in the log: %q", logs.String())
	}
	b, _ := sessionSecret()
	if bytes.Equal(a, b) {
		t.Fatal("unset: the same key twice, want a random one")
	}

	t.Setenv(sessionSecretEnv, "too short")
	if _, err := sessionSecret(); err == nil || !strings.Contains(err.Error(), sessionSecretEnv) {
		t.Fatalf("short: %v, want an error naming %s", err, sessionSecretEnv)
	}

	long := strings.Repeat("k", 64)
	t.Setenv(sessionSecretEnv, long)
	if k, err := sessionSecret(); err != nil || string(k) != long {
		t.Fatalf("set: %q, %v", k, err)
	}
}

// startChat serves a chat instance with broker and tracker (nil: in
// memory) and a session key every instance of a test shares. The Hub newApp
// mounts becomes liveview.Default() until the next instance's, so it is
// read at once; it is closed when the test ends.
func startChat(t *testing.T, broker pubsub.Broker, tracker presence.Tracker) *liveviewtest.LT {
	t.Helper()
	e := newApp(sessions.NewCookieStore(bytes.Repeat([]byte("k"), 32)), broker, tracker, "test")
	hub := liveview.Default()
	t.Cleanup(func() { _ = hub.Close() })
	return liveviewtest.New(t, e)
}

// join is a new user joining room as name: the join form is a classic
// form, posted natively; its answer redirects to the chat page, which
// connects.
func join(lt *liveviewtest.LT, name, room string) *liveviewtest.Page {
	return joinAs(lt.NewUser(), name, room)
}

// joinAs is join for a given user (cookie jar), whose other tabs it can
// then open with u.Open("/").
func joinAs(u *liveviewtest.User, name, room string) *liveviewtest.Page {
	page := u.Open("/")
	page.Fill("input[name=name]", name)
	page.Fill("input[name=room]", room)
	page.Follow(`form[action="/join"]`)
	return page
}

// present is one line of the Online list: a user, their number of tabs
// and the instances those are on (sorted, as the list shows them).
type present struct {
	name  string
	tabs  int
	hosts []string
}

// onlineText is the text of #online listing users (sorted by name).
func onlineText(users ...present) string {
	s := "Online " + strconv.Itoa(len(users))
	for _, u := range users {
		s += " " + u.name
		if u.tabs > 1 {
			s += " " + strconv.Itoa(u.tabs) + " tabs"
		}
		hosts := slices.Sorted(slices.Values(u.hosts)) // as the list sorts them
		s += " on " + strings.Join(hosts, ", ")
	}
	return s
}

// host is the instance lt as the Online list names it.
func host(lt *liveviewtest.LT) string { return strings.TrimPrefix(lt.URL(), "http://") }

// line is a message or an announcement as the page shows it: who, from
// which instance (the host the sender's WebSocket reached), what.
func line(who string, lt *liveviewtest.LT, text string) string {
	return who + " via " + strings.TrimPrefix(lt.URL(), "http://") + ": " + text
}

const (
	composer = "#composer input[name=text]"
	send     = "#composer button[data-liveview-function=send_message]"
	announce = "button[data-liveview-function=announce]"
	// The announcement's field is the one in the announce button's form.
	announcement = "form:has(" + announce + ") input[name=text]"
)

// TestChatJoin: the join form puts the name and the room in the session;
// the chat page shows them and connects; Leave ends the session and brings
// the join form back.
func TestChatJoin(t *testing.T) {
	page := join(startChat(t, nil, nil), "alice", "red")
	if page.URL() != "/" || page.Text("#name") != "alice" || page.Text("#room") != "red" {
		t.Errorf("chat page at %s for %q in %q", page.URL(), page.Text("#name"), page.Text("#room"))
	}
	if !page.Exists(composer) || page.Room() == "" {
		t.Fatalf("no composer or no WebSocket: %s", page.HTML("body"))
	}
	page.Follow(`form[action="/leave"]`)
	if !page.Exists(`form[action="/join"]`) || page.Room() != "" {
		t.Errorf("after Leave: room %q, page %s", page.Room(), page.HTML("main"))
	}
}

// TestChatRooms: a message reaches everyone in the sender's room, the
// sender included, and clears the composer; it does not reach another
// room. Enter sends as the button does.
func TestChatRooms(t *testing.T) {
	lt := startChat(t, nil, nil)
	alice, bob, carol := join(lt, "alice", "red"), join(lt, "bob", "red"), join(lt, "carol", "blue")

	alice.Fill(composer, "hi red")
	alice.Click(send)
	bob.WaitText("#messages li", line("alice", lt, "hi red"))
	alice.WaitText("#messages li", line("alice", lt, "hi red"))
	if v, _ := alice.Attr(composer, "value"); v != "" {
		t.Errorf("the composer kept %q", v)
	}

	// Carol's own message comes through blue after alice's would have,
	// had it been published there.
	carol.Fill(composer, "hi blue")
	carol.Key(composer, "Enter")
	carol.WaitText("#messages li", line("carol", lt, "hi blue"))
	if n := carol.Count("#messages li"); n != 1 {
		t.Errorf("carol has %d messages, want 1 (her own): rooms leak", n)
	}
	// And bob's reply comes through red after carol's would have.
	bob.Fill(composer, "bye")
	bob.Key(composer, "Enter")
	alice.WaitText("#messages li:last-child", line("bob", lt, "bye"))
	if n := alice.Count("#messages li"); n != 2 {
		t.Errorf("alice has %d messages, want 2: %s", n, alice.HTML("#messages"))
	}
}

// TestChatAnnouncements: an announcement reaches every room, saying who
// made it and from which room; an empty one is refused with a message.
func TestChatAnnouncements(t *testing.T) {
	lt := startChat(t, nil, nil)
	alice, bob, carol := join(lt, "alice", "red"), join(lt, "bob", "red"), join(lt, "carol", "blue")
	alice.Fill(announcement, "lunch")
	alice.Click(announce)
	for _, page := range []*liveviewtest.Page{alice, bob, carol} {
		page.WaitText("#announcements li", line("alice in red", lt, "lunch"))
	}

	carol.Click(announce)
	if errs := carol.Errors(); len(errs) != 1 || errs[0].Error != "Announcements are 1 to 200 characters." {
		t.Errorf("empty announcement: error frames %+v", errs)
	}
}

// TestChatTwoInstances: two instances sharing one Redis (as with -redis)
// are one chat: a message crosses to the room's members on the other
// instance, an announcement reaches every room on both, and both list who
// is online in the room on either instance, a user with tabs on both once.
func TestChatTwoInstances(t *testing.T) {
	srv := redisserver.Start(t) // skips without redis-server, fails under CI
	instance := func() *liveviewtest.LT {
		rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
		broker := redis.New(rdb, redis.WithPrefix("chat:"))
		tracker := presenceredis.New(rdb, presenceredis.WithPrefix("chat:presence:"))
		t.Cleanup(func() { _ = tracker.Close(); _ = broker.Close(); _ = rdb.Close() }) // after the Hub
		return startChat(t, broker, tracker)
	}
	one, two := instance(), instance()
	aliceUser := one.NewUser()
	alice := joinAs(aliceUser, "alice", "lobby")
	bob, carol := join(two, "bob", "lobby"), join(two, "carol", "other")
	// alice's session cookie works on either instance (they share the key).
	var opts []liveviewtest.Option
	for _, c := range aliceUser.Cookies() {
		opts = append(opts, liveviewtest.WithCookie(c))
	}
	alice2 := two.Open("/", opts...)

	both := onlineText(present{"alice", 2, []string{host(one), host(two)}}, present{"bob", 1, []string{host(two)}})
	for _, page := range []*liveviewtest.Page{alice, alice2, bob} {
		page.WaitText("#online", both)
	}
	carol.WaitText("#online", onlineText(present{"carol", 1, []string{host(two)}}))

	alice.Fill(composer, "hello")
	alice.Click(send)
	bob.WaitText("#messages li", line("alice", one, "hello"))
	alice.WaitText("#messages li", line("alice", one, "hello"))

	bob.Fill(announcement, "lunch")
	bob.Click(announce)
	for _, page := range []*liveviewtest.Page{alice, bob, carol} {
		page.WaitText("#announcements li", line("bob in lobby", two, "lunch"))
	}

	// Closing tabs: bob leaves alice's list on the other instance, and
	// alice's tab there leaves her one tab on the first.
	bob.Close()
	alice.WaitText("#online", onlineText(present{"alice", 2, []string{host(one), host(two)}}))
	alice2.Close()
	alice.WaitText("#online", onlineText(present{"alice", 1, []string{host(one)}}))
}

// TestChatOnline: every page of a room lists who is online in it, a user
// with two tabs once with "2 tabs", and follows tabs closing; other rooms
// have their own list. A name cannot break out of the page's style rule
// that marks the user's own line.
func TestChatOnline(t *testing.T) {
	lt := startChat(t, nil, nil)
	h := []string{host(lt)}
	aliceUser := lt.NewUser()
	alice := joinAs(aliceUser, "alice", "red")
	alice2 := aliceUser.Open("/")
	bob, carol := join(lt, "bob", "red"), join(lt, "carol", "blue")

	red := onlineText(present{"alice", 2, h}, present{"bob", 1, h})
	for _, page := range []*liveviewtest.Page{alice, alice2, bob} {
		page.WaitText("#online", red)
	}
	carol.WaitText("#online", onlineText(present{"carol", 1, h}))
	if n := alice.Count("#online li"); n != 2 {
		t.Errorf("alice's list has %d lines, want 2: %s", n, alice.HTML("#online"))
	}

	bob.Close()
	alice.WaitText("#online", onlineText(present{"alice", 2, h}))
	alice2.Close()
	alice.WaitText("#online", onlineText(present{"alice", 1, h}))
	carol.WaitText("#online", onlineText(present{"carol", 1, h}))

	// The own line's rule has the name in a CSS string: a hostile one
	// stays in it.
	mallory := join(lt, `"]</style><b id=pwn>x</b>`, "red")
	mallory.WaitText("#online .people li:first-child .who", `"]</style><b id=pwn>x</b>`)
	if mallory.Exists("#pwn") {
		t.Errorf("a name broke out of the page's style: %s", mallory.HTML("head"))
	}
}
