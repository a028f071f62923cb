package liveview

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/echo-liveview/liveview/internal/jscmd"
)

// Wire protocol, compatible with Django LiveView 2.x.
//
// Client -> server: one JSON text frame per event:
//
//	{"function": "say_hello", "data": {...}, "form": {...}, "lang": "en", "room": "r", "ref": 7}
//
//   - function: the handler name (data-liveview-function).
//   - data: the trigger element's data-* attributes, camelCase keys as the
//     browser's dataset gives them; the server snake_cases every key at any
//     depth exactly like Django LiveView (dataAlertId -> data_alert_id,
//     productId -> product_id). When two keys collide after conversion, the
//     one that was already in snake_case wins (deterministic; upstream's
//     "last one wins" depends on key order).
//   - form: form field values keyed by the HTML field name, unchanged (a
//     deliberate difference from upstream, which snake_cases them: the same
//     struct then binds a classic POST and a live event). Text fields arrive
//     as strings, checkboxes as JSON booleans; a <select multiple>, and
//     several checkboxes of one name among the collected fields, as a JSON
//     list of the selected or checked values (additive: upstream sends one
//     value).
//   - lang: <html lang>, may be null.
//   - room: ignored. The room is the server's (Config.Room or the URL).
//
// Server -> client: one JSON object per frame (see [Message]); keys target,
// html, append, remove, url, title, scroll, scrollTop as upstream.
//
// # Additive keys
//
// This is the one list of what this package adds to Django LiveView's wire
// protocol (the client documents the same list at the top of
// jsclient/src/main.js). Upstream clients and servers ignore keys they do
// not know, so none of them changes the meaning of an upstream key.
//
// Client -> server:
//
//   - ref: a positive integer the client puts on an event to track its
//     loading state ([Event.Ref]). After the handler returns, the server
//     answers with a frame carrying the same ref ({"ref": 7}); when the
//     handler failed, the error frame carries it instead. A ref is answered
//     exactly once, so the client always clears the trigger's loading state
//     (aria-busy, the liveview-loading class, data-liveview-disable-with).
//     Frames without ref (upstream clients) get no such answer.
//   - id (string, with ref): the event's id, unique per tab (a random
//     page-load prefix, ".", the ref: "Xk3j9x2Qa_.7"; at most 64 of
//     [A-Za-z0-9._-]). The client keeps unanswered events (sessionStorage)
//     and sends them again after a reconnect or reload; the server runs
//     an id once (README, "Exactly-once events"; [Context.EventID]).
//   - ?page= (query parameter of the WebSocket URL, not a frame key): the
//     page secret, 22 random base64url characters per page load, the same
//     on every socket of the page; Config.KeepValues restores the page's
//     kept values with it ([PageSecretParam]).
//   - form lists: a <select multiple> sends the JSON list of its selected
//     values, and several checkboxes of one name among the collected fields
//     the list of the checked ones' values ([] when none); a single
//     checkbox still sends a boolean and a single select a string.
//     [Context.Bind] fills slices from them, [Context.FormValue] gives the
//     first value.
//   - form file names: a file input sends the name of its file ("" without
//     one), and an <input multiple> the list of its files' names ([]
//     without); upstream sends input.value ("C:\fakepath\photo.jpg").
//   - upload (integer, in an event): the id of the upload whose files the
//     event brings, sent once every file is acknowledged whole; the
//     handler runs only if that upload is complete and was announced for
//     the event's function, else the event gets an error frame
//     ([ErrUploadIncomplete]). [Context.FormFile] reads the files.
//   - upload (object, a frame without function): the announce of an
//     upload, {"upload": {"id": 7, "function": "save_profile", "files":
//     [{"field": "avatar", "name": "photo.jpg", "size": 123456, "type":
//     "image/jpeg"}]}} (id: a positive integer unique on the connection;
//     an optional "lang" chooses the language of refusals), or its cancel,
//     {"upload": {"id": 7, "cancel": true}}, answered by nothing.
//   - binary frames: one chunk of an announced file each: byte 0 the kind
//     (1), bytes 1-4 the upload id (uint32, big-endian), 5-6 the file
//     index (uint16), 7-14 the offset (uint64: the bytes of that file
//     received so far), then 1 to "chunk" bytes of data; files in index
//     order, a 0-byte file sends none, at most 4 chunks unacknowledged per
//     connection. A violation refuses the upload; a chunk for no upload is
//     a bad message.
//
// Server -> client:
//
//   - morph (bool): with target and html, merge the fragment into the
//     target (idiomorph) instead of replacing its content, keeping focus,
//     caret, selection and typed values ([Message.Morph], [Context.Morph]).
//   - event (string) and eventData (any JSON): dispatch a CustomEvent named
//     event on document, with detail eventData, bubbling and cancelable
//     ([Message.Event], [Context.Dispatch]). It may share a frame with a
//     target.
//   - ref (integer): the answer to an event's ref, described above.
//   - once (string): with ref, the answer to a duplicate id: "replayed"
//     (the first run's frames are sent again, this one with the new ref),
//     "processed" (ran, its frames were not kept), "retry" (still
//     running, or the dedupe store unreachable: the client keeps the
//     event, its loading state too, and sends it again reconnectBaseMs later).
//   - reply (any JSON): with ref, the value of [Context.Reply]; a client
//     hook's this.pushEvent(fn, data) promise resolves with it.
//   - js (string): JS commands (as data-liveview-js, each with a
//     selector), run after the target changed: "show:#toast; focus:#q"
//     ([Message.JS], [Context.JS]; README, "JS commands").
//   - flash ({"kind": "info", "text": "Saved"}): a message for the user,
//     shown as plain text in the page's data-liveview-flash container, one
//     per kind (an empty text removes that kind's); it survives the frames
//     that replace the container and a redirect ([Message.Flash],
//     [Context.Flash]).
//   - redirect (string): a full page load of that http, https or relative
//     URL, with location.assign ([Message.Redirect], [Context.Redirect]).
//   - stream (object): keyed list updates, the server keeping nothing
//     ([Message.Stream], [Stream], [Context.StreamInsert]): {"target":
//     selector, "items": [{"id", "html", "at": "start"|"end", "before",
//     "after", "delete"}], "limit": n, "reset": bool}. Each item inserts
//     its html's first element (given the id), morphs the child that has
//     that id in place, or deletes it; limit then trims the end opposite
//     to the last insert. It may share a frame with a target.
//   - upload (object, a frame of its own): the answers of the upload
//     protocol: {"upload": {"id": 7, "chunk": 61440}} accepts an announce
//     (the most data bytes per chunk, Config.Upload.ChunkSize); {"upload":
//     {"id": 7, "file": 0, "received": 122880}} acknowledges a chunk
//     written to disk (received: the bytes of that file so far); {"upload":
//     {"id": 7, "error": "photo.jpg is larger than 10 MB.", "field":
//     "avatar", "file": 0}} refuses the upload (translated; field and file
//     left out when it is about the whole upload), which is then gone.
//   - error, function: error frames ({"error": ..., "function": ...}).
//     Upstream clients ignore them (they have no target); ours dispatch a
//     "liveview:error" CustomEvent on document with the frame as detail.
//   - any key added through Message.Extra.
//
// Close codes and the endpoint's HTTP answers (no frame keys, but part of
// the protocol all the same; an upstream client treats them as any other
// close or failed handshake):
//
//   - Close 1012 (service restart) with the reason "liveview:restart:<ms>"
//     (e.g. "liveview:restart:5000"): the server is draining (Hub.Shutdown,
//     Config.DrainWindow). The client reconnects after a uniformly random
//     delay in [0, ms], not counted as a failed attempt, instead of at once
//     with every other client. Without that reason it uses its own
//     restartWindowMs. Close 1000 still means "do not reconnect"; any other
//     code, a reconnect with the normal backoff.
//   - Close 4401 with the reason "liveview:expired" ([CloseSessionExpired]):
//     the session has expired ([ErrSessionExpired], from Config.Room,
//     Config.OnConnect, a handler or middleware). The client does not
//     reconnect: it shows its expiredMessage in the #no-connection banner
//     and reloads the page after a random delay of 1 to 5 times its
//     expiredReloadMs (1 s by default).
//   - Close 4403 with the reason "liveview:disconnected" or
//     "liveview:disconnected:<text>" ([CloseDisconnected], from
//     [Hub.Disconnect]): the server closed every connection of a topic (a
//     user logged out). The client does not reconnect: it shows <text>,
//     else its disconnectedMessage, in the #no-connection banner.
//   - 503 Service Unavailable with Retry-After (seconds) answers a
//     handshake while the Hub is closed or already runs
//     Config.MaxHandshakes handshakes.
//   - The probe: a request to the endpoint without an Upgrade header (the
//     client sends a plain GET after a handshake that failed before the
//     socket opened, since a browser cannot read a failed handshake's
//     status) is answered without running Room or OnConnect: 426 Upgrade
//     Required (with Upgrade: websocket) normally, 503 with Retry-After
//     while the Hub is closed, at its handshake cap or within two seconds
//     of refusing a handshake for it. On 503 the client waits one to two
//     times Retry-After instead of its backoff; on anything else, or when
//     the probe fails (network, CORS for another webSocketConfig.host), it
//     keeps its backoff. Both answers carry Cache-Control: no-store.

// Event is one decoded client -> server frame.
type Event struct {
	// Function is the handler name the client asked for. Never empty in an
	// Event returned by ParseEvent.
	Function string
	// Data holds the trigger element's data attributes with snake_cased keys
	// (nested objects and lists converted too). Values are as sent: strings
	// from the official client. Nil when the frame had none.
	Data map[string]any
	// Form holds form field values keyed by field name, unchanged. Nil when
	// the frame had none.
	Form map[string]any
	// Lang is the page's <html lang>, "" when absent or null.
	Lang string
	// Ref is the client's loading-state reference (an additive key), 0 when
	// the frame had none. The Hub answers a non-zero Ref once, after the
	// handler returned (see the package's # Additive keys).
	Ref int64
	// Upload is the id of the upload whose files the event brings (an
	// additive key), 0 when it brings none.
	Upload uint32
	// ID is the event's id (the additive "id" key, see Context.EventID),
	// "" when the frame had none.
	ID string
}

// wireEvent is the JSON shape of an incoming frame.
type wireEvent struct {
	Function string         `json:"function"`
	Data     map[string]any `json:"data"`
	Form     map[string]any `json:"form"`
	Lang     *string        `json:"lang"`
	Ref      *int64         `json:"ref"`
	Upload   *uint32        `json:"upload"`
	ID       *string        `json:"id"`
}

// ParseEvent decodes one client frame. Every failure wraps ErrBadMessage:
// invalid JSON, JSON that is not an object, fields of the wrong type (data
// and form must be objects, function and lang strings, ref a non-negative
// integer) or a missing function. It never panics, whatever the input.
func ParseEvent(frame []byte) (*Event, error) {
	frame = bytes.TrimSpace(frame)
	if len(frame) == 0 || frame[0] != '{' {
		return nil, fmt.Errorf("%w: frame is not a JSON object", ErrBadMessage)
	}
	if ev, ok := parseFast(frame); ok {
		return ev, nil
	}
	return parseJSON(frame)
}

// parseJSON is ParseEvent's general path, through encoding/json.
func parseJSON(frame []byte) (*Event, error) {
	var w wireEvent
	if err := json.Unmarshal(frame, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMessage, err)
	}
	if w.Function == "" {
		return nil, fmt.Errorf("%w: missing \"function\"", ErrBadMessage)
	}
	ev := &Event{Function: w.Function, Form: w.Form}
	if w.Lang != nil {
		ev.Lang = *w.Lang
	}
	if w.Ref != nil {
		if *w.Ref < 0 {
			return nil, fmt.Errorf("%w: negative \"ref\"", ErrBadMessage)
		}
		ev.Ref = *w.Ref
	}
	if w.Upload != nil {
		ev.Upload = *w.Upload
	}
	if w.ID != nil {
		ev.ID = *w.ID
	}
	if w.Data != nil {
		ev.Data = snakeKeys(w.Data)
	}
	return ev, nil
}

// snakeKeys returns m with every key converted by SnakeCase, recursing into
// nested objects and lists. On a collision the key that was already in
// snake_case wins.
func snakeKeys(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		sk := SnakeCase(k)
		if _, taken := out[sk]; taken && sk != k {
			continue // the exact snake_case key keeps its value
		}
		out[sk] = snakeValue(v)
	}
	return out
}

func snakeValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return snakeKeys(v)
	case []any:
		for i := range v {
			v[i] = snakeValue(v[i])
		}
		return v
	default:
		return v
	}
}

// SnakeCase converts a camelCase key the way Django LiveView does, which is
// Python's
//
//	re.sub("(.)([A-Z][a-z]+)", r"\1_\2", s)
//	re.sub("([a-z0-9])([A-Z])", r"\1_\2", s).lower()
//
// so "userName" -> "user_name", "HTTPResponse" -> "http_response",
// "getHTTPResponseCode" -> "get_http_response_code", "value2Html" ->
// "value2_html". Already snake_cased keys are returned unchanged.
func SnakeCase(s string) string {
	if !hasUpperASCII(s) {
		if isLowerOrNonLetter(s) {
			return s
		}
		return lower(s)
	}
	// Pass 1: (.)([A-Z][a-z]+) -> \1_\2, non-overlapping, left to right.
	// Both passes work in stack buffers for the usual short keys.
	var buf1, buf2 [64]byte
	b := buf1[:0]
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		j := i + size
		if r != '\n' && j+1 < len(s) && isUpper(s[j]) && isLowerASCII(s[j+1]) {
			k := j + 2
			for k < len(s) && isLowerASCII(s[k]) {
				k++
			}
			b = append(b, s[start:j]...)
			b = append(b, '_')
			b = append(b, s[j:k]...)
			start, i = k, k
			continue
		}
		i = j
	}
	b = append(b, s[start:]...)
	// Pass 2: ([a-z0-9])([A-Z]) -> \1_\2, then lower-case.
	out := buf2[:0]
	ascii := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		if isUpper(c) {
			if i > 0 && (isLowerASCII(b[i-1]) || isDigit(b[i-1])) {
				out = append(out, '_')
			}
			c += 'a' - 'A'
		}
		ascii = ascii && c < utf8.RuneSelf
		out = append(out, c)
	}
	if ascii {
		return string(out)
	}
	return lower(string(out))
}

func isUpper(c byte) bool      { return 'A' <= c && c <= 'Z' }
func isLowerASCII(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			return true
		}
	}
	return false
}

// isLowerOrNonLetter reports whether s is pure ASCII (so Python's lower()
// cannot change it once it has no upper-case ASCII letter).
func isLowerOrNonLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lower lower-cases non-ASCII letters too, like Python's str.lower.
func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

// Message is one server -> client frame. The zero value encodes as {}.
// Build it by hand, with Render, Append, StreamInsert and StreamDelete (a
// template rendered when sent), or through the Context helpers (HTML,
// Render, Append, Remove, Navigate, ScrollTo, ScrollTop, Morph, Dispatch,
// JS, Flash, Redirect, Reply, StreamInsert, StreamDelete, SendStream).
//
// Encoding rules: empty strings and false booleans are omitted, except html,
// which is always sent when Target is set and Remove is not (an empty html
// clears the target; upstream would render "undefined" for a missing one).
type Message struct {
	Target    string // "target": CSS selector of the element to change (first match)
	HTML      string // "html": fragment to insert
	Append    bool   // "append": insert HTML at the end of the target instead of replacing its content
	Remove    bool   // "remove": remove the target element
	URL       string // "url": history.pushState to this URL (applied only when the target is found)
	Title     string // "title": document.title (applied only when the target is found)
	Scroll    string // "scroll": CSS selector to scroll smoothly into view
	ScrollTop bool   // "scrollTop": scroll smoothly to the top of the page

	// Morph ("morph", additive) merges HTML into the target with idiomorph
	// instead of replacing its content: focus, caret and typed values stay.
	Morph bool
	// JS ("js", additive) is a list of JS commands the client runs after it
	// has applied the target's change (so they may act on just-inserted
	// HTML; they run as well when the target is missing or unset), e.g. "show:#toast; add-class(new):#list li:last-child". The
	// syntax is data-liveview-js's (README, "JS commands"), except that
	// every command needs a selector: a frame has no element of its own.
	// Every send checks it: an invalid list (an unknown command, a missing
	// argument or selector) is an error wrapping ErrBadJS and nothing is
	// sent. Selectors are checked by the browser, which warns in the
	// console about an invalid one and still runs the other commands.
	JS string
	// Event ("event", additive) names a CustomEvent the client dispatches on
	// document, with EventData ("eventData", any JSON value) as its detail.
	Event     string
	EventData any

	// Flash ("flash", additive), when not nil, shows a message to the user
	// in the page's data-liveview-flash container (see [Flash]). Its Kind
	// must be a valid kind, else encoding fails.
	Flash *Flash
	// Redirect ("redirect", additive) makes the client load this URL as a
	// full page load (location.assign): an http or https URL, or a
	// relative one ("/login", "?page=2"); anything else (javascript:,
	// data:...) is an encoding error wrapping ErrUnsafeURL.
	Redirect string

	// Error and Function form error frames ({"error": ..., "function": ...}).
	Error    string
	Function string
	// Ref ("ref", additive) answers the event with the same ref: the client
	// then clears that event's loading state. 0 is not sent.
	Ref int64
	// Reply ("reply", additive, any JSON value; nil is not sent) goes with
	// Ref: the value a client hook's pushEvent promise resolves with (see
	// Context.Reply).
	Reply any

	// Stream ("stream", additive), when not nil, inserts, updates and
	// deletes items of a container by DOM id (see Stream). Its item
	// Contents are rendered when the Message is sent, like Content; an
	// invalid Stream is an encoding error wrapping ErrBadStream.
	Stream *Stream

	// Extra holds additional keys, encoded with encoding/json in sorted key
	// order after the fields above. A key that collides with one of the
	// fields above is an encoding error (for morph, js, event, eventData,
	// flash, redirect, ref, reply and stream only when that field is set).
	Extra map[string]any

	// Content, when not nil, is rendered when the Message is sent and
	// becomes its "html" (set HTML or Content, not both: both is an error).
	// It is a Component: a templ component, Template(name, data) for the
	// app's Echo templates (see Render and Append), or any type with a
	// Render(ctx, w) method. It is rendered once per send, however many
	// connections receive it, in the send's locale:
	//
	//   - Context.Send, Publish and Broadcast: the event's locale, the one
	//     Context.Render uses (the sender's page, as Django LiveView's
	//     translation.activate would give);
	//   - Hub.Publish, Hub.Broadcast and the package-level Publish and
	//     Broadcast: the language WithLocale put in their ctx, else the
	//     default language (to reach pages in several languages, publish to
	//     each user's room in that user's language).
	//
	// A render error is returned by the send and nothing is sent.
	// MarshalJSON renders Content with context.Background(), where a
	// Template has no renderer (ErrNoRenderer).
	Content Component
}

// knownKeys are the keys encoded from Message fields (the additive ones
// in collides).
var knownKeys = map[string]bool{
	"target": true, "html": true, "append": true, "remove": true, "url": true,
	"title": true, "scroll": true, "scrollTop": true, "error": true, "function": true,
}

// collides reports whether the Extra key k would repeat a key encoded from
// m's fields. The additive keys collide only when their field is set, so
// code that built event frames through Extra before the fields existed
// keeps working.
func (m *Message) collides(k string) bool {
	switch k {
	case "morph":
		return m.Morph
	case "js":
		return m.JS != ""
	case "event":
		return m.Event != ""
	case "eventData":
		return m.EventData != nil
	case "flash":
		return m.Flash != nil
	case "redirect":
		return m.Redirect != ""
	case "ref":
		return m.Ref != 0
	case "reply":
		return m.Reply != nil
	case "stream":
		return m.Stream != nil
	}
	return knownKeys[k]
}

// MarshalJSON encodes m as a wire frame, rendering Content and the
// stream's item Contents (see there).
func (m Message) MarshalJSON() ([]byte, error) {
	if m.Content != nil {
		buf, err := rendered(context.Background(), nil, &m)
		if err != nil {
			return nil, err
		}
		defer putBuffer(buf)
	}
	if m.Stream != nil {
		s, buf, err := m.Stream.rendered(context.Background(), nil)
		if err != nil {
			return nil, err
		}
		m.Stream = s
		defer putBuffer(buf)
	}
	return m.appendJSON(make([]byte, 0, 64+len(m.HTML)+len(m.Target)+streamSize(m.Stream)))
}

func (m *Message) appendJSON(b []byte) ([]byte, error) { return m.encode(b, nil) }

// encode is appendJSON that also sets *refAt, when not nil and m has a
// Ref, to the span of b that holds it: `"ref":N` and the comma before it,
// if any (once.go records an answer without its ref).
func (m *Message) encode(b []byte, refAt *[2]int) ([]byte, error) {
	if m.Content != nil {
		return nil, errors.New("liveview: Message.Content was not rendered") // every send renders it first
	}
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = appendString(b, v)
		}
	}
	flag := func(k string, v bool) {
		if v {
			key(k)
			b = append(b, "true"...)
		}
	}
	str("target", m.Target)
	if m.HTML != "" || (m.Target != "" && !m.Remove) {
		key("html")
		b = appendString(b, m.HTML)
	}
	flag("append", m.Append)
	flag("remove", m.Remove)
	str("url", m.URL)
	str("title", m.Title)
	str("scroll", m.Scroll)
	flag("scrollTop", m.ScrollTop)
	flag("morph", m.Morph)
	if m.JS != "" {
		if err := checkJS(m.JS); err != nil {
			return nil, err
		}
		str("js", m.JS)
	}
	str("event", m.Event)
	if m.EventData != nil {
		v, err := json.Marshal(m.EventData)
		if err != nil {
			return nil, fmt.Errorf("liveview: Message.EventData: %w", err)
		}
		key("eventData")
		b = append(b, v...)
	}
	if m.Flash != nil {
		if err := m.Flash.check(); err != nil {
			return nil, err
		}
		key("flash")
		b = append(b, `{"kind":`...)
		b = appendString(b, m.Flash.Kind)
		b = append(b, `,"text":`...)
		b = appendString(b, m.Flash.Text)
		b = append(b, '}')
	}
	if m.Redirect != "" {
		if err := checkRedirect(m.Redirect); err != nil {
			return nil, err
		}
		key("redirect")
		b = appendString(b, m.Redirect)
	}
	str("error", m.Error)
	str("function", m.Function)
	if m.Ref != 0 {
		start := len(b)
		key("ref")
		b = strconv.AppendInt(b, m.Ref, 10)
		if refAt != nil {
			*refAt = [2]int{start, len(b)}
		}
	}
	if m.Reply != nil {
		v, err := json.Marshal(m.Reply)
		if err != nil {
			return nil, fmt.Errorf("liveview: Message.Reply: %w", err)
		}
		key("reply")
		b = append(b, v...)
	}
	if m.Stream != nil {
		key("stream")
		var err error
		if b, err = m.Stream.appendJSON(b); err != nil {
			return nil, err
		}
	}
	if len(m.Extra) > 0 {
		keys := make([]string, 0, len(m.Extra))
		for k := range m.Extra {
			if m.collides(k) {
				return nil, fmt.Errorf("liveview: Message.Extra key %q collides with a Message field", k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := json.Marshal(m.Extra[k])
			if err != nil {
				return nil, fmt.Errorf("liveview: Message.Extra[%q]: %w", k, err)
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}

// checkJS returns an error wrapping ErrBadJS for a JS command list a frame
// cannot carry: no command, or one the client would not run or that has no
// selector.
func checkJS(list string) error {
	cmds := jscmd.Parse(list)
	if len(cmds) == 0 {
		return fmt.Errorf("%w: %q has no command", ErrBadJS, list)
	}
	for _, c := range cmds {
		switch {
		case c.Problem != "":
			return fmt.Errorf("%w: %q %s", ErrBadJS, c.Text, c.Problem)
		case c.Selector == "":
			return fmt.Errorf("%w: %q needs a selector (%s:#id): a frame's commands have no element of their own", ErrBadJS, c.Text, c.Name)
		}
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Unlike encoding/json it does not
// escape <, > and & (frames are not embedded in HTML); like it, it replaces
// invalid UTF-8 with U+FFFD and escapes U+2028 and U+2029.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// stringValue renders a decoded JSON value as the string a handler expects
// from Data or FormValue: strings as is, booleans "true"/"false", numbers
// without exponent where possible, the first element of a list, "" for null
// and objects.
func stringValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		if len(v) > 0 {
			return stringValue(v[0])
		}
	}
	return ""
}
