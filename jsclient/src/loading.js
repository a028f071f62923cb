// Loading states (our addition): while an event with a ref waits for the
// server's {"ref": n}, its trigger element gets aria-busy="true" and the
// liveview-loading class, and data-liveview-disable-with="Saving..."
// disables it and shows that text. Everything is restored on the answer.

const pending = new Map(); // ref -> trigger element
const busy = new WeakMap(); // element -> {count, text, disabled}
const replies = new Map(); // ref -> function given the answering frame

// awaitReply has fn called with the frame answering ref (see send).
export function awaitReply(ref, fn) {
  replies.set(ref, fn);
}

// startLoading marks el as waiting for the answer to ref.
export function startLoading(ref, el) {
  if (!el?.isConnected) return;
  pending.set(ref, el);
  let state = busy.get(el);
  if (state) {
    state.count += 1;
    return;
  }
  state = { count: 1, text: null, disabled: el.disabled };
  busy.set(el, state);
  el.setAttribute("aria-busy", "true");
  el.classList.add("liveview-loading");
  const label = el.getAttribute("data-liveview-disable-with");
  if (label !== null) {
    state.text = el.textContent;
    el.textContent = label;
    if ("disabled" in el) el.disabled = true;
  }
}

// finishLoading gives frame (undefined: the answer is lost) to whoever
// waits for ref's reply, and restores the element waiting for ref, once no
// other event of the same element is pending.
export function finishLoading(ref, frame) {
  const reply = replies.get(ref);
  if (reply) {
    replies.delete(ref);
    reply(frame);
  }
  const el = pending.get(ref);
  if (!el) return;
  pending.delete(ref);
  const state = busy.get(el);
  if (!state || --state.count > 0) return;
  busy.delete(el);
  el.removeAttribute("aria-busy");
  el.classList.remove("liveview-loading");
  if (state.text !== null) {
    el.textContent = state.text;
    if ("disabled" in el) el.disabled = state.disabled;
  }
}

// finishAll clears every loading state in refs (events lost with a socket).
export function finishAll(refs) {
  for (const ref of refs) finishLoading(ref);
}
