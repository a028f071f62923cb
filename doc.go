// Package liveview brings Django LiveView's "HTML over WebSockets" to Echo.
//
// The browser sends small JSON events over one WebSocket per page; Go
// handlers answer with HTML fragments rendered by the app's own Echo
// templates; the bundled JavaScript client puts them into the page. HTML
// written for Django LiveView (data-liveview-function, data-action,
// data-data-*, <html data-room>) works unchanged: porting an app means
// rewriting only its Python handlers in Go.
//
// # Quick start
//
//	e := echo.New()
//	e.Renderer = templates // the app's html/template renderer, reused for fragments
//	e.Use(liveview.Plugin())
//	liveview.Handle("say_hello", func(c *liveview.Context) error {
//		return c.Render("#greeting", "greeting.html", c.FormValue("name"))
//	})
//	e.Server.ReadHeaderTimeout = 5 * time.Second // a half-sent request never holds a connection
//	e.Server.IdleTimeout = 2 * time.Minute
//	e.Logger.Fatal(e.Start(":8080"))
//
// with, in the page:
//
//	<html lang="en" data-room="lobby">
//	<body data-controller="page">
//	  <input type="text" name="name">
//	  <button data-liveview-function="say_hello" data-action="click->page#run">Say hello</button>
//	  <div id="greeting"></div>
//	  <script src="/static/liveview/liveview.min.js" defer></script>
//	</body>
//
// The plugin answers two kinds of requests itself and passes every other
// request to the app: the WebSocket endpoint (Config.Path, default
// /ws/liveview/<room>/) and the client script (Config.ScriptPath, default
// /static/liveview/liveview.min.js, the readable liveview.js and the
// content-hashed name returned by Hub.ScriptURL).
//
// Handlers read the event with Context.FormValue, Context.Data and friends,
// and answer with Context.Render, Append, Remove, Navigate, HTML, ScrollTo,
// ScrollTop or Send, or reach other pages with Context.Publish (one room)
// and Context.Broadcast (everyone). Hub.Publish and Hub.Broadcast do the
// same from anywhere: background jobs, other goroutines. The Messages built
// by Render and Append carry a template rendered when sent, in one call;
// Message.Content takes any Component (templ's Render(ctx, io.Writer)
// method set) the same way; WithLocale gives the Hub's renders a language.
// Middleware applies to every handler (Use), to a group (Hub.Group) or to
// one handler (the last arguments of Handle). Beyond Django
// LiveView, Context.Morph merges a fragment into the page keeping focus and
// typed input, Context.Dispatch fires a JavaScript CustomEvent on the page,
// Context.JS (and Message.JS) runs JS commands there (show, hide, classes,
// attributes, focus: those of the data-liveview-js attribute),
// Context.Reply answers a client hook's pushEvent, Context.Flash shows a
// message in the page's data-liveview-flash element (kept across
// navigations and redirects), Context.Redirect makes a full page load,
// returning ErrSessionExpired closes the socket with 4401 so the page
// reloads instead of reconnecting forever,
// streams (Context.StreamInsert, StreamDelete, SendStream, Stream) insert,
// update in place and delete the items of a list by DOM id while the
// server keeps nothing, and every event the bundled client sends is
// answered with its ref so the client can show a loading state (the
// additive wire keys are listed in the comment at the top of message.go;
// see also Event.Ref and Message).
//
// # Rooms
//
// Every connection belongs to one room, decided by the server during the
// handshake. By default it is the URL segment (which the client takes from
// <html data-room>), validated against ^[A-Za-z0-9_.-]{1,100}$: a public
// room, as in Django LiveView, that anyone knowing the name may join. For
// rooms per user, derive the room from the session with Config.Room. To
// hand out rooms the client cannot forge, set Config.RoomSecret and render
// Hub.SignRoom(name) into data-room, or Hub.SignRoomFor(name, subject, ttl)
// for a token that expires after ttl and, with a subject, is accepted only
// from a connection whose Config.RoomSubject (e.g. the session's user ID)
// returns that subject; the subject is part of the signature, never of the
// token. Any other segment is refused with 403. The room the client writes
// into its JSON is always ignored.
//
// # Topics
//
// Beside its room, a connection joins any number of topics with
// Context.Join (from Config.OnConnect too, before the upgrade) and leaves
// them with Context.Leave; membership ends with the connection. A room is a
// topic: Hub.Publish(ctx, topic, m) reaches the connections whose room is
// topic and those that joined it, each frame once, in the order of each
// publisher. Join returns once the Broker subscription is active (one per
// topic per instance, shared by its local members). Config.MaxTopics (32)
// and Config.ValidTopic (ValidTopic) bound what a connection joins:
// ErrTooManyTopics, ErrInvalidTopic. Hub.Disconnect(ctx, topic, reason)
// closes every connection in a topic on every instance with
// CloseDisconnected (4403): the bundled client shows the reason in its
// banner and does not reconnect.
//
// # Presence
//
// Context.Track(topic, key, meta) makes a connection present in a topic
// (key: who, e.g. a user id; meta: any JSON value) until Untrack or its
// end; Context.ShowPresence renders the topic's list ([]Present, one key
// per user with a meta per connection) into a target with a template, now
// and after every change on any instance, coalesced per
// Config.PresenceInterval and rendered once per instance; WatchPresence
// gets each change as a presence.Diff; Hub.Presence lists it. The store is
// Config.Presence: in memory per Hub by default, package presence/redis
// across instances, with a lease so that the entries of an instance that
// dies vanish from every list within a documented bound (12.5s by
// default), and rebuilt from the live instances after a Redis restart.
// Package presence documents the Tracker contract and presencetest checks
// it.
//
// # Forms
//
// Context.Bind fills a struct from the event's form fields (`form` tags,
// HTML field names: the same struct a classic Echo POST handler binds) and
// data attributes (`data` tags, snake_cased names); Context.Validate checks
// it with go-playground/validator v10 (one shared validator with
// required-struct validation, or Config.Validator); FieldErrors turns
// both kinds of failure into one message per field, keyed by form field
// name and translated into the message's language; Context.RenderForm
// renders the form template with a *FormView, so each error shows next to
// its field and what the user typed stays:
//
//	type Contact struct {
//		Name  string `form:"name" validate:"required,max=50"`
//		Email string `form:"email" validate:"required,email"`
//		Age   int    `form:"age" validate:"gte=18"`
//	}
//	liveview.Handle("submit_contact", func(c *liveview.Context) error {
//		var f Contact
//		if err := errors.Join(c.Bind(&f), c.Validate(&f)); err != nil {
//			return c.RenderForm("#contact", "contact_form.html", &f, err)
//		}
//		return c.Render("#contact", "contact_success.html", f)
//	})
//
// with, in contact_form.html:
//
//	<input name="email" value="{{.Value "email"}}">
//	<span class="error">{{.Error "email"}}</span>
//
// A value that does not convert ("abc" for an int, 300 for an int8) is a
// field error ("Enter a whole number."), never a panic. A <select multiple>
// and a group of checkboxes of one name arrive as lists and fill slices
// (FormView.Selected re-renders what was chosen). examples/contact is the
// complete form.
//
// # Uploads
//
// A file input in the collected fields just works: the bundled client
// uploads the chosen files over the page's WebSocket, in chunks, before it
// sends the event, and the handler reads them as an Echo handler reads a
// multipart POST:
//
//	<form data-action="submit->page#run:prevent" data-liveview-function="save_profile">
//	  <input type="file" name="avatar" accept="image/*">
//	  <span data-liveview-upload-error="avatar"></span>
//	  <progress data-liveview-upload-progress="avatar"></progress>
//	  <button>Save</button>
//	</form>
//
//	liveview.Handle("save_profile", func(c *liveview.Context) error {
//		f, err := c.FormFile("avatar") // errors.Is(err, liveview.ErrNoFile) when none
//		if err != nil {
//			return err
//		}
//		return f.MoveTo(filepath.Join(avatarDir, userID(c))) // never f.Name: the user chose it
//	})
//
// FormFiles reads an <input multiple>; Bind fills *File and []*File fields.
// The handler runs only once every file arrived complete. Config.Upload
// sets the limits (size, files per event, types, uploads at once per
// connection), checked by the server before a byte is sent and, for
// types, on the first bytes too; a refused file's translated message goes
// next to its input. Chunks are streamed to temporary files
// (Config.Upload.Dir), never held in memory, and deleted when the handler
// returns (keep one with File.MoveTo), on cancel, refusal and disconnect.
// Other events of the page keep flowing meanwhile. Files reach the
// instance that runs the handler: the one of the page's socket.
//
// # Internationalization
//
// Each event has its own locale: the frame's lang (the page's <html lang>
// when the event was sent), else the WebSocket handshake's Accept-Language,
// else the default language of Config.I18n (a go-i18n bundle). Nothing is
// activated or deactivated, so nothing leaks between events, connections
// or goroutines. Context.T translates (with plural counts and template
// data), Context.Localizer and Context.Locale give the rest. A missing
// translation falls back to the default language, or to the message ID,
// and is logged once.
//
// Templates rendered by Context.Render translate in the same locale with
// Templates, an echo.Renderer that clones html/template once per language
// with a bound t function (html/template cannot rebind functions after a
// template has run):
//
//	base := template.Must(template.New("").Funcs(liveview.TemplateFuncs()).ParseFS(files, "templates/*.html"))
//	e.Renderer, err = liveview.NewTemplates(base, bundle, nil) // {{t "welcome"}}, <html lang="{{locale}}">
//
// Validation messages have built-in English and Spanish catalogs, in a
// bundle of their own; a message with the same ID in Config.I18n replaces
// one (IDs: catalog.go, README). examples/multilang switches <html lang>
// and gets the same handlers' answers in two languages.
//
// # Concurrency
//
// Each connection has one read goroutine (melody's read pump, on the HTTP
// handler's goroutine) that runs the events of that connection one after
// the other, in arrival order: state kept per connection (Context.Set)
// needs no locks in handlers. Different connections run in parallel. A
// handler that blocks delays only its own connection's later events; a
// handler slower than melody's pong wait (60 s) loses its connection, so
// start long work in a goroutine with the Context and send when done.
//
// # Slow clients
//
// This is the one place that says when a client is disconnected for being
// slow; Config's fields refer here. Every frame goes through its
// connection's send queue, drained by melody's write goroutine; sends
// return as soon as the frame is queued. A connection is disconnected only
// when it is itself behind, never because somebody else produced a burst:
//
//   - its backlog (bytes queued and not yet written to its socket) would
//     pass Config.SendQueueBytes (4 MiB), or
//   - writing one frame to its socket makes no progress for
//     Config.WriteTimeout (10 s).
//
// Until then frames wait, in order: a burst that one visitor triggers
// queues up for every reader and is drained as fast as each reader reads.
// When a frame would pass the budget, a Context send (Send and the helpers
// built on it) waits for room, up to Config.WriteTimeout: backpressure on
// whoever sends, usually the handler of that very connection. Publish and
// Broadcast deliveries never wait, so one slow client never holds up the
// others: it is disconnected (its browser reconnects) instead of silently
// missing a fragment. Frames sent by one goroutine to one connection
// arrive in order.
//
// What one visitor can make the Hub send to everybody else is bounded
// too: the events of one connection may publish (Context.Publish and
// Context.Broadcast) at most Config.PublishLimit bytes per second
// (256 KiB/s, bursts of 1 MiB, a quarter of a reader's budget); beyond it
// they get ErrRateLimited. The Hub's own Publish and Broadcast, for
// background jobs, are not limited.
//
// Memory: an idle connection holds no queue; a stalled one pins at most
// SendQueueBytes of frames (frames broadcast to many connections are
// shared, not copied) plus what the kernel buffers for its socket, until
// it is dropped.
//
// A Context may be kept after its handler returned and used from any
// goroutine; Context.Context is cancelled when the connection closes. Every
// goroutine the Hub starts ends when its connection ends; Hub.Shutdown waits
// for them.
//
// # Exactly-once events
//
// The bundled client puts an "id" on every event with a ref and sends the
// unanswered ones again after a reconnect or a reload of the tab; the Hub
// claims each id in Config.Dedupe (the Redis of pubsub/redis.Broker, or
// memory) before the handler runs, so an id runs once on whichever
// instance it reaches. A duplicate is answered with the frames of the
// first run ("once": "replayed"), or {"ref": n, "once": "processed"} when
// they were not kept, or "retry" while the first run holds its claim or
// the store is unreachable (the event then waits on the client; nothing
// runs twice). Context.EventID gives the id for the app's own idempotency
// keys; Idempotent marks handlers that need no dedupe. The record
// replaces the claim only while the claim holds (a compare-and-set), the
// client keeps one send of an id in flight, and a frame a recorded run
// sends after its connection closed is kept (Send returns nil). The
// windows: a re-send after Config.DedupeTTL runs again, and so does one
// after the claim of a run killed mid-way, or running longer than
// Config.DedupeLease, expired, or after Redis lost the record; a drop
// between a handler's frames replays them all (append frames can show
// twice). Cost: two store calls per event (Redis: SET NX GET PX, then an
// EVALSHA; about 0.2 ms on loopback; in memory about 5 µs). The
// in-process store is bounded (64 MiB) and evicts its oldest records at
// the bound rather than refusing claims. See the README, "Exactly-once
// events".
//
// Values across reconnects: the Context.Set keys listed in
// Config.KeepValues are saved (JSON, at most Config.KeepBytes per page,
// for Config.KeepTTL after their last change) in the shared store
// (ValueStore: pubsub.Memory, pubsub/redis.Broker) after the event that
// set them, under the SHA-256 of the page secret the client sends on each
// handshake (PageSecretParam), and restored, in the types KeepValues
// gives, before Config.OnConnect when the same page reconnects in the same
// room to any instance. Keys not listed, values that do not encode, and
// everything after the TTL or a reload are not kept: OnConnect rebuilds
// them.
//
// # Security
//
// Defaults, each tested (the README's "Security and operations defaults"
// has the table of what each one protects against):
//
//   - WebSocket handshakes from another origin (scheme, host and port) are
//     refused unless listed in Config.AllowedOrigins (cross-site WebSocket
//     hijacking).
//   - Rooms come from the server (Config.Room, signed segments) or are
//     validated; the client's JSON room is ignored.
//   - Frames larger than Config.MaxMessageSize (64 KiB) close the socket with
//     1009; events beyond Config.RateLimit (and Config.IPRateLimit, per
//     address, when set) get an error frame; so does a frame that does not
//     decode, which counts against the limits too.
//   - Config.MaxConnsPerIP (256) connections per client address (429
//     above), Config.MaxHandshakes (100) handshakes in progress (503 with
//     Retry-After above), Config.HandshakeTimeout (10 s) per handshake.
//   - A slow client is disconnected only when it is behind itself (see # Slow
//     clients); Config.PublishLimit bounds what one connection's events may
//     publish to everybody.
//   - Binary frames that are no chunk of an upload in progress, invalid
//     JSON and JSON that is not an object get an error frame; the socket
//     and the server live on. Handler panics are recovered and logged.
//   - Uploads: Config.Upload bounds file sizes (10 MiB), files per event
//     (10), uploads at once per connection (3) and types; chunks go to
//     disk, never to memory; a client that breaks the protocol gets its
//     upload refused and freed.
//   - Error frames never list the registered handlers and never carry
//     internal error text unless Config.Debug; return an *Error to show a
//     message to the user.
//   - Nothing a client chooses floods the log: its strings are clipped to
//     MaxClientStringLog bytes, and each kind of rejection is logged at most
//     once per 10 s per connection (refused handshakes: per Hub), with the
//     count of the lines left out; all connections together write at most
//     20 lines about rejected events per second.
//
// Request headers arrive before the Hub sees a request: set
// http.Server.ReadHeaderTimeout (e.Server.ReadHeaderTimeout), or half-sent
// requests hold connections forever.
//
// Fragments are inserted as HTML and inline scripts in them run: escape
// user input (html/template does) and remember that Broadcast reaches every
// page.
//
// # Pub/sub
//
// Publish and Broadcast go through a pubsub.Broker, so several instances of
// an app behind a load balancer behave as one: the Hub subscribes one topic
// per room that has local connections, plus one broadcast topic, and the
// frame is encoded once per send whatever the number of receivers. The
// default Broker is in memory (one instance). For several instances, give
// each the Redis broker of package pubsub/redis over the app's go-redis
// client (the Hub does not close a Broker it was given: close it after
// Hub.Shutdown, then the client):
//
//	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	broker := redis.New(rdb, redis.WithPrefix("myapp:"))
//	e.Use(liveview.PluginWithConfig(liveview.Config{Broker: broker}))
//
// Delivery guarantees, with either broker:
//
//   - At most once: a connection receives a Publish or Broadcast once or
//     not at all, never twice. Only connections that are in the room when
//     the message is published receive it; there is no history.
//   - Order per topic: the messages one goroutine publishes to a room (or
//     broadcasts) reach every connection in that order. Nothing is promised
//     between a room and the broadcast topic, or between rooms.
//   - A connection is a member of its room from the moment its handshake
//     completes: the Hub subscribes before the upgrade, and the Redis
//     broker's Subscribe returns only once Redis has confirmed it.
//
// What happens on faults, with Redis:
//
//   - Redis down: Publish and Broadcast return an error wrapping
//     redis.ErrUnavailable at once (a handler's Context.Publish returns it
//     to the handler). New connections whose room is not yet subscribed on
//     that instance are refused with 503 and the browser retries; existing
//     connections stay open.
//   - Redis frozen (alive but silent, e.g. stopped with SIGSTOP): noticed
//     about 2s after it went silent (redis.WithHealthCheck, 1s). Until
//     then a Publish waits at most 1s (redis.WithPublishTimeout) before
//     its error, those after the first timeout fail at once, and a new
//     room's handshake gets its 503 when the hang is noticed; then
//     everything behaves as with Redis down. A handler's Context.Publish
//     thus holds its connection's events for at most 1s, not 5s per call.
//   - Redis back: each instance reconnects within about a second and
//     resubscribes every room it has members in. Messages published while
//     an instance was not subscribed (the gap) are lost for its
//     connections; the gap is logged, counted in redis.Broker.Stats and
//     passed to redis.WithGapHandler.
//   - With redis.WithLocalDelivery, connections on one instance keep
//     receiving what that instance publishes while Redis is down (Publish
//     still reports the error, as other instances missed it), at the price
//     of order between concurrent publishers on different instances.
//
// Redis Cluster: give redis.New a *goredis.ClusterClient and it uses
// sharded pub/sub (SSUBSCRIBE/SPUBLISH, Redis 7+), so each topic lives on
// the shard of its hash slot and a Publish costs one SPUBLISH on that node;
// the guarantees above hold per topic, and a dead or frozen node stops only
// the topics of its slots (a gap reported with the node). Classic PUBLISH
// on a cluster reaches every node, so it would not scale; one Redis is
// simpler while its one thread suffices (see docs/SCALING.md).
//
// Cost: one Publish or Broadcast is one Redis PUBLISH however many
// instances and connections receive it; the first connection of a room on
// an instance costs a SUBSCRIBE and a PING, the last one leaving an
// UNSUBSCRIBE (likewise for the broadcast topic and an instance's first and
// last connection). Each instance holds one Redis pub/sub connection in
// all.
//
// # Shutdown
//
// The Hub registers its Shutdown with every http.Server that serves its
// endpoint (at the first request there), so e.Shutdown(ctx) alone drains
// the WebSockets, which Echo's Shutdown otherwise ignores. net/http starts
// that drain in a goroutine and does not wait for it: call Hub.Shutdown(ctx)
// after e.Shutdown to wait until every close frame is out.
//
//	_ = e.Shutdown(ctx)
//	_ = liveview.Default().Shutdown(ctx)
//
// A drain closes every socket with 1012 (service restart) and the reason
// "liveview:restart:<ms>" carrying Config.DrainWindow; the bundled client
// reconnects after a random delay within that window rather than all at
// once, without showing its #no-connection banner meanwhile. The instances
// that remain answer handshakes beyond Config.MaxHandshakes with 503 and
// Retry-After, which the client learns by probing the endpoint with a plain
// GET (answered 426, or 503 + Retry-After, without running Room or
// OnConnect) and honours.
//
// # Observability
//
// Config.Hooks receives connections opened and closed (with a
// CloseReason), refused handshakes, events (EventStart, EventEnd: the
// function, capped to registered names and UnknownFunction, its duration
// and Outcome), frames sent, Broker publishes and gaps, send queue
// high-water marks, uploads and presence changes; unset it costs no
// allocation. The nested modules observe/prometheus and observe/otel turn
// them into Prometheus collectors and OpenTelemetry spans and metrics;
// MultiHooks combines several. Hub.Stats is a snapshot without any
// metrics system, and Hub.StatsHandler serves it as JSON and as a live
// page that is itself a LiveView. Config.Logger is the one switch for
// logs, whose lines carry room, function, remote and conn; with
// Config.ProfileLabels each handler runs under the pprof label
// liveview_function.
//
// # Coming from Django LiveView
//
//	@liveview_handler("x")          liveview.Handle("x", fn)
//	content["form"]["name"]         c.FormValue("name")
//	content["data"]["comment_id"]   c.Data("comment_id") (finds data-data-comment-id's data_comment_id too)
//	content["lang"]                 c.Lang(), c.Locale(), c.T(id)
//	ContactForm(content["form"])    c.Bind(&f), c.Validate(&f), liveview.FieldErrors(c, err)
//	translation.activate(lang)      nothing: every event has its own locale
//	send(consumer, {...})           c.Send(liveview.Message{...}) / c.Render(...)
//	send(consumer, {...}, broadcast=True)   c.Broadcast(liveview.Render(target, name, data))
//	consumer.send_to_group(...)     c.Publish(room, liveview.Append(target, name, data))
//	render_to_string in a job       hub.Publish(liveview.WithLocale(ctx, lang), room, liveview.Render(...))
//	registry.add_middleware(mw)     liveview.Use(mw); for some handlers: liveview.Group(mw), Handle(name, fn, mw)
//	{% liveview_room_uuid %}        liveview.NewRoomID()
//
// Differences: form keys stay HTML names (upstream snake_cases them), errors
// do not close the socket, unknown functions do not reveal the handler list.
package liveview
