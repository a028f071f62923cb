/*
 * Browser client of github.com/echo-liveview/liveview: Django LiveView's
 * "HTML over WebSockets" for Echo. Built into dist/ by `go generate ./jsclient`.
 *
 * Wire protocol (compatible with Django LiveView 2.x; [+] marks our additive
 * keys, the same list as the server's message.go doc comment; upstream
 * clients and servers ignore them)
 *
 * URL: ${protocol}://${host}${path}${encodeURIComponent(room)}/
 *   from window.webSocketConfig, whose keys and defaults are:
 *     host               location.host
 *     protocol           "wss" on https pages, else "ws"
 *     path               "/ws/liveview/"  [+] honoured (upstream ignores it).
 *                        The path before the room, with or without its
 *                        slashes ("/app/ws/liveview/" -> /app/ws/liveview/<room>/),
 *                        or [+] a pattern with ":room", like Config.Path,
 *                        used as is ("/app/ws/:room/live" -> /app/ws/<room>/live).
 *                        [+] Default: the data-liveview-path attribute of the
 *                        script tag that loaded the client (Hub.ScriptTag,
 *                        {{liveviewScript}}, writes it with Config.Prefix
 *                        and Config.Path), else "/ws/liveview/".
 *     reconnectBaseMs    1000             [+] first reconnect delay (jittered)
 *     reconnectMaxMs     30000            [+] cap of the delay; never gives up
 *     restartWindowMs    5000             [+] spread after a close 1012 whose
 *                                          reason carries no window
 *     queueLimit         100              [+] events kept while disconnected
 *     legacyRoomStorage  false            [+] true: upstream's localStorage room
 *     loadingStates      true             [+] false: no ref, no loading states
 *     expiredMessage     "Your session has expired. Reloading..."
 *                                          [+] the banner's text after a close 4401
 *     expiredReloadMs    1000             [+] the reload after a close 4401 waits
 *                                          1 to 5 times this, at random
 *     disconnectedMessage "You have been disconnected."
 *                                          [+] the banner's text after a close 4403
 *                                          whose reason carries no text
 *     hooksURL           (unset)          [+] the hooks chunk's URL; unset:
 *                                          liveview.hooks.<hash>.js next to
 *                                          the client's script
 *     uploadsURL         (unset)          [+] the upload chunk's URL; unset:
 *                                          liveview.uploads.<hash>.js next to
 *                                          the client's script
 *   room: <html data-room>, else a random UUID v4 written back to it.
 *
 * Client -> server, one JSON text frame per event:
 *   function  string   the element's data-liveview-function
 *   data      object   the element's own dataset, camelCase keys, string values
 *   form      object   field name -> value (checkbox: boolean); [+] a
 *                      <select multiple>, or several checkboxes of one name
 *                      among the fields, the list of the selected / checked
 *                      values; [+] a file input, its file name ("" without a
 *                      file; upstream sent "C:\fakepath\name"), for
 *                      <input multiple> the list of names ([] without)
 *   lang      string   <html lang> at send time (null when absent)
 *   room      string   the connection's room (the server ignores it)
 *   ref       number   [+] loading-state reference, 1, 2, 3...: the trigger
 *                      gets aria-busy, the liveview-loading class and its
 *                      data-liveview-disable-with text until the server
 *                      answers a frame with the same ref
 *   id        string   [+] with ref: the event's id, unique per tab (a random
 *                      page-load prefix, ".", the ref); unanswered events
 *                      wait in sessionStorage["liveview-pending"] and go
 *                      again after a reconnect or reload; the server runs
 *                      an id once
 *   ?page=    string   [+] query parameter of the WebSocket URL, not a frame
 *                      key: the page secret, 22 random base64url characters
 *                      per page load; Config.KeepValues restores the page's
 *                      kept values with it
 *   upload    number   [+] the id of the upload that carried the event's
 *                      files (see Uploads); only when file inputs have files
 *
 * Server -> client, one JSON object per frame (unknown keys are ignored):
 *   target     CSS selector of the element to change (first match)
 *   html       content to insert; "" clears the target
 *   append     true: add html at the end of the target
 *   remove     true: remove the target
 *   url        history entry (journal, Back/Forward), only when the target exists
 *   title      document.title, only when the target exists
 *   scroll     selector to scroll smoothly into view
 *   scrollTop  true: scroll smoothly to the top
 *   morph      [+] true: merge html into the target (idiomorph), keeping
 *              focus, caret, selection and typed values
 *   event      [+] name of a CustomEvent dispatched on document, bubbling
 *   eventData  [+] its detail
 *   ref        [+] answers the event with that ref: its loading state ends
 *   js         [+] JS commands (as data-liveview-js, each with a selector),
 *              run after the target changed: "show:#toast; focus:#q"
 *   flash      [+] {kind, text}: a message, as plain text, in the page's
 *              [data-liveview-flash] element (one per kind; "" removes it);
 *              kept across frames that replace it and a same-origin redirect
 *   redirect   [+] http(s) or relative URL: a full page load (location.assign)
 *   error      [+] with no target: dispatched on document as the
 *              "liveview:error" CustomEvent (detail = the frame)
 *   once       [+] with ref, the answer to a duplicate id: "replayed" (the
 *              first run's frames again), "processed" (ran, frames not
 *              kept), "retry" (running, or the store unreachable: the event
 *              stays pending, sent again reconnectBaseMs later on the same
 *              socket: one send of an id in flight at a time)
 *   reply      [+] with ref: the value a hook's pushEvent resolves with
 *   upload     [+] {id, chunk} | {id, file, received} | {id, error, field,
 *              file}: an upload accepted, a chunk acknowledged, an upload
 *              refused (see Uploads)
 *   stream     [+] keyed list updates, the server keeping nothing
 *              (stream.js): {target, items: [{id, html, at: "start"|"end",
 *              before, after, delete}], limit, reset}. Each item inserts its
 *              html's first element (given the id), morphs the child that
 *              has that id in place, or deletes it; limit then trims the end
 *              opposite to the last insert. Applied after target.
 *
 * Close codes and the probe [+] (the server's message.go lists the same):
 *   1000       deliberate: no reconnect, no banner (until the next event)
 *   1012       "liveview:restart:<ms>": the server drains; reconnect after a
 *              random delay in [0, ms] (else restartWindowMs), not counted as
 *              a failed attempt, without the banner; an event made meanwhile
 *              reconnects at once
 *   4401       "liveview:expired": the session has expired; no reconnect, the
 *              banner shows expiredMessage, the page reloads after a random
 *              1 to 5 x expiredReloadMs
 *   4403       "liveview:disconnected[:<text>]" (Hub.Disconnect): no reconnect,
 *              the banner shows <text>, else disconnectedMessage
 *   other      reconnect with jittered backoff, banner shown
 *   An attempt that fails before the socket opens is followed by a probe: a
 *   plain GET of the endpoint's http(s) URL (the browser hides a failed
 *   handshake's status). 503 + Retry-After: wait 1-2x Retry-After (at most
 *   reconnectMaxMs) instead of the backoff; 426, anything else or a failed
 *   fetch (network, CORS with another host): the backoff.
 *
 * Keyboard maps (data-liveview-keyboard-map) [+]: entries may use the
 *   standard KeyboardEvent.key names ("Escape", "ArrowUp", "Control+s") and
 *   any case or modifier order besides upstream's short names ("esc",
 *   "up", "ctrl+s"), which keep working unchanged; the names and rules are
 *   in ../../internal/clientrules/keys.json and keys.go (Go embeds the
 *   same table). An entry that can never match, or names a key the table
 *   does not list, gets a console warning.
 *
 * Attributes [+] (commands.js, controllers/page_controller.js):
 *   data-liveview-js="add-class(open):#menu; focus:#q"  page#run runs these
 *     JS commands at once (no selector: the element itself), then sends the
 *     function if there is one (none: no frame). show / hide / toggle the
 *     hidden attribute, add- / remove- / toggle-class(classes),
 *     toggle-attribute(name), set-attribute(aria-* or data-*=value),
 *     focus (first match), dispatch(event) (bubbling, cancelable).
 *   data-liveview-throttle="300"  page#run sends at once, then at most once
 *     per 300 ms window, the window's events as one send at its end
 *     (data-liveview-debounce wins over it).
 *   data-liveview-poll="5000"  sends the function every 5000 ms (at least
 *     100) while the element is in the page, the tab visible and the
 *     socket open.
 *
 * Console warnings [+], each text once per page: a keyboard-map entry that
 *   can never match; data-liveview-* elements outside any
 *   data-controller="page" element (at start and when inserted); a JS
 *   command that cannot run (the others still run); a flash message while
 *   the page has no [data-liveview-flash] element; a hook that is not in
 *   window.liveviewHooks.
 *
 * Hooks [+] (hooks.js, the chunk dist/liveview.hooks.<hash>.js, loaded with
 *   import() when the page defines window.liveviewHooks or has such an
 *   element after the start task, or a frame brings one): data-liveview-hook="Name" runs
 *   window.liveviewHooks.Name's mounted(el), updated(el) (a frame changed
 *   el or its content), destroyed(el) and reconnected(el), with this.el and
 *   this.pushEvent(fn, data) -> Promise of the server's reply.
 * Form recovery [+] (recover.js): after a reconnect, each element with
 *   data-liveview-recover="fn" sends fn with its data and form, before the
 *   queued events.
 *
 * Uploads [+] (upload.js, and the chunk uploads.js, loaded with import()
 *   the first time an event has files: dist/liveview.uploads.<hash>.js).
 *   An event whose fields include file inputs with files sends them first,
 *   over the same socket; its trigger keeps its loading state meanwhile.
 *   Client -> server, text frames:
 *     {"upload": {"id", "function", "files": [{field, name, size, type}],
 *                 "lang"}}  the announce (no "function" at top level); id
 *                1, 2, 3...; lang (<html lang>) for the refusals' language
 *     {"upload": {"id", "cancel": true}}   abort; the server frees it all
 *   Client -> server, binary frames, one per chunk, files in index order:
 *     byte 0 kind = 1, bytes 1-4 upload id, 5-6 file index, 7-14 offset
 *     (big-endian), then 1 to chunk bytes of data. At most 4 chunks are
 *     unacknowledged per connection, so other events never wait behind
 *     megabytes.
 *   Server -> client: the "upload" frame key above. Once every file's ack
 *   says received == size, the event goes with "upload": id. A socket that
 *   closes mid-upload: it starts again from zero on the next socket (a new
 *   id), and says so with liveview:upload-restart.
 *   The page's side, for a field (the input's name):
 *     liveview:upload-progress  on the input, bubbling, on each ack: detail
 *       {field, name, index, loaded, total, id} (bytes of that file)
 *     <progress data-liveview-upload-progress="avatar">  value / max follow
 *       it (bytes received / the file's size, when not 0); the input's CSS
 *       variable --liveview-upload-progress follows it too (0..1)
 *     liveview:upload-error  on the input, bubbling, when the server refuses
 *       (or a file cannot be read): detail {field, name, message}; the
 *       message goes into [data-liveview-upload-error="avatar"] elements
 *       (emptied when an upload of the field starts); the event is not
 *       sent, the trigger's loading state ends
 *     data-liveview-upload-cancel="avatar"  a click cancels the uploads with
 *       files of the field ("": every upload); so does removing the input
 *       from the page, or leaving the page. liveview:upload-cancel on the
 *       input: detail {field, id}; the loading state ends
 *     liveview:upload-restart  on the input: detail {field, id} (the new id)
 *
 * Builds: this file (dist/liveview.min.js, liveview.js) starts the client
 * when loaded; [+] dist/liveview.esm.js (esm.js) exports start(options),
 * application and Stimulus' Controller, and starts nothing by itself.
 *
 * Globals: window.Stimulus, window.myWebSocket (replaced on reconnect),
 * window.webSocketConfig, [+] window.liveviewHooks (the page's),
 * [+] window.__liveview (internal: what the upload chunk uses).
 * sessionStorage["liveview-history"]: the journal;
 * [+] sessionStorage["liveview-flash"]: the messages a redirect takes along;
 * [+] sessionStorage["liveview-pending"]: the events sent, not yet answered.
 * Document events: liveview:history-restored (as 2.3), [+] liveview:error,
 * [+] liveview:queue-overflow; [+] on file inputs (bubbling):
 * liveview:upload-progress, -error, -cancel, -restart.
 */

import { start } from "./start.js";

start();
