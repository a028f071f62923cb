/*! echo-liveview uploads (github.com/echo-liveview/liveview) */
(() => {
  // src/uploads.js
  var lv = window.__liveview;
  var WINDOW = 4;
  var HEADER = 15;
  var READ_AHEAD = 16;
  var uploads = /* @__PURE__ */ new Map();
  var lastId = 0;
  var pumping = false;
  function start(message, inputs) {
    const u = { message, inputs, files: [] };
    for (const input of inputs) {
      for (const file of input.files) {
        u.files.push({ input, field: input.name, file, index: u.files.length, at: 0, buf: new Uint8Array() });
      }
      for (const el of named("error", input.name)) el.textContent = "";
    }
    announce(u);
    removed();
  }
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
    raw(ws, { id: u.id, function: u.message.function, files, lang: document.documentElement.getAttribute("lang") });
  }
  function open() {
    for (const u of [...uploads.values()]) {
      if (u.ws === lv.ws()) continue;
      const again = u.ws;
      announce(u);
      if (again) for (const input of u.inputs) emit(input, "restart", { field: input.name, id: u.id });
    }
    pump();
  }
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
  function finish(u) {
    if (u.ws !== lv.ws() || !isOpen(u.ws)) return open();
    uploads.delete(u.id);
    lv.send({ ...u.message, upload: u.id });
  }
  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      for (; ; ) {
        const ws = lv.ws();
        let unacked = 0;
        let next = null;
        for (const u2 of uploads.values()) {
          if (u2.ws !== ws) continue;
          unacked += u2.unacked;
          const f2 = u2.chunk && u2.files.find((file) => file.sent < file.file.size);
          if (f2 && !next) next = [u2, f2];
        }
        if (!next || unacked >= WINDOW || !isOpen(ws)) return;
        const [u, f] = next;
        const id = u.id;
        const offset = f.sent;
        const n = Math.min(u.chunk, f.file.size - offset);
        f.sent += n;
        u.unacked++;
        if (!(f.at <= offset && offset + n <= f.at + f.buf.length)) {
          try {
            f.buf = new Uint8Array(await f.file.slice(offset, offset + u.chunk * READ_AHEAD).arrayBuffer());
            f.at = offset;
          } catch (err) {
            if (uploads.get(id) === u) refuse(u, { error: String(err.message || err), field: f.field, file: f.index }, true);
            continue;
          }
        }
        if (uploads.get(id) !== u || u.ws !== ws || !isOpen(ws)) continue;
        const frame2 = new Uint8Array(HEADER + n);
        const v = new DataView(frame2.buffer);
        v.setUint8(0, 1);
        v.setUint32(1, id);
        v.setUint16(5, f.index);
        v.setUint32(7, offset / 2 ** 32);
        v.setUint32(11, offset);
        frame2.set(f.buf.subarray(offset - f.at, offset - f.at + n), HEADER);
        ws.send(frame2);
      }
    } finally {
      pumping = false;
    }
  }
  function refuse(u, f, cancel2) {
    drop(u, cancel2);
    const file = u.files[f.file];
    let inputs = file ? [file.input] : u.inputs.filter((input) => input.name === f.field);
    if (!inputs[0]) inputs = u.inputs;
    for (const input of inputs) {
      for (const el of named("error", input.name)) el.textContent = f.error;
      emit(input, "error", { field: input.name, name: file ? file.file.name : "", message: f.error });
    }
  }
  function cancel(u) {
    drop(u, true);
    for (const input of u.inputs) emit(input, "cancel", { field: input.name, id: u.id });
  }
  function drop(u, cancel2) {
    uploads.delete(u.id);
    if (cancel2 && isOpen(u.ws)) raw(u.ws, { id: u.id, cancel: true });
    lv.done([u.message.ref]);
  }
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
  function removed() {
    for (const u of [...uploads.values()]) if (u.inputs.some((input) => !input.isConnected)) cancel(u);
  }
  function named(kind, field) {
    const attr = "data-liveview-upload-" + kind;
    return Array.from(document.querySelectorAll(`[${attr}]`)).filter((el) => el.getAttribute(attr) === field);
  }
  function emit(el, kind, detail) {
    (el.isConnected ? el : document).dispatchEvent(new CustomEvent("liveview:upload-" + kind, { detail, bubbles: true }));
  }
  function raw(ws, upload) {
    ws.send(JSON.stringify({ upload }));
  }
  function isOpen(ws) {
    return ws && ws.readyState === WebSocket.OPEN;
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-liveview-upload-cancel]");
    if (!button) return;
    const field = button.getAttribute("data-liveview-upload-cancel");
    for (const u of [...uploads.values()]) if (!field || u.files.some((f) => f.field === field)) cancel(u);
  });
  new MutationObserver(removed).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("pagehide", () => [...uploads.values()].forEach(cancel));
  Object.assign(lv, { start, frame, open });
})();
