// Package clientrules is the Go copy of the bundled JavaScript client's
// rules (jsclient/src), for liveviewtest: how the browser turns an element
// into an event, and how it applies a frame.
//
//   - collect.go: collect.js (data keys from the dataset with upstream's
//     omit list; form collection: the element's form, else its own field,
//     else the named fields of its parent; checkboxes as booleans, radios
//     when checked; a <select multiple> and several checkboxes of one name
//     as lists; a file input as its file's name, a list of names when
//     multiple).
//   - fields.go: what the browser's .value, .checked and .selected give
//     (select defaults, value sanitization), and the setters of the tests.
//   - actions.go, dispatch.go: Stimulus 3.2.2's action descriptors, default
//     events, key filters, options and controller scopes; DOM event
//     dispatch; page#run (JS commands, debounce, throttle,
//     @window/@document triggers) and page#stop; keyboard maps
//     (keyboard.js).
//   - commands.go: commands.js, the JS commands of data-liveview-js and of
//     the frame key js (their syntax: package internal/jscmd).
//   - gestures.go: clicks, typing, keys, submits and focus moves with the
//     browser's default actions around them.
//   - client.go: the page's state: refs and loading states (loading.js),
//     inits, intersections (intersect.js), polls, the banner (banner.js)
//     and the close codes that show it (socket.js: 4401, the session
//     expired; 4403, Hub.Disconnect), reconnects (form recovery, recover.js) and hooks'
//     pushEvent (hooks.js); time: a gesture counts as followed by a pause
//     longer than any debounce or throttle window (Hold and Release keep
//     the windows open across gestures), and Poll stands for one tick of a
//     poll's interval.
//   - frame.go: render.js.
//   - flash.go: flash.js (flash messages in the data-liveview-flash
//     container, kept across frames and redirects; redirects).
//   - stream.go: stream.js (the "stream" key).
//   - upload.go: file inputs (collect.js sends their file names; the
//     files chosen with SetFiles are the event's upload, Event.Files) and
//     what the upload chunk (liveview.uploads.js) does to the page:
//     progress elements, refusal messages, the loading state; the frames'
//     "upload" objects are handed on (FrameResult.Upload).
//   - event.go: the frame the client sends, byte for byte as
//     JSON.stringify writes it.
//   - keys.json, keys.go, keyboard.go: keyboard maps. keys.json is data
//     the client bundles too (jsclient/src/keyboard.js imports it): the one
//     table of modifiers, upstream's short names and the listed key names;
//     keys.go holds the rules built on it (normalising an entry, the
//     strings a keydown matches, the console warnings), keyboard.go the
//     keydowns tests ask for ("ctrl+s") and Stimulus's key filters.
//
// DESIGN.md §11 asks for one definition of these rules per language,
// checked against each other: e2e's TestClientRulesParity runs the fixture
// page /p/rules of examples/clienttest through Chromium and through
// liveviewtest and requires the same event JSON and the same DOM. A change
// to jsclient/src that changes what the client sends or how it renders
// must change this package too, and that test says where they differ.
package clientrules
