package liveview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"

	"github.com/echo-liveview/liveview/jsclient"
	"github.com/echo-liveview/liveview/pubsub"
)

// Config configures a Hub. The zero value is ready to use: every field's
// documentation ends with its default.
type Config struct {
	// Path is the WebSocket endpoint; it must contain the segment ":room".
	// Requests for it (with or without the trailing slash) are upgraded and
	// never reach the app's routes. Default: "/ws/liveview/:room/", the URL
	// Django LiveView's client uses.
	Path string

	// ScriptPath is the URL prefix under which the JavaScript client is
	// served: liveview.min.js, the readable liveview.js and the
	// content-hashed liveview.<hash>.min.js (see Hub.ScriptURL). Other files
	// under the prefix pass through to the app. Default: "/static/liveview/".
	ScriptPath string

	// Room returns the room of a connecting client, e.g. the user's ID from
	// the session: every connection belongs to exactly one room, the target
	// of Publish. It runs during the handshake, after the app's middleware
	// (sessions, auth), with c.Param("room") set to the URL segment. An
	// error refuses the handshake (with its status if it is an
	// *echo.HTTPError, else 403). Default: the URL segment, which must match
	// ^[A-Za-z0-9_.-]{1,100}$ (else 400). Note that the default room is
	// public: anyone who knows the segment can join it.
	Room func(c echo.Context) (string, error)

	// RoomSecret, when set and Room is nil, makes the endpoint accept only
	// room segments signed by Hub.SignRoom with this secret (answering 403
	// otherwise): rooms the server handed out, without a session. Use at
	// least 32 random bytes. Default: nil (segments are public rooms).
	RoomSecret []byte

	// OnConnect runs during the handshake, before the upgrade, while Echo's
	// context (session, user, JWT claims) is valid: copy what handlers need
	// into the connection store with lc.Set. lc has no event and cannot send
	// yet. An error refuses the connection like a Room error. Default: none.
	OnConnect func(c echo.Context, lc *Context) error

	// OnDisconnect runs once when a connection that was accepted closes, for
	// any reason. Default: none.
	OnDisconnect func(lc *Context)

	// AllowedOrigins lists origins ("https://app.example.com") that may open
	// WebSockets besides the request's own host. Browsers send Origin on
	// every WebSocket handshake; a request without Origin (a non-browser
	// client) is allowed. Default: only the same host.
	AllowedOrigins []string

	// InsecureSkipOriginCheck accepts WebSockets from any origin, which lets
	// any web page a logged-in user visits talk to your handlers as that user
	// (cross-site WebSocket hijacking). Default: false.
	InsecureSkipOriginCheck bool

	// MaxMessageSize is the largest frame a client may send, in bytes; a
	// larger one closes the connection with 1009 (message too big).
	// Default: 65536.
	MaxMessageSize int64

	// RateLimit is the sustained number of events per second a connection
	// may send; RateBurst the number it may send at once. Excess events get
	// an error frame and are dropped; the connection stays open. A negative
	// RateLimit disables the limit. Default: 100 per second, burst 500.
	RateLimit float64
	RateBurst int

	// SendQueueSize bounds each connection's queue of outgoing frames. When
	// it is full, Context sends wait for room (up to WriteTimeout) while
	// Publish and Broadcast deliveries do not wait: the client is
	// disconnected (it reconnects) instead of silently missing fragments or
	// slowing other clients.
	// Default: 128 (measured: each slot costs 48 bytes per connection; see
	// BenchmarkIdleConnMemory).
	SendQueueSize int

	// WriteTimeout bounds writing one frame to the network, and how long a
	// Context send waits for room in a full send queue; a client slower than
	// that is disconnected. Default: 10s.
	WriteTimeout time.Duration

	// Broker carries Broadcast and Publish between instances. Hubs given the
	// same Broker behave as instances of one app. The Hub does not close a
	// Broker it was given. Default: a new in-memory broker per Hub
	// (pubsub.NewMemory), closed with the Hub.
	Broker pubsub.Broker

	// Logger receives the Hub's logs. Default: slog.Default().
	Logger *slog.Logger

	// ErrorHandler is called for every failed event: bad frames, unknown
	// functions, rate limiting, handler errors and recovered panics. It may
	// send an error frame with lc.Send. Default: Hub.DefaultErrorHandler.
	ErrorHandler func(lc *Context, err error)

	// Debug sends internal error text to the client in error frames. Never
	// enable it in production. Default: false (clients see generic texts;
	// *Error messages are always shown).
	Debug bool
}

// Defaults, in one place.
const (
	DefaultPath           = "/ws/liveview/:room/"
	DefaultScriptPath     = "/static/liveview/"
	DefaultMaxMessageSize = 64 << 10
	DefaultRateLimit      = 100
	DefaultRateBurst      = 500
	DefaultSendQueueSize  = 128
	DefaultWriteTimeout   = 10 * time.Second
)

// Topics used on the Broker. Instances of one app must agree on them.
const (
	broadcastTopic  = "liveview:broadcast"
	roomTopicPrefix = "liveview:room:"
)

// Hub owns a WebSocket endpoint, its connections, its handlers and its
// subscriptions. Create one with New (or use the default one through Plugin)
// and mount it with Middleware. All methods are safe for concurrent use.
type Hub struct {
	cfg        Config
	reg        *registry
	melody     *melody.Melody
	broker     pubsub.Broker
	ownsBroker bool
	log        *slog.Logger
	errHandler func(*Context, error)

	wsPrefix, wsSuffix string

	logOnce    sync.Once
	finishOnce sync.Once

	mu     sync.RWMutex
	closed bool
	conns  map[*conn]struct{}
	topics map[string]*topic
	wg     sync.WaitGroup // one per connection being served
}

// Plugin returns the Echo middleware of the default Hub with the default
// Config. Use it as e.Use(liveview.Plugin()).
func Plugin() echo.MiddlewareFunc { return PluginWithConfig(Config{}) }

// PluginWithConfig creates the default Hub with cfg, makes it the target of
// the package-level Publish and Broadcast, and returns its middleware.
// Handlers registered with the package-level Handle and Use (before or
// after) belong to it. Calling it again creates a new default Hub sharing
// the same handlers; earlier ones keep serving their connections.
func PluginWithConfig(cfg Config) echo.MiddlewareFunc {
	h := newHub(cfg, defaultRegistry)
	defaultMu.Lock()
	defaultHub = h
	defaultMu.Unlock()
	return h.Middleware()
}

var (
	defaultRegistry = newRegistry()
	defaultMu       sync.Mutex
	defaultHub      *Hub
)

// Default returns the Hub created by the last Plugin or PluginWithConfig
// call, or nil.
func Default() *Hub {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	return defaultHub
}

// Handle registers fn for the function name on the default Hub (the Go
// counterpart of @liveview_handler). Registering a name again replaces the
// handler and logs a warning. Call it from init() to register handlers from
// their own files.
func Handle(name string, fn HandlerFunc) { defaultRegistry.handle(name, fn) }

// Use adds middleware to every handler of the default Hub.
func Use(mw ...MiddlewareFunc) { defaultRegistry.use(mw...) }

// Publish sends m to every connection in room through the default Hub. It
// returns ErrNotMounted before Plugin was called.
func Publish(ctx context.Context, room string, m Message) error {
	h := Default()
	if h == nil {
		return ErrNotMounted
	}
	return h.Publish(ctx, room, m)
}

// Broadcast sends m to every connection through the default Hub. It returns
// ErrNotMounted before Plugin was called.
func Broadcast(ctx context.Context, m Message) error {
	h := Default()
	if h == nil {
		return ErrNotMounted
	}
	return h.Broadcast(ctx, m)
}

// New returns a Hub with its own handlers. It never fails on a zero Config;
// an invalid setting (a Path without ":room") panics with a liveview:
// message, like a bad route.
func New(cfg Config) *Hub { return newHub(cfg, newRegistry()) }

func newHub(cfg Config, reg *registry) *Hub {
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if cfg.ScriptPath == "" {
		cfg.ScriptPath = DefaultScriptPath
	}
	if !strings.HasSuffix(cfg.ScriptPath, "/") {
		cfg.ScriptPath += "/"
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = DefaultRateBurst
	}
	if cfg.SendQueueSize <= 0 {
		cfg.SendQueueSize = DefaultSendQueueSize
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	i := strings.Index(cfg.Path, ":room")
	if i < 0 || !strings.HasPrefix(cfg.Path, "/") || !strings.HasSuffix(cfg.Path[:i], "/") ||
		strings.ContainsAny(cfg.Path[i+len(":room"):], ":*") || !(i+len(":room") == len(cfg.Path) || cfg.Path[i+len(":room")] == '/') {
		panic(fmt.Sprintf("liveview: Config.Path %q must look like /prefix/:room/", cfg.Path))
	}
	h := &Hub{
		cfg:      cfg,
		reg:      reg,
		log:      cfg.Logger,
		wsPrefix: cfg.Path[:i],
		wsSuffix: cfg.Path[i+len(":room"):],
		conns:    make(map[*conn]struct{}),
		topics:   make(map[string]*topic),
		broker:   cfg.Broker,
	}
	if h.broker == nil {
		h.broker = pubsub.NewMemory()
		h.ownsBroker = true
	}
	h.errHandler = cfg.ErrorHandler
	if h.errHandler == nil {
		h.errHandler = h.DefaultErrorHandler
	}

	m := melody.New()
	m.Config.MaxMessageSize = cfg.MaxMessageSize
	m.Config.MessageBufferSize = cfg.SendQueueSize
	m.Config.WriteWait = cfg.WriteTimeout
	m.Upgrader = &websocket.Upgrader{
		// Reads go through a small buffer (frames larger than it are read in
		// pieces); write buffers are pooled, so an idle connection holds none.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.checkOrigin,
	}
	m.HandleConnect(h.onConnect)
	m.HandleDisconnect(h.onDisconnect)
	m.HandleMessage(h.onMessage)
	m.HandleMessageBinary(h.onBinary)
	m.HandleError(h.onError)
	m.HandleSentMessage(h.onSent)
	h.melody = m
	return h
}

// Handle registers fn for the function name. Registering a name again
// replaces the handler and logs a warning.
func (h *Hub) Handle(name string, fn HandlerFunc) { h.reg.handle(name, fn) }

// Use adds middleware to every handler, run in the order added.
func (h *Hub) Use(mw ...MiddlewareFunc) { h.reg.use(mw...) }

// ScriptURL returns the URL of the content-hashed client script, served with
// immutable caching: use it in templates instead of liveview.min.js to never
// serve a stale client after an upgrade.
func (h *Hub) ScriptURL() string { return h.cfg.ScriptPath + jsclient.HashedName() }

// Middleware returns the Echo middleware that serves the WebSocket endpoint
// and the client script. Every other request passes to the app untouched.
func (h *Hub) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if seg, ok := h.matchWS(p); ok {
				return h.serveWS(c, seg)
			}
			if strings.HasPrefix(p, h.cfg.ScriptPath) && isClientFile(p[len(h.cfg.ScriptPath):]) {
				jsclient.Handler().ServeHTTP(c.Response(), c.Request())
				return nil
			}
			return next(c)
		}
	}
}

func isClientFile(name string) bool {
	return name == "liveview.min.js" || name == "liveview.js" || name == jsclient.HashedName()
}

// matchWS reports whether path is the WebSocket endpoint and returns its
// room segment. The trailing slash of the pattern is optional.
func (h *Hub) matchWS(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, h.wsPrefix)
	if !ok {
		return "", false
	}
	rest = strings.TrimSuffix(rest, "/")
	if sfx := strings.TrimSuffix(h.wsSuffix, "/"); sfx != "" {
		if rest, ok = strings.CutSuffix(rest, sfx); !ok {
			return "", false
		}
	}
	if rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

func (h *Hub) serveWS(c echo.Context, seg string) error {
	r := c.Request()
	if !h.checkOrigin(r) {
		h.log.Warn("liveview: handshake refused: origin not allowed", "origin", r.Header.Get("Origin"), "host", r.Host)
		return echo.NewHTTPError(http.StatusForbidden, "origin not allowed")
	}
	c.SetParamNames("room")
	c.SetParamValues(seg)
	room := seg
	if h.cfg.Room != nil {
		var err error
		if room, err = h.cfg.Room(c); err != nil {
			return refuse(err, "room refused")
		}
		if room == "" {
			return echo.NewHTTPError(http.StatusForbidden, "room refused")
		}
	} else if len(h.cfg.RoomSecret) > 0 {
		var ok bool
		if room, ok = verifyRoom(h.cfg.RoomSecret, seg); !ok {
			return echo.NewHTTPError(http.StatusForbidden, "room refused").SetInternal(ErrInvalidRoom)
		}
	} else if !ValidRoom(seg) {
		return echo.NewHTTPError(http.StatusBadRequest, ErrInvalidRoom.Error()).SetInternal(ErrInvalidRoom)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return echo.NewHTTPError(http.StatusServiceUnavailable, ErrHubClosed.Error())
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()

	h.logOnce.Do(func() { h.log.Info("liveview: handlers registered", "functions", h.reg.names()) })

	cn := newConn(h, c.Echo(), r, room)
	if h.cfg.OnConnect != nil {
		if err := h.cfg.OnConnect(c, &Context{conn: cn}); err != nil {
			cn.cancel()
			return refuse(err, "connection refused")
		}
	}
	// Join the rooms before the upgrade: once the browser sees the socket
	// open, it receives every Publish and Broadcast.
	if err := h.joinAll(cn); err != nil {
		cn.cancel()
		h.log.Error("liveview: subscribing failed, handshake refused", "room", room, "err", err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "try again later").SetInternal(err)
	}
	keys := map[string]any{connKey: cn}
	if err := h.melody.HandleRequestWithKeys(c.Response(), r, keys); err != nil {
		h.leaveAll(cn)
		cn.cancel()
		if errors.Is(err, melody.ErrClosed) {
			return echo.NewHTTPError(http.StatusServiceUnavailable, ErrHubClosed.Error())
		}
		// The upgrader has already answered the client.
		h.log.Debug("liveview: upgrade failed", "err", err)
	}
	return nil
}

// refuse turns a Room or OnConnect error into the handshake's answer.
func refuse(err error, msg string) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he
	}
	return echo.NewHTTPError(http.StatusForbidden, msg).SetInternal(err)
}

// checkOrigin allows requests without Origin (non-browser clients), from
// the request's own host, or from Config.AllowedOrigins.
func (h *Hub) checkOrigin(r *http.Request) bool {
	if h.cfg.InsecureSkipOriginCheck {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, o := range h.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// Publish sends m to every connection in room, on every instance sharing
// the Broker. The frame is encoded once.
func (h *Hub) Publish(ctx context.Context, room string, m Message) error {
	if room == "" {
		return fmt.Errorf("%w: empty", ErrInvalidRoom)
	}
	return h.publish(ctx, roomTopicPrefix+room, m)
}

// Broadcast sends m to every connection on every instance sharing the
// Broker.
func (h *Hub) Broadcast(ctx context.Context, m Message) error {
	return h.publish(ctx, broadcastTopic, m)
}

func (h *Hub) publish(ctx context.Context, topic string, m Message) error {
	h.mu.RLock()
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return ErrHubClosed
	}
	b, err := m.appendJSON(make([]byte, 0, 64+len(m.HTML)))
	if err != nil {
		return err
	}
	if err := h.broker.Publish(ctx, topic, b); err != nil {
		return fmt.Errorf("liveview: publish: %w", err)
	}
	return nil
}

// Close closes every connection with 1001 (going away, so browsers
// reconnect to another instance) and waits for them to end. See Shutdown.
func (h *Hub) Close() error { return h.Shutdown(context.Background()) }

// Shutdown stops accepting connections, closes every connection with 1001
// (going away) and waits until their handlers and goroutines have finished
// or ctx is done. It then closes the Broker if the Hub created it. Echo's
// own Shutdown ignores hijacked connections, so register it:
//
//	e.Server.RegisterOnShutdown(func() { hub.Shutdown(ctx) })
//
// Calling it again waits again and returns nil.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("liveview: shutdown: %w", ctx.Err())
	}
	var err error
	h.finishOnce.Do(func() {
		_ = h.melody.Close()
		if h.ownsBroker {
			if cerr := h.broker.Close(); cerr != nil {
				err = fmt.Errorf("liveview: closing broker: %w", cerr)
			}
		}
	})
	return err
}

// closeTimeout bounds writing the close frame to a connection.
const closeTimeout = time.Second
