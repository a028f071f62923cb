package liveview

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/olahol/melody"
)

// registry holds handlers and middleware. Readers (every event) load an
// immutable snapshot of the composed chains without locking; writers
// rebuild it.
type registry struct {
	mu       sync.Mutex
	handlers map[string]entry
	root     groupNode // the Hub's own middleware (Use): the outermost group
	chains   atomic.Pointer[map[string]chain]
	idem     atomic.Pointer[map[string]bool] // once.go: the handlers marked Idempotent
}

// chain is a handler composed with its middleware, and its name.
type chain struct {
	fn   HandlerFunc
	name string // the registered string: hooks' labels never alias a frame
}

// entry is one registered handler: the function, the group it was
// registered through and its own middleware.
type entry struct {
	fn    HandlerFunc
	group *groupNode
	mws   []MiddlewareFunc
}

// groupNode is the middleware of one HandlerGroup (or, for the root, of
// the Hub). Its mws are guarded by the registry's mu.
type groupNode struct {
	parent *groupNode // nil for the root
	mws    []MiddlewareFunc
}

func newRegistry() *registry {
	r := &registry{handlers: make(map[string]entry)}
	r.chains.Store(&map[string]chain{})
	return r
}

// handle registers fn for name in group g, with its own middleware mws.
func (r *registry) handle(g *groupNode, name string, fn HandlerFunc, mws []MiddlewareFunc) {
	if name == "" || fn == nil {
		panic("liveview: Handle needs a function name and a non-nil handler")
	}
	checkMiddleware("Handle", mws)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.handlers[name]; dup {
		slog.Warn("liveview: handler registered twice; the new one replaces the old", "function", name)
	}
	r.handlers[name] = entry{fn: fn, group: g, mws: slices.Clone(mws)}
	r.rebuild()
}

// use adds mws to group g (the root for Hub.Use) and recomposes every
// handler, those registered before included.
func (r *registry) use(g *groupNode, mws ...MiddlewareFunc) {
	checkMiddleware("Use", mws)
	r.mu.Lock()
	defer r.mu.Unlock()
	g.mws = append(g.mws, mws...)
	r.rebuild()
}

func checkMiddleware(what string, mws []MiddlewareFunc) {
	for _, mw := range mws {
		if mw == nil {
			panic("liveview: " + what + " with a nil middleware")
		}
	}
}

// rebuild composes every handler with its middleware: the Hub's outermost,
// then its groups' from the outermost in, then its own, each list first
// added outermost. Called with r.mu held.
func (r *registry) rebuild() {
	chains := make(map[string]chain, len(r.handlers))
	idem := make(map[string]bool)
	for name, e := range r.handlers {
		fn := wrap(e.fn, e.mws)
		once := isIdempotent(e.mws)
		for g := e.group; g != nil; g = g.parent {
			fn = wrap(fn, g.mws)
			once = once || isIdempotent(g.mws)
		}
		chains[name] = chain{fn: fn, name: name}
		if once {
			idem[name] = true
		}
	}
	r.chains.Store(&chains)
	r.idem.Store(&idem)
}

// wrap applies mws to fn, the first one outermost.
func wrap(fn HandlerFunc, mws []MiddlewareFunc) HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		fn = mws[i](fn)
	}
	return fn
}

func (r *registry) lookup(name string) (HandlerFunc, bool) {
	ch, ok := (*r.chains.Load())[name]
	return ch.fn, ok
}

// lookupName returns the registered string equal to name.
func (r *registry) lookupName(name string) (string, bool) {
	ch, ok := (*r.chains.Load())[name]
	return ch.name, ok
}

// idempotent reports whether the handler of name is marked Idempotent.
func (r *registry) idempotent(name string) bool {
	m := r.idem.Load()
	return m != nil && (*m)[name]
}

func (r *registry) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.handlers))
	for n := range r.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// onMessage handles one text frame on the connection's read goroutine, so
// the events of one connection run one after the other, in arrival order.
func (h *Hub) onMessage(s *melody.Session, frame []byte) {
	if c := connOf(s); c != nil {
		h.handleFrame(c, frame)
	}
}

// handleFrame decodes one frame of c and runs its handler.
func (h *Hub) handleFrame(c *conn, frame []byte) {
	// Bad frames count against the rate limits too, so they are taken first.
	allowed := c.allowEvent()
	h.events.Add(1) // stats.go
	lc, err := newEventContext(c, frame)
	if err == nil {
		err = checkEventID(lc.fe.id) // once.go
	}
	if err != nil {
		if h.uploadControl(c, frame, allowed) { // upload.go: an announce or a cancel
			return
		}
		if !allowed {
			err = ErrRateLimited
		}
		h.rejectFrame(lc, err) // hooks.go
		h.errHandler(lc, err)
		return
	}
	// Every ref is answered once, whatever happens below, and each answer
	// (an error frame or the ref's) goes after the event's upload, if any,
	// was freed: a client that read it finds the temporary files gone.
	defer h.completeOnce(lc) // once.go: after the answer, the record
	defer h.answerRef(lc)
	defer h.saveValues(lc.conn) // values.go: before the answer
	defer lc.releaseUpload()    // idempotent: for a panicking ErrorHandler
	var ev EventInfo
	if h.hooks != nil {
		ev = h.startEvent(lc) // hooks.go
	}
	err = h.runEvent(lc, allowed)
	lc.releaseUpload()
	if h.hooks != nil {
		h.endEvent(lc, ev, err)
	}
	switch {
	case err == nil:
	case expired(err):
		h.expireConn(lc, err) // navigation.go: close 4401
	default:
		h.errHandler(lc, err)
	}
}

// runEvent checks lc's upload (upload.go: only a complete one announced
// for the function runs it), the rate limit and the function, and runs the
// handler; it returns the error to answer.
func (h *Hub) runEvent(lc *Context, allowed bool) error {
	if lc.fe.upload != 0 {
		if err := h.takeUpload(lc); err != nil && allowed {
			return err
		}
	}
	if !allowed {
		return ErrRateLimited
	}
	ch, ok := (*h.reg.chains.Load())[lc.Function()]
	if !ok {
		return ErrUnknownFunction
	}
	if h.claimOnce(lc) { // once.go: a duplicate, answered from its record
		return nil
	}
	if h.cfg.ProfileLabels {
		return callLabelled(ch, lc) // hooks.go
	}
	return call(ch.fn, lc)
}

// answerRef sends {"ref": n} for an event that carried a ref, unless a
// frame with it was already sent (the error frame of a failed handler).
func (h *Hub) answerRef(c *Context) {
	if c.fe.ref == 0 || c.answered.Load() {
		return
	}
	if err := c.Send(Message{Ref: c.fe.ref}); err != nil && !errors.Is(err, ErrConnClosed) {
		h.log.Warn("liveview: sending ref answer failed", c.conn.logAttrs("function", clip(c.Function(), MaxClientStringLog), "err", err)...)
	}
}

// call runs fn, turning a panic into an error wrapping ErrPanic.
func call(fn HandlerFunc, c *Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return fn(c)
}

type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("liveview: handler panicked: %v", p.value) }
func (p *panicError) Unwrap() error { return ErrPanic }

// allowEvent takes one event from the connection's rate limit and its
// address's (Config.RateLimit, Config.IPRateLimit). It runs on the
// connection's read goroutine.
func (c *conn) allowEvent() bool {
	if c.limiter != nil && !c.limiter.Allow() {
		return false
	}
	return c.ipState == nil || c.ipState.limiter == nil || c.ipState.limiter.Allow()
}

// DefaultErrorHandler logs err and sends the client an error frame that
// reveals nothing internal:
//
//   - bad frame: {"error": "Invalid message"}
//   - unknown function: {"error": "Unknown function: <name>"} (never the
//     list of registered handlers; the name clipped to MaxClientStringLog
//     bytes). The log line, never the frame, names the closest registered
//     function under "did_you_mean" when one is near ("say_helo" for
//     "say_hello", "sayHello" for "say_hello").
//   - rate limited: {"error": "Rate limit exceeded"}
//   - *Error: {"error": <its Message>, "function": <name>}
//   - *BindError (a returned c.Bind error): {"error": "Invalid value: <form field names>", "function": <name>}
//   - anything else, panics included: {"error": "Handler error", "function": <name>}
//
// Every error frame also carries the event's ref when it had one, so the
// client clears its loading state.
//
// Logging is bounded: a client can cause these errors as fast as it sends
// frames, so each kind is logged at most once per 10 s per connection (the
// next line of the kind carries "suppressed", the number left out; a
// connection that closes with lines left out gets one last line with the
// counts), all connections together write at most 20 such lines per
// second, and strings the client chose are clipped.
//
// With Config.Debug the internal error text is appended. Custom
// Config.ErrorHandler functions may delegate to it.
func (h *Hub) DefaultErrorHandler(c *Context, err error) {
	fn := clip(c.Function(), MaxClientStringLog)
	var (
		m  = Message{Function: fn, Ref: c.fe.ref}
		ue *Error
		pe *panicError
		be *BindError
		cn = c.conn
	)
	switch {
	case errors.Is(err, ErrBadMessage):
		m.Error = "Invalid message"
		h.logEvent(cn, logBadMessage, slog.LevelWarn, "liveview: bad message", "err", clip(err.Error(), maxErrorLog))
	case errors.Is(err, ErrUnknownFunction):
		m.Error = "Unknown function: " + fn
		m.Function = ""
		h.logEvent(cn, logUnknownFunction, slog.LevelWarn, "liveview: unknown function", "function", fn,
			"did_you_mean", functionSuggestion{reg: h.reg, name: fn})
	case errors.Is(err, ErrRateLimited):
		m.Error = "Rate limit exceeded"
		m.Function = ""
		h.logEvent(cn, logRateLimited, slog.LevelWarn, "liveview: rate limit exceeded", "function", fn, "err", clip(err.Error(), maxErrorLog))
	case errors.Is(err, ErrUploadIncomplete) && errors.As(err, &ue):
		m.Error = ue.Message
		h.logEvent(cn, logUploadRefused, slog.LevelWarn, "liveview: event's upload is not complete", "function", fn, "err", clip(err.Error(), maxErrorLog))
	case errors.As(err, &ue):
		m.Error = ue.Message
		h.logEvent(cn, logUserError, slog.LevelInfo, "liveview: handler returned a user error", "function", fn, "err", clip(err.Error(), maxErrorLog))
	case errors.As(err, &be):
		// A value the user typed did not convert: their mistake, not a bug.
		fields := make([]string, len(be.Errors))
		for i, ce := range be.Errors {
			fields[i] = clip(ce.Field, MaxClientStringLog)
		}
		m.Error = "Invalid value: " + strings.Join(fields, ", ")
		h.logEvent(cn, logBindError, slog.LevelInfo, "liveview: form values did not convert", "function", fn, "err", clip(err.Error(), maxErrorLog))
	case errors.As(err, &pe):
		m.Error = "Handler error"
		h.logEvent(cn, logHandlerPanicked, slog.LevelError, "liveview: handler panicked", "function", fn, "panic", clip(fmt.Sprint(pe.value), maxErrorLog), "stack", string(pe.stack))
	default:
		m.Error = "Handler error"
		h.logEvent(cn, logHandlerFailed, slog.LevelError, "liveview: handler failed", "function", fn, "err", clip(err.Error(), maxErrorLog))
	}
	if h.cfg.Debug && ue == nil {
		m.Error += ": " + clip(err.Error(), maxErrorLog)
	}
	if serr := c.Send(m); serr != nil && !errors.Is(serr, ErrConnClosed) && !errors.Is(serr, ErrSlowClient) {
		h.log.Warn("liveview: sending error frame failed", cn.logAttrs("function", fn, "err", serr)...)
	}
}
