// Streams [+]: the "stream" frame key inserts, updates and deletes the items
// of a container by DOM id; the server keeps nothing. The rules (mirrored by
// ../../internal/clientrules/stream.go):
// - target: the container (first match); reset: true empties it first.
// - each item {id, html, at, before, after, delete}: delete removes the
//   child with that id (if any). Else html's first element is the item and
//   gets the id; a child with that id is morphed into it in place (focus,
//   caret and typed values kept), otherwise it is inserted before / after
//   the child with the id before / after, else at "start", else at the end.
//   Items apply in order, so several inserted at "start" end up reversed.
// - limit > 0: then at most limit element children stay; the trimmed end is
//   the one opposite the frame's last insert (an insert at "start" trims
//   the end; at the end, before or after, or no insert, trims the start).
// Classic scripts inside an inserted or updated item run once with el =
// the item; removed and updated items get cleanup() first. Inserts in a row
// at the same end go into the page as one DocumentFragment.

import { Idiomorph } from "idiomorph";
import { trackRegion } from "./history.js";
import { SCRIPT_SELECTOR, cleanup, query, runScript } from "./scripts.js";
import { updateHooks } from "./hookstub.js";

const MORPH = { morphStyle: "outerHTML", ignoreActiveValue: true, restoreFocus: true };

// applyStream applies one frame's stream object.
export function applyStream(s) {
  const box = query(s.target);
  if (!box) {
    console.error(`LiveView: target ${s.target} not found`);
    return;
  }
  trackRegion(s.target);
  const drop = (el) => {
    cleanup(el);
    el.remove();
  };
  if (s.reset) {
    for (const el of box.children) cleanup(el);
    box.textContent = "";
  }
  const kids = new Map(); // id -> child element, the first one with that id
  for (const el of box.children) if (el.id && !kids.has(el.id)) kids.set(el.id, el);
  const scripts = []; // [item, sources], run once the items are in the page
  const morphed = []; // items updated in place: their hooks get updated
  let frag = null; // pending inserts at one end
  let front = false; // the pending (else the last) insert went to the start
  const flush = () => {
    if (frag) front ? box.prepend(frag) : box.append(frag);
    frag = null;
  };
  for (const it of Array.isArray(s.items) ? s.items : []) {
    const id = it?.id;
    if (typeof id !== "string" || !id) continue;
    let el = kids.get(id);
    if (it.delete) {
      if (el) drop(el);
      kids.delete(id);
      continue;
    }
    const t = document.createElement("template");
    t.innerHTML = String(it.html ?? "");
    const node = t.content.firstElementChild;
    if (!node) {
      console.error(`LiveView: stream item ${id} has no element`);
      continue;
    }
    if (node.id !== id) node.id = id;
    const src = Array.from(node.querySelectorAll(SCRIPT_SELECTOR), (x) => x.textContent);
    if (el) {
      cleanup(el);
      el = Idiomorph.morph(el, node, MORPH)[0];
      morphed.push(el);
    } else {
      el = node;
      const ref = kids.get(it.before || it.after);
      const start = it.at === "start";
      if (ref) {
        flush();
        it.before ? ref.before(el) : ref.after(el);
        front = false;
      } else {
        if (start !== front) flush();
        front = start;
        frag ||= document.createDocumentFragment();
        start ? frag.prepend(el) : frag.append(el);
      }
    }
    kids.set(id, el);
    if (src.length) scripts.push([el, src]);
  }
  flush();
  for (const [el, src] of scripts) for (const x of src) runScript(el, x);
  const limit = Number(s.limit);
  if (limit > 0) {
    for (let n = box.childElementCount - limit; n > 0; n--) drop(front ? box.lastElementChild : box.firstElementChild);
  }
  updateHooks(box, morphed);
}
