// The upload chunk (dist/liveview.uploads.<hash>.js): loaded by upload.js
// the first time an event has files to upload, never on other pages. It
// sends the files of an event over the page's own WebSocket, then the
// event; the protocol and the page's side of it (attributes, events) are
// in main.js' header, "Uploads".
//
// What it uses of the client is window.__liveview (socket.js' lv): send,
// ws() (the current socket) and done(refs) (ends their loading states); it adds
// start (upload.js calls it), frame (render.js gives it the "upload"
// frames) and open (socket.js calls it when a socket opens).
//
// An upload is one event's files: {message, inputs, files, id, ws, chunk,
// unacked}, each file {input, field, file, index, sent, loaded, at, buf}
// (buf: the bytes read from offset at on). Its id is
// new for each announce (1, 2, 3... per page, so unique per connection);
// ws is the socket it was announced on (null: waiting for one), chunk the
// data bytes per frame the server accepted (0: not yet), unacked its chunk
// frames sent and not acknowledged.

const lv = window.__liveview;

// Chunk frames sent and not acknowledged, at most, per connection: an event
// frame waits behind at most this many chunks.
const WINDOW = 4;

// The chunk frame's header: kind (1: a chunk), upload id, file index,
// offset; then the data.
const HEADER = 15;

// Chunks read from a file at once: the bytes of a file held in memory are
// at most this many chunks.
const READ_AHEAD = 16;

const uploads = new Map(); // id -> upload, oldest first
let lastId = 0;
let pumping = false; // a pump loop is running

// start uploads the files of inputs (file inputs with files), then sends
// message (stamped: its ref is the trigger's loading state) with the key
// "upload": the upload's id.
function start(message, inputs) {
  const u = { message, inputs, files: [] };
  for (const input of inputs) {
    for (const file of input.files) {
      u.files.push({ input, field: input.name, file, index: u.files.length, at: 0, buf: new Uint8Array() });
    }
    for (const el of named("error", input.name)) el.textContent = "";
  }
  announce(u);
  removed(); // an input that left the page while the chunk loaded
}

// announce gives u a new id and announces it on the current socket, or
// waits for one to open (open).
function announce(u) {
  const ws = lv.ws();
  uploads.delete(u.id);
  u.id = ++lastId;
  u.ws = null;
  u.chunk = u.unacked = 0;
  for (const f of u.files) f.sent = f.loaded = 0;
  uploads.set(u.id, u);
  if (!isOpen(ws)) return;
  u.ws = ws;
  const files = u.files.map((f) => ({ field: f.field, name: f.file.name, size: f.file.size, type: f.file.type }));
  // lang: the language of the server's refusals, as an event's.
  raw(ws, { id: u.id, function: u.message.function, files, lang: document.documentElement.getAttribute("lang") });
}

// open runs when a socket opens: the uploads of a socket that closed start
// again from zero on this one, with a new id (the server forgot the old
// one), and say so with liveview:upload-restart; those that waited for a
// socket start.
function open() {
  for (const u of [...uploads.values()]) {
    if (u.ws === lv.ws()) continue;
    const again = u.ws;
    announce(u);
    if (again) for (const input of u.inputs) emit(input, "restart", { field: input.name, id: u.id });
  }
  pump();
}

// frame handles an "upload" frame: refused, accepted or an ack. Frames of
// an upload that is no longer live (cancelled, refused, restarted) are
// ignored.
function frame(f) {
  const u = uploads.get(f.id);
  if (!u) return;
  if (f.error != null) return refuse(u, f);
  if (f.chunk > 0) {
    u.chunk = f.chunk;
    for (const file of u.files) if (!file.file.size) progress(u, file);
  } else if (u.files[f.file] && f.received >= 0) {
    u.unacked--;
    u.files[f.file].loaded = f.received;
    progress(u, u.files[f.file]);
  }
  if (u.chunk && u.files.every((file) => file.loaded >= file.file.size)) finish(u);
  else pump();
}

// finish sends the event of a complete upload, on the socket that carried
// it; if that socket is gone, the upload starts again.
function finish(u) {
  if (u.ws !== lv.ws() || !isOpen(u.ws)) return open();
  uploads.delete(u.id);
  lv.send({ ...u.message, upload: u.id });
}

// pump sends chunk frames, file after file and upload after upload, while
// fewer than WINDOW are unacknowledged on the current socket. One loop runs
// at a time; acks start it again.
async function pump() {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      const ws = lv.ws();
      let unacked = 0;
      let next = null;
      for (const u of uploads.values()) {
        if (u.ws !== ws) continue;
        unacked += u.unacked;
        const f = u.chunk && u.files.find((file) => file.sent < file.file.size);
        if (f && !next) next = [u, f];
      }
      if (!next || unacked >= WINDOW || !isOpen(ws)) return;
      const [u, f] = next;
      const id = u.id;
      const offset = f.sent;
      const n = Math.min(u.chunk, f.file.size - offset);
      f.sent += n;
      u.unacked++;
      // Reads of a file are slow (each a round trip to the browser's file
      // thread), so they go READ_AHEAD chunks at a time.
      if (!(f.at <= offset && offset + n <= f.at + f.buf.length)) {
        try {
          f.buf = new Uint8Array(await f.file.slice(offset, offset + u.chunk * READ_AHEAD).arrayBuffer());
          f.at = offset;
        } catch (err) {
          // The file changed or went away on disk.
          if (uploads.get(id) === u) refuse(u, { error: String(err.message || err), field: f.field, file: f.index }, true);
          continue;
        }
      }
      // Cancelled, refused or restarted meanwhile: the bytes are stale.
      if (uploads.get(id) !== u || u.ws !== ws || !isOpen(ws)) continue;
      const frame = new Uint8Array(HEADER + n);
      const v = new DataView(frame.buffer);
      v.setUint8(0, 1);
      v.setUint32(1, id);
      v.setUint16(5, f.index);
      v.setUint32(7, offset / 2 ** 32);
      v.setUint32(11, offset); // ToUint32: the low 32 bits
      frame.set(f.buf.subarray(offset - f.at, offset - f.at + n), HEADER);
      ws.send(frame);
    }
  } finally {
    pumping = false;
  }
}

// refuse ends u after the server refused it ({error, field, file}: field
// and file absent when the refusal is about the whole upload), or after the
// client could not read a file (cancel: tell the server): each input the
// refusal names gets liveview:upload-error, and the text goes into its
// [data-liveview-upload-error] elements; the event is not sent and the
// trigger's loading state ends.
function refuse(u, f, cancel) {
  drop(u, cancel);
  const file = u.files[f.file];
  let inputs = file ? [file.input] : u.inputs.filter((input) => input.name === f.field);
  if (!inputs[0]) inputs = u.inputs;
  for (const input of inputs) {
    for (const el of named("error", input.name)) el.textContent = f.error;
    emit(input, "error", { field: input.name, name: file ? file.file.name : "", message: f.error });
  }
}

// cancel aborts u: the server frees what it holds, the trigger's loading
// state ends, its inputs get liveview:upload-cancel.
function cancel(u) {
  drop(u, true);
  for (const input of u.inputs) emit(input, "cancel", { field: input.name, id: u.id });
}

// drop forgets u (telling the server when cancel is true) and ends its
// trigger's loading state.
function drop(u, cancel) {
  uploads.delete(u.id);
  if (cancel && isOpen(u.ws)) raw(u.ws, { id: u.id, cancel: true });
  lv.done([u.message.ref]);
}

// progress tells the page how much of file f has arrived: the
// liveview:upload-progress event on its input, the value (bytes received)
// and max (its size, when not 0) of its field's <progress
// data-liveview-upload-progress> elements, and the input's
// --liveview-upload-progress CSS variable (0..1; 1 for an empty file).
function progress(u, f) {
  const { input, field, file, loaded } = f;
  const total = file.size;
  emit(input, "progress", { field, name: file.name, index: f.index, loaded, total, id: u.id });
  input.style.setProperty("--liveview-upload-progress", total ? loaded / total : 1);
  for (const el of named("progress", field)) {
    if (el.tagName !== "PROGRESS") continue;
    if (total) el.max = total;
    el.value = loaded;
  }
}

// removed cancels the uploads whose inputs left the page.
function removed() {
  for (const u of [...uploads.values()]) if (u.inputs.some((input) => !input.isConnected)) cancel(u);
}

// named returns the [data-liveview-upload-KIND] elements naming field.
function named(kind, field) {
  const attr = "data-liveview-upload-" + kind;
  return Array.from(document.querySelectorAll(`[${attr}]`)).filter((el) => el.getAttribute(attr) === field);
}

// emit dispatches the bubbling liveview:upload-KIND event on el, or, when
// el left the page, on document.
function emit(el, kind, detail) {
  (el.isConnected ? el : document).dispatchEvent(new CustomEvent("liveview:upload-" + kind, { detail, bubbles: true }));
}

function raw(ws, upload) {
  ws.send(JSON.stringify({ upload }));
}

function isOpen(ws) {
  return ws && ws.readyState === WebSocket.OPEN;
}

// A click on [data-liveview-upload-cancel="field"] cancels the uploads that
// have files of field; without a value, every upload of the page.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-liveview-upload-cancel]");
  if (!button) return;
  const field = button.getAttribute("data-liveview-upload-cancel");
  for (const u of [...uploads.values()]) if (!field || u.files.some((f) => f.field === field)) cancel(u);
});
// An input removed from the page cancels its upload; so does leaving it.
new MutationObserver(removed).observe(document.documentElement, { childList: true, subtree: true });
window.addEventListener("pagehide", () => [...uploads.values()].forEach(cancel));

Object.assign(lv, { start, frame, open });
