package liveviewtest

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/echo-liveview/liveview/internal/clientrules"
)

// DefaultTimeout bounds every wait of a test (a page load, the answer to an
// action, WaitFor) unless WithTimeout says otherwise. It is generous: it
// is a deadline against hanging tests, not a performance check.
const DefaultTimeout = 10 * time.Second

// DefaultSocketPath is where the bundled client connects unless
// window.webSocketConfig.path says otherwise: liveview.DefaultPath without
// its room segment.
const DefaultSocketPath = "/ws/liveview/"

// maxPageBytes bounds the pages Open reads.
const maxPageBytes = 32 << 20

// LT runs one app for one test: an httptest server around the app's Echo
// instance, closed when the test ends, and the users who open its pages.
// Its methods are safe for concurrent use, but those that fail the test
// (Open) must run on the test's goroutine, as t.Fatal requires.
type LT struct {
	t        testing.TB
	srv      *httptest.Server
	base     *url.URL
	settings []Option
	user     *User
}

// New starts e (the app, with its liveview Hub mounted) on a loopback
// httptest server and returns the LT that opens its pages. The server is
// closed when the test ends, after the pages; the Hub is the app's and is
// not closed. opts apply to every user and page (WithHeader, WithLang,
// WithTimeout, ...).
func New(t testing.TB, e *echo.Echo, opts ...Option) *LT {
	t.Helper()
	if e == nil {
		t.Fatal("liveviewtest: New: nil *echo.Echo")
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatalf("liveviewtest: New: %v", err)
	}
	lt := &LT{t: t, srv: srv, base: base, settings: opts}
	lt.user = lt.NewUser()
	return lt
}

// URL returns the base URL of the app, such as "http://127.0.0.1:41234".
func (lt *LT) URL() string { return lt.srv.URL }

// Open opens path (such as "/" or "/room?x=1") as the LT's default user
// (one cookie jar shared by every lt.Open). See User.Open.
func (lt *LT) Open(path string, opts ...Option) *Page {
	lt.t.Helper()
	return lt.user.Open(path, opts...)
}

// User is one browser profile: its own cookie jar, shared by the pages
// (tabs) it opens, so they share a session; other users have their own.
// A User is safe for concurrent use.
type User struct {
	lt       *LT
	jar      http.CookieJar
	client   *http.Client
	settings []Option
}

// NewUser returns a new user (browser profile) with an empty cookie jar.
// opts apply to each page it opens, after the LT's.
func (lt *LT) NewUser(opts ...Option) *User {
	lt.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		lt.t.Fatalf("liveviewtest: NewUser: %v", err)
	}
	u := &User{lt: lt, jar: jar, settings: opts}
	u.client = &http.Client{Transport: lt.srv.Client().Transport, Jar: jar}
	return u
}

// Cookies returns the cookies the user's browser would send to the app.
func (u *User) Cookies() []*http.Cookie { return u.jar.Cookies(u.lt.base) }

// Open loads path in a new tab like a browser: a GET with the user's
// cookies (redirects followed, cookies kept), the HTML parsed, and, when
// the page loads the bundled client (a <script src> named liveview.js,
// liveview.min.js or liveview.<hash>.min.js), the WebSocket the client
// would open: the same URL (socket path plus the room of <html data-room>,
// made up and written back when missing, URL-encoded), the page's Origin,
// the user's cookies; then, as the client does once connected, every page
// controller sends its data-liveview-init events, and Open waits for their
// answers. A page without the client opens no socket, as in a browser:
// it can be read, typed into and followed (Follow), and an action that
// would send an event fails.
//
// It fails the test when the page does not answer 200, the handshake is
// refused (with the status and body) or an answer does not come within the
// timeout. The page is closed when the test ends.
func (u *User) Open(path string, opts ...Option) *Page {
	t := u.lt.t
	t.Helper()
	s := newSettings(u.lt.settings, u.settings, opts)
	target, err := u.lt.base.Parse(path)
	if err != nil {
		t.Fatalf("liveviewtest: Open(%q): %v", path, err)
	}
	for _, c := range s.cookies {
		u.jar.SetCookies(target, []*http.Cookie{c})
	}
	p := newPage(t, u, s, path)
	t.Cleanup(p.Close)
	p.load(fmt.Sprintf("Open(%q)", path), &clientrules.Navigation{Method: http.MethodGet, URL: target})
	return p
}

// Option configures New (every page), NewUser (that user's pages) and Open
// (one page); WithHeader, WithLang, WithCookie, WithSocketPath and
// WithTimeout also configure Call. Later options win over earlier ones.
type Option func(*settings)

type settings struct {
	headers    http.Header
	cookies    []*http.Cookie
	socketPath string
	timeout    time.Duration
	noInit     bool
}

func newSettings(lists ...[]Option) *settings {
	s := &settings{headers: http.Header{}, timeout: DefaultTimeout}
	for _, l := range lists {
		for _, o := range l {
			o(s)
		}
	}
	return s
}

func (s *settings) setHeaders(h http.Header) {
	for k, v := range s.headers {
		h[k] = append([]string(nil), v...)
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", "liveviewtest")
	}
}

// WithHeader sends the header on the page's GET and on its WebSocket
// handshake, as a browser sends its headers on both (an Authorization
// header, a proxy's X-Forwarded-For). It replaces an earlier value.
func WithHeader(key, value string) Option {
	return func(s *settings) { s.headers.Set(key, value) }
}

// WithCookie puts c into the user's cookie jar before the page is loaded,
// for the app's URL, as if the browser had it already (a session a test
// made by hand). The cookie then stays in the jar.
func WithCookie(c *http.Cookie) Option {
	return func(s *settings) { s.cookies = append(s.cookies, c) }
}

// WithLang sets the Accept-Language header, such as "es" or "es-ES,es;q=0.9,
// en;q=0.8", of the page's GET and WebSocket handshake. The lang of each
// event is the page's <html lang>, as in the browser.
func WithLang(acceptLanguage string) Option {
	return WithHeader("Accept-Language", acceptLanguage)
}

// WithSocketPath is window.webSocketConfig.path for pages that set it: the
// WebSocket endpoint without the room (a Config.Path of "/custom/ws/:room/"
// is "/custom/ws/"), or a pattern with ":room". Default: what the page's
// script tag says (data-liveview-path, written by {{liveviewScript}} and
// Hub.ScriptTag), else DefaultSocketPath; for Call, the Hub's Path.
func WithSocketPath(path string) Option {
	return func(s *settings) { s.socketPath = path }
}

// WithTimeout bounds each wait (a page load, the answers to one action, a
// WaitFor). Default: DefaultTimeout. Zero or negative keeps the default.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithoutInit opens the page without sending its data-liveview-init
// events, to look at the page as the server rendered it; Page.Init sends
// them one by one.
func WithoutInit() Option {
	return func(s *settings) { s.noInit = true }
}

// clip shortens s for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
