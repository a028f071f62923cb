package liveview

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/echo-liveview/liveview/presence"
	"github.com/echo-liveview/liveview/pubsub"
)

// Config configures a Hub. The zero value is ready to use: every field's
// documentation ends with its default.
type Config struct {
	// Prefix is the URL path the app lives under, such as "/app" when it is
	// an Echo group (e.Group("/app")) or behind a reverse proxy that
	// forwards /app/... as it is: Path and ScriptPath are under it, so the
	// endpoint becomes /app/ws/liveview/:room/ and the client
	// /app/static/liveview/. It is the one setting a prefix needs: the
	// script tag that Hub.ScriptTag ({{liveviewScript}}) writes points at
	// the prefixed client and tells it the prefixed endpoint
	// (data-liveview-path), so the page sets no webSocketConfig.path. A
	// missing leading slash is added and a trailing one removed. The Hub
	// matches the prefixed paths only, so a proxy that strips the prefix
	// should be set to keep it (nginx: proxy_pass without a URI); else
	// leave Prefix "" and write the public URLs into the page yourself (the
	// script's src and webSocketConfig.path). Default: "" (the site root).
	Prefix string

	// Path is the WebSocket endpoint, under Prefix; it must contain the
	// segment ":room". Requests for it (with or without the trailing slash)
	// are upgraded and never reach the app's routes. Default:
	// "/ws/liveview/:room/", the URL Django LiveView's client uses.
	Path string

	// ScriptPath is the URL path, under Prefix, where the JavaScript client
	// is served: liveview.min.js, the readable liveview.js, the
	// content-hashed liveview.<hash>.min.js (see Hub.ScriptURL and
	// Hub.ScriptTag), the ES module liveview.esm.js, and the upload chunk
	// the client loads from the same directory (liveview.uploads.<hash>.js;
	// see package jsclient). Other files under it pass through to the app.
	// Default: "/static/liveview/".
	ScriptPath string

	// Room returns the room of a connecting client, e.g. the user's ID from
	// the session: every connection belongs to exactly one room, the target
	// of Publish. It runs during the handshake, after the app's middleware
	// (sessions, auth), with c.Param("room") set to the URL segment. An
	// error refuses the handshake (with its status if it is an
	// *echo.HTTPError, else 403; one wrapping ErrSessionExpired closes the
	// socket with 4401 instead). Default: the URL segment, which must match
	// ^[A-Za-z0-9_.-]{1,100}$ (else 400). Note that the default room is
	// public: anyone who knows the segment can join it.
	Room func(c echo.Context) (string, error)

	// RoomSecret, when set and Room is nil, makes the endpoint accept only
	// room segments signed by Hub.SignRoom or Hub.SignRoomFor with this
	// secret, unexpired and bound to the connection's RoomSubject if bound
	// at all; anything else is refused with 403 and one log line naming
	// the reason and the start of the segment (never the secret or a
	// subject). These are rooms the server handed out, with or without a
	// session. Use at least 32 random bytes, the same on every instance;
	// changing it invalidates every token. Default: nil (segments are
	// public rooms).
	RoomSecret []byte

	// RoomSubject returns the subject of a connecting client for signed
	// rooms, e.g. the user ID from its session: a segment made by
	// Hub.SignRoomFor(room, subject, ttl) with a subject is accepted only
	// when RoomSubject returns that same subject (compared through the
	// signature, in constant time). It runs during the handshake, after the
	// app's middleware, only for segments bound to a subject, and only when
	// RoomSecret is set and Room is nil; it must be safe for concurrent use.
	// Return "" for a client without one. Default: nil (no connection has a
	// subject: bound segments are refused, unbound ones accepted).
	RoomSubject func(c echo.Context) string

	// OnConnect runs during the handshake, before the upgrade, while Echo's
	// context (session, user, JWT claims) is valid: copy what handlers need
	// into the connection store with lc.Set. lc has no event and cannot send
	// yet. An error refuses the connection like a Room error (one wrapping
	// ErrSessionExpired: the upgrade completes and the socket is closed with
	// 4401, so the client reloads the page). Default: none.
	OnConnect func(c echo.Context, lc *Context) error

	// OnDisconnect runs once when a connection that was accepted closes, for
	// any reason. Default: none.
	OnDisconnect func(lc *Context)

	// AllowedOrigins lists origins ("https://app.example.com") that may open
	// WebSockets besides the request's own. Browsers send Origin on every
	// WebSocket handshake; a request without Origin (a non-browser client)
	// is allowed. Origins are compared by scheme, host and port (a missing
	// port is the scheme's default). The request's own origin is its scheme
	// as echo.Context.Scheme reports it (X-Forwarded-Proto counts only from
	// the proxies Echo's SchemeExtractor trusts: by default loopback and
	// private addresses), its Host header and port; behind a proxy that
	// Echo does not trust, list the public origin here. An entry that is
	// not an http or https origin panics in New. Default: only the request's
	// own origin.
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
	// may send; RateBurst the number it may send at once. Frames that do not
	// decode count too. Excess events get an error frame and are dropped;
	// the connection stays open. A negative RateLimit disables the limit.
	// Default: 100 per second, burst 500.
	RateLimit float64
	RateBurst int

	// MaxConnsPerIP bounds the open connections, and the handshakes in
	// progress, of one client address (echo.Context.RealIP, so it follows
	// Echo's IPExtractor behind a proxy); the next handshake is refused with
	// 429. Set e.IPExtractor: without one, Echo's RealIP believes any
	// client's X-Forwarded-For, which would let a client dodge this limit
	// (the Hub logs a warning the first time it sees such a header then).
	// Many users behind one NAT share an address: raise it for them. A
	// negative value disables the limit. Default: 256.
	MaxConnsPerIP int

	// IPRateLimit, when positive, is the sustained number of events per
	// second that all the connections of one client address may send
	// together, IPRateBurst the number at once; excess events are refused
	// like RateLimit's. It keeps one client from multiplying RateLimit by
	// opening many connections. Default: 0, no limit per address (only
	// RateLimit per connection); IPRateBurst defaults to RateBurst.
	IPRateLimit float64
	IPRateBurst int

	// HandshakeTimeout bounds a WebSocket handshake from the moment the
	// request reaches the Hub: Room, OnConnect and subscribing to the
	// connection's topics on the Broker must be done by then (the Broker
	// gets the deadline; a handshake that Room or OnConnect made late is
	// refused with 503), and writing the upgrade's answer gets as long
	// again. Request headers arrive before the Hub sees the request: bound
	// them with http.Server.ReadHeaderTimeout (see the README's "Production
	// server"). Default: 10s.
	HandshakeTimeout time.Duration

	// SendQueueBytes bounds each connection's backlog: the bytes of the
	// frames queued for it and not yet written to its socket (each frame
	// counted with 64 bytes of overhead). A client is disconnected only
	// when it is itself behind: its backlog would pass this budget, or
	// writing one frame to it makes no progress for WriteTimeout. Never
	// because other clients are busy: a burst that one visitor triggers
	// queues up to this budget for every reader, which loopback readers and
	// browsers on a normal link drain long before it is reached. When a
	// frame would pass the budget, Context sends wait for room (up to
	// WriteTimeout), while Publish and Broadcast deliveries do not wait: the
	// client is disconnected (it reconnects) instead of silently missing
	// fragments or slowing other clients. An idle connection holds no queue
	// memory. Default: 4 MiB.
	SendQueueBytes int

	// PublishLimit is the sustained number of bytes per second that the
	// events of one connection may send through Context.Publish and
	// Context.Broadcast; PublishBurst the number of bytes at once. It bounds
	// how much one visitor can make the Hub send to everybody else: a
	// handler that broadcasts what the user typed gets an error wrapping
	// ErrRateLimited beyond it (the client sees "Rate limit exceeded").
	// Hub.Publish and Hub.Broadcast (background jobs) are not limited. A
	// negative PublishLimit disables the limit. Default: 256 KiB per
	// second, burst 1 MiB (a quarter of SendQueueBytes, so one visitor's
	// burst never fills a reader's queue).
	PublishLimit float64
	PublishBurst int

	// WriteTimeout bounds writing one frame to the network, and how long a
	// Context send waits for room in a full send queue; a client slower than
	// that is disconnected. Default: 10s.
	WriteTimeout time.Duration

	// DrainWindow is the window over which clients spread their reconnects
	// after Hub.Shutdown (or the Shutdown of the http.Server serving the
	// Hub): every socket is closed with 1012 (service restart) and the
	// reason "liveview:restart:<milliseconds>", and the bundled client
	// reconnects after a random delay in [0, DrainWindow] instead of all
	// clients at once. A negative value asks clients to reconnect at once.
	// Shutdown itself does not wait for the window. Default: 5s.
	DrainWindow time.Duration

	// MaxHandshakes caps the WebSocket handshakes the Hub runs at once,
	// from the request reaching the endpoint to the end of the upgrade
	// (Room, OnConnect and the Broker subscription included). Above it, a
	// handshake is answered 503 with "Retry-After: 1" at once, and the
	// bundled client waits that long (jittered) before it tries again; the
	// refusals are logged as one summary line per 10 seconds. It bounds the
	// work a reconnect storm puts on one instance (when another instance
	// stopped without draining, or Redis is slow) without refusing the
	// connections themselves, which are not counted. A negative value
	// removes the cap. Default: 100.
	MaxHandshakes int

	// MaxTopics caps the topics one connection may join with Context.Join,
	// besides its room and the broadcast topic; a Join beyond it returns an
	// error wrapping ErrTooManyTopics. A negative value removes the cap.
	// Default: 32.
	MaxTopics int

	// ValidTopic reports whether Context.Join accepts a topic name; a
	// refused name gets an error wrapping ErrInvalidTopic. The
	// connection's own room is always accepted (joining it is a no-op).
	// It must be safe for concurrent use. Default: the package's
	// ValidTopic (1 to 200 bytes of A-Z a-z 0-9 _ . : / @ -).
	ValidTopic func(topic string) bool

	// Presence is the shared presence Tracker: Context.Track,
	// ShowPresence, WatchPresence and Hub.Presence use it. Hubs given the
	// same store (package presence/redis with one Redis) see the same
	// lists. The Hub does not close a Tracker it was given. Default: a new
	// in-process tracker per Hub (presence.NewMemory), closed with the Hub:
	// right for one instance, per instance with several.
	Presence presence.Tracker

	// PresenceInterval is the most often a ShowPresence list is rendered
	// again for a topic: changes within it are coalesced into one render
	// (300 tabs opening at once cost one render per interval, not 300).
	// Default: 100ms.
	PresenceInterval time.Duration

	// Broker carries Broadcast and Publish between instances. Hubs given the
	// same Broker behave as instances of one app. The Hub does not close a
	// Broker it was given. Default: a new in-memory broker per Hub
	// (pubsub.NewMemory), closed with the Hub.
	Broker pubsub.Broker

	// Dedupe is where the Hub records the events it ran, so that an event
	// the client sends again after a reconnect (the same "id") runs once,
	// on whichever instance it reaches (see the README, "Exactly-once
	// events"). Default: the Broker when it implements DedupeStore
	// (pubsub.Memory, pubsub/redis.Broker: the same Redis, SET NX with a
	// TTL), else a bounded in-process store per Hub (pubsub.NewDedupe).
	Dedupe DedupeStore
	// DedupeTTL is how long the record of an event that ran is kept: a
	// re-send within it is answered from the record and does not run.
	// Default: DefaultDedupeTTL (2 minutes). Negative: no dedupe at all
	// (every event runs as it arrives, re-sends included).
	DedupeTTL time.Duration
	// DedupeLease is how long the claim of a running event lasts: a
	// re-send meanwhile is answered "retry" (the client sends it again
	// later); once it expired without a record (the instance died
	// mid-run, or the record could not be stored), the next re-send runs
	// the handler again. It must exceed the longest handler. Default:
	// DefaultDedupeLease (30 s).
	DedupeLease time.Duration
	// DedupeFrameBytes bounds the frames recorded for one event (a
	// duplicate is answered with them); over it, the record keeps none
	// and a duplicate is answered "processed". Default:
	// DefaultDedupeFrameBytes (64 KiB).
	DedupeFrameBytes int
	// DedupeConnBytes bounds the recorded frames of one connection within
	// DedupeTTL; past it, records keep no frames. Default:
	// DefaultDedupeConnBytes (1 MiB).
	DedupeConnBytes int
	// DedupeTimeout bounds each store call (a claim before the handler,
	// the record after it). A store that does not answer in time counts
	// as unreachable: the event is answered "retry" and does not run.
	// Default: DefaultDedupeTimeout (1 s).
	DedupeTimeout time.Duration

	// KeepValues lists the Context.Set keys whose values survive a
	// reconnect of the same page to any instance ("Values across
	// reconnects" in the README): after an event that Set one of them,
	// the Hub saves the listed values (JSON) in the shared store
	// (ValueStore), under a key derived from the page's secret; when the
	// page reconnects, they are restored into the new connection before
	// OnConnect runs, so Context.Get finds them there. Each key maps to a
	// value of the type Get returns after a restore (its zero value:
	// Cart{}, 0, "", (*Cart)(nil); nil for JSON's generic any). Nil or
	// empty: nothing is kept (the default).
	KeepValues map[string]any
	// KeepBytes bounds the saved values of one page (their JSON); over
	// it, nothing is kept until they fit again, and one line is logged.
	// Default: DefaultKeepBytes (4 KiB).
	KeepBytes int
	// KeepTTL is how long the saved values live after the event that
	// last changed them. Default: DefaultKeepTTL (30 minutes).
	KeepTTL time.Duration

	// I18n holds the app's translations. Each message is translated into
	// its own locale: the frame's lang (the page's <html lang>), else the
	// handshake's Accept-Language, else the bundle's default language (see
	// Context.Locale). Its messages also override the built-in validation
	// messages by ID (see FieldErrors). The bundle must not change once the
	// Hub serves. Default: nil (Context.T returns message IDs; locales are
	// chosen among the built-in catalog's English and Spanish).
	I18n *i18n.Bundle

	// Validator checks structs in Context.Validate. Register custom
	// validations on it before the Hub serves. To keep form field names in
	// FieldErrors, start from NewValidator or register FormFieldName as its
	// tag name function. Default: one validator shared by every Hub that
	// has none (see DefaultValidator), with required-struct validation on.
	Validator *validator.Validate

	// Logger receives the Hub's logs: the one switch for where they go and
	// at which level. Every line about a connection, an event or a
	// handshake carries the same attribute names, where they exist:
	// "room", "function" (clipped to MaxClientStringLog), "remote" (the
	// client address, on every such line, refused handshakes included)
	// and "conn" (the connection's id, ConnInfo.ID in hooks; a handshake
	// has one once its room was accepted), so a handler that filters or
	// indexes them works on all of them. Lines a client can cause are
	// bounded (see DefaultErrorHandler). Default: slog.Default().
	Logger *slog.Logger

	// Hooks receive the Hub's observability events (connections, events,
	// frames, the Broker, queues, uploads, presence): give them to a
	// metrics or tracing adapter (observe/prometheus, observe/otel) or
	// your own. The Hub copies the struct in New. Nil (the default)
	// costs nothing: no allocation, one branch per site.
	Hooks *Hooks

	// ProfileLabels runs every handler under the runtime/pprof label
	// liveview_function=<function name>, so a CPU profile
	// (net/http/pprof's /debug/pprof/profile, `go tool pprof -tagfocus`)
	// shows which function costs what. pprof.Do allocates a few times per
	// event (docs/PERFORMANCE.md): enable it when profiling. Default:
	// false.
	ProfileLabels bool

	// ErrorHandler is called for every failed event: bad frames, unknown
	// functions, rate limiting, handler errors and recovered panics. It may
	// send an error frame with lc.Send. A handler error wrapping
	// ErrSessionExpired does not reach it: the Hub closes the connection
	// with 4401. Default: Hub.DefaultErrorHandler.
	ErrorHandler func(lc *Context, err error)

	// Upload configures file uploads (<input type="file"> in a live form,
	// read with Context.FormFile): where temporary files go and the
	// limits. The zero value accepts uploads with the defaults listed in
	// UploadConfig.
	Upload UploadConfig

	// Debug sends internal error text to the client in error frames, and
	// logs hints for the developer: a Context.Data, FormValue or Bind data
	// tag that found no key while the event has a near spelling (once per
	// function and key). Never enable it in production. Default: false
	// (clients see generic texts; *Error messages are always shown).
	Debug bool
}

// UploadConfig configures file uploads. Files travel over the page's own
// WebSocket, after an announce the Hub checks against these limits: a file
// over a limit is refused before any of its bytes is sent, with a
// translated message for the page (the built-in catalog's
// liveview.upload.* messages, overridable through Config.I18n). Chunks are
// written to temporary files as they arrive, so a file never sits in
// memory, and the handler runs only once every file of its event arrived
// complete. Every field's zero value means its default. The Hub reads it
// once, in New: it must not change afterwards.
type UploadConfig struct {
	// Dir is where temporary files are written, each with a random name
	// ("liveview-upload-*", mode 0600), deleted after the handler returns
	// (unless it kept the file with File.MoveTo), when the upload is
	// cancelled or refused, and when the connection closes. It must exist
	// and be writable; an upload that cannot be written is refused (and
	// logged). Put it on the filesystem MoveTo targets to make keeping a
	// file a rename. Default: os.TempDir().
	Dir string

	// MaxFileSize is the largest file accepted, in bytes. A negative value
	// removes the limit. Default: 10 MiB.
	MaxFileSize int64

	// MaxFiles is the largest number of files one event may bring, all its
	// file inputs together. Default: 10.
	MaxFiles int

	// MaxConcurrent is the number of uploads one connection may have at
	// once, from the announce until the event that consumes the upload
	// (or its cancel, refusal or disconnect). It bounds the temporary disk
	// space one page holds to MaxConcurrent x MaxFiles x MaxFileSize.
	// Default: 3.
	MaxConcurrent int

	// ChunkSize is the largest number of file bytes in one binary frame.
	// With the 15-byte chunk header it must fit in Config.MaxMessageSize:
	// New panics when it does not. Default: 60 KiB, or less when
	// MaxMessageSize leaves less room.
	ChunkSize int

	// Accept lists the accepted types: MIME types ("image/png"), families
	// ("image/*") or file name extensions (".pdf"), as the accept
	// attribute of an <input type="file"> does, but checked by the server:
	// a file must match one by its name or announced type, and its first
	// bytes must not sniff (http.DetectContentType) as a format that
	// matches none (an HTML page named photo.png is refused; formats the
	// sniffer does not know pass). An entry of another form panics in New.
	// Default: nil, any type.
	Accept []string

	// Functions overrides MaxFileSize, MaxFiles and Accept for the uploads
	// of one function (the data-liveview-function whose event brings the
	// files), by name. Its zero fields inherit the values above. Default:
	// nil.
	Functions map[string]UploadLimits

	// Disabled refuses every upload: the page gets an upload error frame,
	// and an event's file inputs bring no file. Default: false.
	Disabled bool
}

// UploadLimits are the limits of one function's uploads
// (UploadConfig.Functions). A zero field inherits UploadConfig's value; a
// negative MaxFileSize removes the limit.
type UploadLimits struct {
	MaxFileSize int64
	MaxFiles    int
	Accept      []string
}

// chunkHeaderSize is the size of a binary chunk frame's header: kind (1),
// upload id (4), file index (2), offset (8).
const chunkHeaderSize = 15

// Defaults, in one place.
const (
	DefaultPath             = "/ws/liveview/:room/"
	DefaultScriptPath       = "/static/liveview/"
	DefaultMaxMessageSize   = 64 << 10
	DefaultRateLimit        = 100
	DefaultRateBurst        = 500
	DefaultSendQueueBytes   = 4 << 20
	DefaultPublishLimit     = 256 << 10
	DefaultPublishBurst     = 1 << 20
	DefaultWriteTimeout     = 10 * time.Second
	DefaultMaxConnsPerIP    = 256
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultDrainWindow      = 5 * time.Second
	DefaultMaxHandshakes    = 100
	DefaultMaxTopics        = 32

	DefaultUploadMaxFileSize   = 10 << 20
	DefaultUploadMaxFiles      = 10
	DefaultUploadMaxConcurrent = 3
	DefaultUploadChunkSize     = 60 << 10
)

// withDefaults returns cfg with every zero field set to its default: the
// one place defaults are applied.
func (cfg Config) withDefaults() Config {
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if cfg.ScriptPath == "" {
		cfg.ScriptPath = DefaultScriptPath
	}
	if !strings.HasSuffix(cfg.ScriptPath, "/") {
		cfg.ScriptPath += "/"
	}
	if cfg.Prefix = strings.TrimRight(cfg.Prefix, "/"); cfg.Prefix != "" {
		if !strings.HasPrefix(cfg.Prefix, "/") {
			cfg.Prefix = "/" + cfg.Prefix
		}
		cfg.Path = cfg.Prefix + "/" + strings.TrimPrefix(cfg.Path, "/")
		cfg.ScriptPath = cfg.Prefix + "/" + strings.TrimPrefix(cfg.ScriptPath, "/")
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
	if cfg.SendQueueBytes <= 0 {
		cfg.SendQueueBytes = DefaultSendQueueBytes
	}
	if cfg.PublishLimit == 0 {
		cfg.PublishLimit = DefaultPublishLimit
	}
	if cfg.PublishBurst <= 0 {
		cfg.PublishBurst = DefaultPublishBurst
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MaxConnsPerIP == 0 {
		cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if cfg.IPRateBurst <= 0 {
		cfg.IPRateBurst = cfg.RateBurst
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.DrainWindow == 0 {
		cfg.DrainWindow = DefaultDrainWindow
	}
	if cfg.MaxHandshakes == 0 {
		cfg.MaxHandshakes = DefaultMaxHandshakes
	}
	if cfg.MaxTopics == 0 {
		cfg.MaxTopics = DefaultMaxTopics
	}
	if cfg.DedupeTTL == 0 {
		cfg.DedupeTTL = DefaultDedupeTTL
	}
	if cfg.DedupeLease <= 0 {
		cfg.DedupeLease = DefaultDedupeLease
	}
	if cfg.DedupeFrameBytes <= 0 {
		cfg.DedupeFrameBytes = DefaultDedupeFrameBytes
	}
	if cfg.DedupeConnBytes <= 0 {
		cfg.DedupeConnBytes = DefaultDedupeConnBytes
	}
	if cfg.DedupeTimeout <= 0 {
		cfg.DedupeTimeout = DefaultDedupeTimeout
	}
	if cfg.KeepBytes <= 0 {
		cfg.KeepBytes = DefaultKeepBytes
	}
	if cfg.KeepTTL <= 0 {
		cfg.KeepTTL = DefaultKeepTTL
	}
	if cfg.PresenceInterval <= 0 {
		cfg.PresenceInterval = 100 * time.Millisecond
	}
	if cfg.ValidTopic == nil {
		cfg.ValidTopic = ValidTopic
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Upload = cfg.Upload.withDefaults(cfg.MaxMessageSize)
	if cfg.Validator == nil {
		cfg.Validator = DefaultValidator()
	}
	return cfg
}

// withDefaults returns u with every zero field set to its default, within
// a frame of maxMessage bytes.
func (u UploadConfig) withDefaults(maxMessage int64) UploadConfig {
	if u.Dir == "" {
		u.Dir = os.TempDir()
	}
	if u.MaxFileSize == 0 {
		u.MaxFileSize = DefaultUploadMaxFileSize
	}
	if u.MaxFiles <= 0 {
		u.MaxFiles = DefaultUploadMaxFiles
	}
	if u.MaxConcurrent <= 0 {
		u.MaxConcurrent = DefaultUploadMaxConcurrent
	}
	if u.ChunkSize <= 0 {
		u.ChunkSize = int(min(DefaultUploadChunkSize, maxMessage-chunkHeaderSize))
	}
	return u
}

// check panics, like a bad route, on upload settings that cannot work.
func (u *UploadConfig) check(maxMessage int64) {
	if !u.Disabled && (u.ChunkSize < 1 || int64(u.ChunkSize)+chunkHeaderSize > maxMessage) {
		panic(fmt.Sprintf("liveview: Config.Upload.ChunkSize %d plus the %d-byte chunk header must fit in Config.MaxMessageSize %d: lower ChunkSize (or leave it 0) or raise MaxMessageSize",
			u.ChunkSize, chunkHeaderSize, maxMessage))
	}
	checkAccept("Config.Upload.Accept", u.Accept)
	for name, l := range u.Functions {
		checkAccept(fmt.Sprintf("Config.Upload.Functions[%q].Accept", name), l.Accept)
	}
}
