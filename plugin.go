package liveview

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	"github.com/olahol/melody"
	"golang.org/x/time/rate"

	"github.com/echo-liveview/liveview/jsclient"
	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/pubsub"
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

	tracker     presence.Tracker // Config.Presence, or its own Memory
	ownsTracker bool
	presMu      sync.Mutex
	presTopics  map[string]*presenceTopic // presence.go: the topics watched here
	log         *slog.Logger
	errHandler  func(*Context, error)

	wsPrefix, wsSuffix string

	allowedOrigins []origin     // Config.AllowedOrigins, parsed
	uploads        *uploadRules // Config.Upload's limits, parsed (upload.go)
	ips            ipLimits
	handshakeLogs  hubLogs
	eventLines     *eventLineLogger // limits.go

	logOnce    sync.Once
	ipWarnOnce sync.Once // limits.go: clientIP
	finishOnce sync.Once
	i18nLogged sync.Map // "locale\x00id" of translation problems already logged

	mu     sync.RWMutex
	closed bool
	conns  map[*conn]struct{}
	topics map[string]*topic
	wg     sync.WaitGroup // one per connection being served

	drain drain // drain.go: handshake admission, server registration

	once hubOnce    // once.go: the dedupe store
	keep ValueStore // values.go: the store of kept values, nil when none are

	hints  hintLog   // datakeys.go: the Config.Debug hints already logged
	render hubRender // component.go: the Echo of Hub renders, the missing-Renderer warning

	hooks    *Hooks        // hooks.go: a copy of Config.Hooks, nil for none
	stopGaps func()        // hooks.go: ends the Broker's BrokerGap watch
	events   atomic.Uint64 // stats.go: frames received as events
	stats    statsState    // stats.go: the last events/s sample
	statsHub *Hub          // stats.go: the stats page's Hub, made by StatsHandler (under mu)
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
// counterpart of @liveview_handler), with middleware mw for this handler
// only (see HandlerGroup for the order). Registering a name again replaces
// the handler and logs a warning. Call it from init() to register handlers
// from their own files.
func Handle(name string, fn HandlerFunc, mw ...MiddlewareFunc) {
	defaultRegistry.handle(&defaultRegistry.root, name, fn, mw)
}

// Use adds middleware to every handler of the default Hub.
func Use(mw ...MiddlewareFunc) { defaultRegistry.use(&defaultRegistry.root, mw...) }

// Publish sends m to every connection in topic (a room, or a topic
// connections joined with Context.Join) through the default Hub. It
// returns ErrNotMounted before Plugin was called.
func Publish(ctx context.Context, topic string, m Message) error {
	h := Default()
	if h == nil {
		return ErrNotMounted
	}
	return h.Publish(ctx, topic, m)
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
	cfg = cfg.withDefaults()
	i := strings.Index(cfg.Path, ":room")
	if i < 0 || !strings.HasPrefix(cfg.Path, "/") || !strings.HasSuffix(cfg.Path[:i], "/") ||
		strings.ContainsAny(cfg.Path[i+len(":room"):], ":*") || !(i+len(":room") == len(cfg.Path) || cfg.Path[i+len(":room")] == '/') {
		panic(fmt.Sprintf("liveview: Config.Path %q must look like /prefix/:room/", cfg.Path))
	}
	cfg.Upload.check(cfg.MaxMessageSize)
	h := &Hub{
		cfg:      cfg,
		reg:      reg,
		log:      cfg.Logger,
		wsPrefix: cfg.Path[:i],
		wsSuffix: cfg.Path[i+len(":room"):],
		conns:    make(map[*conn]struct{}),
		topics:   make(map[string]*topic),
		broker:   cfg.Broker,

		allowedOrigins: parseAllowedOrigins(cfg.AllowedOrigins),
		uploads:        newUploadRules(&cfg.Upload),
	}
	h.eventLines = &eventLineLogger{h: h, limiter: rate.NewLimiter(eventLinesPerSecond, eventLinesBurst)}
	if h.broker == nil {
		h.broker = pubsub.NewMemory()
		h.ownsBroker = true
	}
	h.initOnce()
	h.initKeep() // values.go
	h.tracker = cfg.Presence
	if h.tracker == nil {
		h.tracker = presence.NewMemory(presence.Limits{})
		h.ownsTracker = true
	}
	h.presTopics = make(map[string]*presenceTopic)
	if cfg.Hooks != nil {
		hk := *cfg.Hooks
		h.hooks = &hk
		h.watchGaps() // hooks.go
	}
	h.stats.start(h) // stats.go
	h.errHandler = cfg.ErrorHandler
	if h.errHandler == nil {
		h.errHandler = h.DefaultErrorHandler
	}

	m := melody.New()
	m.Config.MaxMessageSize = cfg.MaxMessageSize
	m.Config.MessageBufferSize = melodySlots
	m.Config.WriteWait = cfg.WriteTimeout
	m.Upgrader = &websocket.Upgrader{
		// Buffer sizes 0 and no write-buffer pool: the connection reads and
		// writes through the 4 KiB buffers net/http allocated for the
		// request, which the hijacked connection keeps anyway, instead of
		// allocating a second pair (and a pool entry per write).
		CheckOrigin:      func(*http.Request) bool { return true }, // admit checked it, with Echo's view of the scheme
		HandshakeTimeout: cfg.HandshakeTimeout,
	}
	m.HandleConnect(h.upgraded) // drain.go: ends the handshake's admission, then onConnect
	m.HandleDisconnect(h.onDisconnect)
	m.HandleMessage(h.onMessage)
	m.HandleMessageBinary(h.onBinary)
	m.HandleError(h.onError)
	m.HandleSentMessage(h.onSent)
	h.melody = m
	return h
}

// Handle registers fn for the function name, with middleware mw for this
// handler only, run after the Hub's (see HandlerGroup). Registering a name
// again replaces the handler and logs a warning.
func (h *Hub) Handle(name string, fn HandlerFunc, mw ...MiddlewareFunc) {
	h.reg.handle(&h.reg.root, name, fn, mw)
}

// Use adds middleware to every handler, run in the order added.
func (h *Hub) Use(mw ...MiddlewareFunc) { h.reg.use(&h.reg.root, mw...) }

// ScriptURL returns the URL of the content-hashed client script, served with
// immutable caching: use it in templates instead of liveview.min.js to never
// serve a stale client after an upgrade.
func (h *Hub) ScriptURL() string { return h.cfg.ScriptPath + jsclient.HashedName() }

// Path returns the WebSocket endpoint's pattern, Config.Path under
// Config.Prefix ("/ws/liveview/:room/" by default), as ScriptTag hands it
// to the client.
func (h *Hub) Path() string { return h.cfg.Path }

// Middleware returns the Echo middleware that serves the WebSocket endpoint
// and the client script. Every other request passes to the app untouched.
func (h *Hub) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			seg, ws := h.matchWS(p)
			h.sawRequest(c.Echo(), ws) // component.go: the Echo of Hub renders; the missing-Renderer warning
			if ws {
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

// isClientFile reports whether name, the path after Config.ScriptPath, is a
// file of the client: its bundles and its upload chunk, by their stable and
// content-hashed names (jsclient.Handler).
func isClientFile(name string) bool {
	return jsclient.Has(name)
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

// Publish sends m to every connection in topic, on every instance sharing
// the Broker: a room or a topic (the connections whose room is topic and
// those that joined it with Context.Join alike). The frame is encoded
// once, and a Message.Content rendered once, in the language WithLocale
// put in ctx (else the default one). An empty topic is an error wrapping
// ErrInvalidRoom.
func (h *Hub) Publish(ctx context.Context, topic string, m Message) error {
	if topic == "" {
		return fmt.Errorf("%w: empty", ErrInvalidRoom)
	}
	return h.publish(ctx, roomTopicPrefix+topic, m, nil)
}

// Broadcast sends m to every connection on every instance sharing the
// Broker, rendering a Message.Content like Publish.
func (h *Hub) Broadcast(ctx context.Context, m Message) error {
	return h.publish(ctx, broadcastTopic, m, nil)
}

// publish encodes m once and hands it to the Broker. from is the
// connection whose event publishes (Context.Publish, Context.Broadcast),
// charged against its publish budget; nil for Hub.Publish and
// Hub.Broadcast.
func (h *Hub) publish(ctx context.Context, topic string, m Message, from *conn) error {
	h.mu.RLock()
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return ErrHubClosed
	}
	b, err := h.encode(ctx, &m) // component.go: renders Message.Content
	if err != nil {
		return err
	}
	if from != nil && !from.allowPublish(len(b)) {
		return fmt.Errorf("%w: this connection's publish budget (Config.PublishLimit) is spent", ErrRateLimited)
	}
	if hk := h.hooks; hk != nil && hk.BrokerPublish != nil {
		start := time.Now()
		err = h.broker.Publish(ctx, topic, b)
		h.observePublish(topic, len(b), start, err) // hooks.go
	} else {
		err = h.broker.Publish(ctx, topic, b)
	}
	if err != nil {
		return fmt.Errorf("liveview: publish: %w", err)
	}
	return nil
}

// Close closes every connection with 1012 (service restart, so browsers
// reconnect, spread over Config.DrainWindow) and waits for them to end. See
// Shutdown.
func (h *Hub) Close() error { return h.Shutdown(context.Background()) }

// Shutdown stops accepting connections (new handshakes get 503 with
// Retry-After), closes every connection with 1012 (service restart) and the
// reason "liveview:restart:<Config.DrainWindow in ms>", so the bundled
// client reconnects after a random delay within that window, and waits
// until the connections' handlers and goroutines have finished or ctx is
// done. It then closes the Broker if the Hub created it.
//
// Echo's own Shutdown ignores hijacked connections, so the Hub registers
// this method with the Shutdown of every http.Server that serves its
// endpoint (at the first request it sees there): e.Shutdown(ctx) starts
// the drain. net/http runs it in a goroutine and does not wait for it, so
// call Shutdown after e.Shutdown to wait until every close frame is out:
//
//	_ = e.Shutdown(ctx)
//	_ = hub.Shutdown(ctx)
//
// Calling it again, or concurrently, waits again and returns nil.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	statsHub := h.statsHub
	h.mu.Unlock()
	if statsHub != nil {
		_ = statsHub.Shutdown(ctx) // stats.go: the stats page's few connections
	}
	h.closeAllForRestart(conns) // drain.go: 1012 with the drain window, several at a time
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("liveview: shutdown: %w", ctx.Err())
	}
	var err error
	h.finishOnce.Do(func() {
		if h.stopGaps != nil {
			h.stopGaps()
		}
		h.stopHandshakeLogs()
		_ = h.melody.Close()
		if h.ownsBroker {
			if cerr := h.broker.Close(); cerr != nil {
				err = fmt.Errorf("liveview: closing broker: %w", cerr)
			}
		}
		if h.ownsTracker {
			if cerr := h.tracker.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("liveview: closing presence tracker: %w", cerr)
			}
		}
	})
	return err
}

// closeTimeout bounds writing the close frame to a connection.
const closeTimeout = time.Second
