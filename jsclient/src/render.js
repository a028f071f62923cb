// Applying server frames to the page, in Django LiveView's order (§2.4):
// target (html / append / remove, url, title), then scroll, then scrollTop.

import { pushUrl } from "./history.js";

// Classic scripts only; modules, templates and other types stay inert.
const SCRIPT_SELECTOR = 'script:not([type]), script[type="text/javascript"]';

// Scrolls wait for the browser to lay out the new content.
const SCROLL_DELAY_MS = 50;

// handleFrame parses one text frame and applies it. It never throws.
export function handleFrame(raw) {
  let data;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    console.error("LiveView: invalid JSON frame", err);
    return;
  }
  // Only objects are frames; anything else is ignored like unknown keys.
  if (!data || typeof data !== "object" || Array.isArray(data)) return;

  // Server errors carry no target: surface them to the page (our addition).
  if (data.error && !data.target) {
    console.warn("LiveView:", data.error);
    document.dispatchEvent(new CustomEvent("liveview:error", { detail: data }));
  }
  if (data.target) renderTarget(data);
  if (data.scroll) scrollToAnchor(data.scroll);
  if (data.scrollTop) scrollToTop();
}

// renderTarget changes the target element; url and title apply only when
// the target exists (upstream semantics).
function renderTarget(data) {
  const el = query(data.target);
  if (!el) {
    console.error(`LiveView: target ${data.target} not found`);
    return;
  }
  if (data.url) pushUrl(data.url);
  if (data.remove) {
    cleanup(el);
    el.remove();
  } else if (data.html !== undefined && data.html !== null) {
    insert(el, String(data.html), Boolean(data.append));
    // Navigation without an explicit scroll starts at the top of the page.
    if (data.html && data.url && !data.scroll) {
      setTimeout(() => window.scrollTo({ top: 0 }), SCROLL_DELAY_MS);
    }
  }
  // A missing html leaves the content alone (upstream rendered "undefined").
  if (data.title) document.title = data.title;
}

// insert parses html with <template> (2.3.0: faithful for <tr>, <style>...),
// appends it or replaces el's children, then runs its classic scripts.
function insert(el, html, append) {
  const template = document.createElement("template");
  template.innerHTML = html;
  // Parsed scripts are inert in the DOM; we run their text once, below.
  const sources = Array.from(
    template.content.querySelectorAll(SCRIPT_SELECTOR),
    (script) => script.textContent,
  );
  if (!append) {
    cleanup(el);
    el.textContent = "";
  }
  el.appendChild(template.content);
  for (const src of sources) runScript(el, src);
}

// runScript runs an inline script with `el` and `this` bound to the target.
function runScript(el, src) {
  try {
    new Function("el", src).call(el, el);
  } catch (err) {
    console.error("LiveView script error:", err);
  }
}

// cleanup calls and forgets the hook a script may leave on its target.
function cleanup(el) {
  const hook = el.__cleanup;
  delete el.__cleanup;
  if (typeof hook !== "function") return;
  try {
    hook.call(el);
  } catch (err) {
    console.error("LiveView cleanup error:", err);
  }
}

// query is querySelector that treats an invalid selector as "not found".
function query(selector) {
  try {
    return document.querySelector(selector);
  } catch (err) {
    console.error(`LiveView: invalid selector ${selector}`, err);
    return null;
  }
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
