package liveview

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with [errors.Is]; the library wraps them
// with detail, so never compare error strings.
var (
	// ErrNoRenderer is returned by [Context.Render], [Context.Append],
	// [Context.Navigate], [Context.Morph], [Context.Fragment] and
	// [Context.RenderForm], and by sends of a [Template] (see [Render]),
	// when the Echo instance has no Renderer (echo.Echo.Renderer is nil);
	// by [Hub.Fragment] and a Hub's Publish or Broadcast of a Template also
	// before the Hub has served any request (it renders with the Echo it
	// serves). Set e.Renderer before rendering; the Hub warns once at the
	// first WebSocket connection when it is not set.
	ErrNoRenderer = errors.New("liveview: echo has no Renderer")

	// ErrUnknownFunction is reported (to the ErrorHandler and the log) when
	// an event names a function that no handler is registered for. The
	// client receives {"error": "Unknown function: <name>"}.
	ErrUnknownFunction = errors.New("liveview: unknown function")

	// ErrBadMessage wraps every reason an incoming frame cannot be decoded:
	// invalid JSON, JSON that is not an object, a binary frame, a field of the
	// wrong type. The connection stays open.
	ErrBadMessage = errors.New("liveview: bad message")

	// ErrRateLimited is reported when a connection sends events faster than
	// Config.RateLimit allows. The event is dropped with an error frame and
	// the connection stays open.
	ErrRateLimited = errors.New("liveview: rate limit exceeded")

	// ErrBadJS is returned (wrapped, with the command at fault) by a send
	// of a Message whose JS is not a valid list of JS commands, and by
	// [Context.JS]: nothing is sent.
	ErrBadJS = errors.New("liveview: invalid JS commands")

	// ErrPanic wraps the value of a recovered handler panic.
	ErrPanic = errors.New("liveview: handler panicked")

	// ErrConnClosed is returned by sends on a Context whose connection has
	// closed (the client left, the Hub shut down, or the connection was
	// dropped for falling behind).
	ErrConnClosed = errors.New("liveview: connection closed")

	// ErrSlowClient is returned by a send that found the connection's send
	// queue full. The library closes such a connection rather than silently
	// dropping a fragment; the browser reconnects.
	ErrSlowClient = errors.New("liveview: send queue full, connection closed")

	// ErrHubClosed is returned by Publish and Broadcast after [Hub.Close], and
	// answers new WebSocket handshakes with 503.
	ErrHubClosed = errors.New("liveview: hub closed")

	// ErrTooManyHandshakes answers a WebSocket handshake with 503 and
	// Retry-After while Config.MaxHandshakes handshakes are already in
	// progress on the Hub; the bundled client waits and retries.
	ErrTooManyHandshakes = errors.New("liveview: too many handshakes in progress")

	// ErrNotMounted is returned by the package-level [Publish] and
	// [Broadcast] before [Plugin] or [PluginWithConfig] created the default
	// Hub.
	ErrNotMounted = errors.New("liveview: no default hub: call liveview.Plugin first")

	// ErrSessionExpired, returned (wrapped or not: errors.Is) by
	// Config.Room or Config.OnConnect during the handshake, or by a handler
	// or middleware (a session or JWT check), makes the Hub close the
	// connection with CloseSessionExpired (4401) and the reason
	// "liveview:expired" instead of refusing the handshake or answering an
	// error frame: the bundled client then stops reconnecting, shows
	// webSocketConfig.expiredMessage in the #no-connection banner and
	// reloads the page after a random delay of one to five seconds (by
	// default), so the app's own HTTP middleware can send the user to log
	// in. A handshake is upgraded first and closed at once, since a browser
	// cannot read a refused handshake's status. Frames a handler sent
	// before returning it are written first (for at most a second); its
	// event gets no ref answer and Config.ErrorHandler is not called. Each
	// expiry is logged at Info, summarised like other event errors.
	ErrSessionExpired = errors.New("liveview: session expired")

	// ErrUnsafeURL is returned (wrapped) by Context.Redirect, and by sends
	// of a Message with a Redirect, for a URL that is not http, https or
	// relative (javascript:, data:...) or holds spaces or control
	// characters: the client would refuse it.
	ErrUnsafeURL = errors.New("liveview: unsafe redirect URL")

	// ErrInvalidRoom is returned (and answered with 400 during the
	// handshake) for a room name that does not match the allowed pattern
	// ^[A-Za-z0-9_.-]{1,100}$.
	ErrInvalidRoom = errors.New("liveview: invalid room")

	// ErrInvalidTopic is returned (wrapped, with the name clipped to
	// MaxClientStringLog bytes) by [Context.Join] for a topic name that
	// Config.ValidTopic refuses, by [Context.Leave] for the connection's
	// own room (it is left only with the connection), and by
	// [Hub.Disconnect] for an empty topic.
	ErrInvalidTopic = errors.New("liveview: invalid topic")

	// ErrTooManyTopics is returned (wrapped, with the name) by
	// [Context.Join] when the connection already is in Config.MaxTopics
	// topics besides its room. Nothing is joined.
	ErrTooManyTopics = errors.New("liveview: too many topics")

	// ErrNoRef is returned by [Context.Reply] for an event that carried no
	// ref (an upstream client, or a page with loading states off that did
	// not send it with a hook's pushEvent), so no reply can reach it, and
	// for a second Reply to the same event (its ref is answered once).
	ErrNoRef = errors.New("liveview: the event has no ref to answer")

	// ErrNoFile is returned (wrapped, with the field name) by
	// [Context.FormFile] when the event brought no file for the field: the
	// input had none, the page's client sends no files (an upstream
	// client), or the field name is wrong. [File.Open] and [File.MoveTo]
	// return it (wrapped) for a temporary file already deleted, after
	// the handler returned.
	ErrNoFile = errors.New("liveview: no such file")

	// ErrUploadRefused is wrapped by every reason the Hub refuses an
	// upload (Config.Upload): the errors below, each with the file at
	// fault. The client gets a translated message in an upload error
	// frame, the server keeps nothing of the upload, and one bounded line
	// is logged. errors.Is finds both ErrUploadRefused and the reason.
	ErrUploadRefused = errors.New("liveview: upload refused")

	// ErrFileTooLarge: a file is larger than its MaxFileSize (refused at
	// the announce, before any byte is sent).
	ErrFileTooLarge = errors.New("liveview: file too large")

	// ErrTooManyFiles: an event announces more files than its MaxFiles.
	ErrTooManyFiles = errors.New("liveview: too many files")

	// ErrFileType: a file's name, announced type or first bytes (sniffed
	// with http.DetectContentType) are not in its Accept list.
	ErrFileType = errors.New("liveview: file type not accepted")

	// ErrTooManyUploads: the connection already has
	// Config.Upload.MaxConcurrent uploads in progress.
	ErrTooManyUploads = errors.New("liveview: too many uploads in progress")

	// ErrUploadsDisabled: Config.Upload.Disabled is set, or the announce
	// names a function no handler is registered for.
	ErrUploadsDisabled = errors.New("liveview: uploads not accepted")

	// ErrBadUpload: the client broke the upload protocol (a chunk for
	// another file than the next one, at the wrong offset, longer than the
	// chunk size or than the file, a malformed chunk header or announce),
	// or the server could not write the temporary file.
	ErrBadUpload = errors.New("liveview: invalid upload")

	// ErrUploadIncomplete is the error of an event whose "upload" names no
	// complete upload announced for its function (still in progress,
	// refused, cancelled, for another function, or never announced): the
	// handler does not run, Config.ErrorHandler gets an *Error wrapping
	// it (errors.Is), whose translated Message goes to the client in the
	// event's error frame, and the upload is freed.
	ErrUploadIncomplete = errors.New("liveview: upload incomplete")
)

// Error is a handler error whose Message is meant for the user: unlike other
// errors, its Message is sent to the client even when Config.Debug is off.
// Internal, if set, is logged but never sent. It mirrors echo.HTTPError.
//
//	if taken {
//		return &liveview.Error{Message: "That name is taken."}
//	}
type Error struct {
	Message  string // shown to the client as the frame's "error"
	Internal error  // logged only; may be nil
}

// NewError returns an *Error with the given user-facing message.
func NewError(message string) *Error { return &Error{Message: message} }

// Error implements error.
func (e *Error) Error() string {
	if e.Internal != nil {
		return fmt.Sprintf("liveview: %s: %v", e.Message, e.Internal)
	}
	return "liveview: " + e.Message
}

// Unwrap returns Internal so errors.Is and errors.As see through an *Error.
func (e *Error) Unwrap() error { return e.Internal }

// ErrBindTarget is returned (wrapped) by [Context.Bind] when its argument is
// not a non-nil pointer to a struct: a programming error, not bad input.
var ErrBindTarget = errors.New("liveview: Bind needs a non-nil pointer to a struct")
