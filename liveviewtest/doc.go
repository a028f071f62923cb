// Package liveviewtest is the way to test a liveview app: in plain go test,
// in process, without a browser and without knowing the wire format. It is
// to Echo and liveview what Phoenix's LiveViewTest and Livewire::test are
// to theirs.
//
// A test starts the app, opens a page, acts on it as a person would and
// reads the page:
//
//	func TestGreeting(t *testing.T) {
//		lt := liveviewtest.New(t, newApp()) // the app's *echo.Echo, plugin mounted
//		page := lt.Open("/")
//		page.Fill("input[name=name]", "Ada")
//		page.Click("button[data-liveview-function=say_hello]")
//		if got := page.Text("#greeting"); got != "Hello, Ada!" {
//			t.Errorf("greeting %q", got)
//		}
//	}
//
// # What a page does
//
// New serves the app on a loopback httptest server (closed when the test
// ends). Open GETs a page like a browser (cookies, redirects), parses it,
// and connects the WebSocket the bundled client would connect: same URL
// (the room from <html data-room>), same Origin, same cookies. The page
// keeps its DOM on the test's side and applies every frame the server
// sends as the bundled client does: replace, append, remove, morph,
// url and title (History, URL, Title), scroll (Scrolls), event (Events),
// js (JS commands), error frames (Errors), loading states, flash messages in the page's
// data-liveview-flash container (Flashes; a click on a message's close
// button removes it) and redirects (Redirected, FollowRedirect, which
// loads the new page with the messages the client takes along). A socket
// the server closes with 4401 (liveview.ErrSessionExpired) shows the
// client's expired message in #no-connection and makes Expired true; one
// closed with 4403 (Hub.Disconnect) shows the reason (or the client's
// disconnected message) there and makes Disconnected report it.
// Streams (Context.StreamInsert) change their containers as in the
// browser: IDs lists a container's items in order.
//
// The actions (Click, Fill, Change, SetFiles, Submit, Blur, Key, Init,
// Intersect, Disappear, Poll; Follow for what the browser does without the
// client) send what the bundled client sends for that element: its
// data-* attributes with the client's conversion and omit list, the form
// fields it collects (the enclosing form, else the element's own field,
// else the named fields next to it; checkboxes as booleans, radios when
// checked, a select's selected option; a <select multiple>, and several
// checkboxes of one name, as lists; a file input as its file names), the
// page's <html lang>, a ref; through the Stimulus actions of the page
// (data-action, bubbling, key filters, :prevent, :stop, :once, @window,
// page#stop) and with the browser's default actions (a submit button
// submits its form, Enter submits a form, focus leaving a typed-into field
// fires change). Each
// action waits until every event it sent has been answered: the handlers
// have run and their frames are in the DOM (or the session expired).
// When an action makes nothing happen, the failure says why, often a trap
// a browser would hide: the button is outside data-controller="page", the
// form would be submitted natively, the data-action listens to another
// event.
//
// The rules are not rewritten here: the Go copy of the client's rules
// (the repository's internal/clientrules) is checked against the real
// client in Chromium, which must send the same event JSON and build the
// same DOM for every trigger of a fixture page (e2e's
// TestClientRulesParity).
//
// Two actions stand for what page JavaScript and the network do: PushEvent
// sends what a client hook's this.pushEvent sends and returns the
// handler's Reply, and Reconnect drops the WebSocket and opens it again on
// the same DOM, with the form recovery of data-liveview-recover, as after
// a restart or a deploy.
//
// A page loads the client with its classic script tag, or with an inline
// <script type="module"> that imports liveview.esm.js and calls start()
// (whose options liveviewtest does not read: give a custom endpoint with
// WithSocketPath). A page that does not load the client script opens no socket, as in a
// browser; Follow follows its links and submits its classic forms natively
// (a login form, say), loading the answer in the same tab, while Click
// fails on them, since a click there means a full page load.
//
// Two things differ from a browser, on purpose. No JavaScript runs: not
// the page's own, not the inline scripts of fragments (they stay in the
// DOM, as the client leaves them); SetAttr does what such a script would,
// such as switching <html lang>. And a morph replaces the target's content
// (a stream's update in place, the item) with the new HTML, which is what
// a morph must produce, keeping only what was typed into the focused field
// (as idiomorph does). There is no layout, so nothing intersects by itself
// (use Intersect); there is no clock, so polls tick when Poll says so
// (SetHidden for a tab in the background), debounces and throttles do not
// wait (each action counts as followed by a long pause; Quickly runs
// actions within their windows), while JS commands (data-liveview-js, the
// js key) change the DOM as in the browser; flash messages are not
// dismissed by time (a container's data-liveview-flash="ms"); Back and
// Forward are not simulated; and what a test types is kept in the DOM's
// attributes (the value, checked and selected attributes), so HTML shows
// it.
//
// # Files
//
// SetFiles chooses files in an <input type="file">, as the file dialog
// does. The action that collects the input then uploads them exactly as
// the bundled client does, over the page's WebSocket: it announces them,
// sends them in chunks (at most 4 unacknowledged), and sends the event
// with its "upload" key once the server has every byte, so the handler
// reads them with Context.FormFile:
//
//	page.SetFiles("input[name=avatar]", liveviewtest.File{Name: "me.png", Content: png})
//	page.Submit("#profile")
//
// The page's <progress data-liveview-upload-progress> elements and the
// input's --liveview-upload-progress style property follow the
// acknowledgements, as in the browser (TestClientRulesParity compares
// them). An upload the server refuses (a file over
// Config.Upload's limits, a type it does not accept) sends no event: its
// message goes into the page's data-liveview-upload-error elements, is
// logged with t.Logf, and UploadErrors lists it; the upload frames
// themselves are not in Frames.
//
// # Several pages and users
//
// Each User has its own cookie jar; the pages (tabs) one user opens share
// it, and so a session. A Publish to a user's room reaches that user's
// tabs only; a Broadcast reaches every page. Frames that come on their own
// are awaited with WaitFor, WaitText or Wait:
//
//	ada, bob := lt.NewUser(), lt.NewUser()
//	tab1, tab2, other := ada.Open("/room"), ada.Open("/room"), bob.Open("/room")
//	tab1.Click("#notify")                   // publishes to ada's room
//	tab2.WaitFor("#notifications li")
//
// To show that a page received nothing, wait for a later frame that would
// have come after it on the same topic: a Publish to the same room, made
// after the first one, arrives after it, so once it is there the first
// would have been too. Any pubsub.Broker works, two Hubs sharing one Redis
// included: start both apps with New and open pages on each.
//
// # Handlers alone
//
// Call sends one event to a Hub and returns the frames it answered,
// taking HTML attribute names as a page has them:
//
//	frames := liveviewtest.Call(t, hub, "delete_comment",
//		liveviewtest.Data{"data-comment-id": "123"}, liveviewtest.Renderer(e.Renderer))
//
// # Failures, timeouts, concurrency
//
// Every wait has a deadline (DefaultTimeout, or WithTimeout); a failure
// names the action and the selector and shows the last events the page
// sent and the last frames it received. Error frames do not fail an
// action: they are logged with t.Logf and kept in Errors. Pages apply
// frames on their own goroutine; their methods are safe for concurrent
// use, but the ones that can fail the test must run on the test's
// goroutine. Pages are closed, and their goroutines stopped, when the test
// ends; the app's Hub is the app's to close.
package liveviewtest
