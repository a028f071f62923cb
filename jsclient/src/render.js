// Applying server frames to the page, in Django LiveView's order (§2.4):
// target (html / append / remove / morph, url, title), then scroll, then
// scrollTop; then our additions: stream (stream.js) right after the
// target, then js (so its commands reach just-inserted HTML; before
// scroll, which waits anyway), flash, event, error, upload (to the upload
// chunk), ref and redirect.

import { Idiomorph } from "idiomorph";
import { pushUrl, trackRegion, trackRemoval } from "./history.js";
import { finishLoading } from "./loading.js";
import { updateHooks } from "./hookstub.js";
import { flash, redirect } from "./flash.js";
import { SCRIPT_SELECTOR, cleanup, query, runScript } from "./scripts.js";
import { runJS } from "./commands.js";
import { applyStream } from "./stream.js";
import { lv } from "./socket.js";

// Scrolls wait for the browser to lay out the new content.
const SCROLL_DELAY_MS = 50;

// handleFrame parses one text frame and applies it. It never throws; it
// returns the frame's ref (0 when none) and "once" key, for the socket.
export function handleFrame(raw) {
  let data;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    console.error("LiveView: invalid JSON frame", err);
    return [];
  }
  // Only objects are frames; anything else is ignored like unknown keys.
  if (!data || typeof data !== "object" || Array.isArray(data)) return [];

  if (data.target) renderTarget(data);
  if (data.stream) applyStream(data.stream);
  if (data.js) runJS(data.js);
  // Flash messages go (back) into the container the target may have replaced.
  flash(data.flash);
  if (data.scroll) scrollToAnchor(data.scroll);
  if (data.scrollTop) scrollToTop();
  // event + eventData: the JS-interop pattern upstream's docs ask users to
  // write by hand.
  if (typeof data.event === "string" && data.event) {
    document.dispatchEvent(
      new CustomEvent(data.event, { detail: data.eventData, bubbles: true, cancelable: true }),
    );
  }
  // Server errors carry no target: surface them to the page.
  if (data.error && !data.target) {
    console.warn("LiveView:", data.error);
    document.dispatchEvent(new CustomEvent("liveview:error", { detail: data }));
  }
  // Upload frames (accepted, ack, refused) go to the upload chunk.
  if (data.upload) lv.frame?.(data.upload);
  const ref = Number.isInteger(data.ref) && data.ref > 0 ? data.ref : 0;
  // "once": "retry": the event stays pending, its loading state too.
  if (ref && data.once != "retry") finishLoading(ref, data);
  if (typeof data.redirect === "string") redirect(data.redirect);
  return [ref, data.once];
}

// renderTarget changes the target element; url and title apply only when
// the target exists (upstream semantics).
function renderTarget(data) {
  const el = query(data.target);
  if (!el) {
    console.error(`LiveView: target ${data.target} not found`);
    return;
  }
  const parent = el.parentElement;
  // The history journal records what is about to change before it does.
  if (data.remove) trackRemoval(el);
  else trackRegion(data.target);
  if (data.url) pushUrl(data.url);
  if (data.remove) {
    cleanup(el);
    el.remove();
  } else if (data.html != null) {
    insert(el, String(data.html), Boolean(data.append), Boolean(data.morph));
    // Navigation without an explicit scroll starts at the top of the page.
    if (data.html && data.url && !data.scroll) {
      setTimeout(() => scrollTo({ top: 0 }), SCROLL_DELAY_MS);
    }
  }
  // A missing html leaves the content alone (upstream rendered "undefined").
  if (data.title) document.title = data.title;
  if (!data.remove) updateHooks(el);
  else if (parent) updateHooks(parent, []);
}

// insert parses html with <template> (2.3.0: faithful for <tr>, <style>...),
// then appends it, morphs el into it, or replaces el's children, and runs
// its classic scripts once. The scripts stay in the DOM, inert, so history
// can replay them.
function insert(el, html, append, morph) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const sources = Array.from(template.content.querySelectorAll(SCRIPT_SELECTOR), (s) => s.textContent);
  if (append) {
    el.append(template.content);
  } else {
    cleanup(el);
    // Morphing, focus, caret, selection and the focused field's typed value
    // survive.
    if (morph) {
      Idiomorph.morph(el, template.content, {
        morphStyle: "innerHTML",
        ignoreActiveValue: true,
        restoreFocus: true,
      });
    } else {
      el.replaceChildren(template.content);
    }
  }
  for (const src of sources) runScript(el, src);
}

// scrollToAnchor smoothly scrolls the element matching selector into view.
function scrollToAnchor(selector) {
  setTimeout(() => {
    const el = query(selector);
    if (el) el.scrollIntoView({ behavior: "smooth" });
    else console.warn(`LiveView: scroll target ${selector} not found`);
  }, SCROLL_DELAY_MS);
}

// scrollToTop smoothly scrolls to the top of the body.
function scrollToTop() {
  setTimeout(() => document.body.scrollIntoView({ behavior: "smooth" }), SCROLL_DELAY_MS);
}
