// Flash messages and redirects (the "flash" and "redirect" frame keys).
// The page shows one message per kind in its [data-liveview-flash]
// container; they are kept here, so they go back into the container after
// a frame replaced it (a navigation), and in sessionStorage across a
// redirect to the same origin.

import { warnOnce } from "./warn.js";

export const KEY = "liveview-flash";
const BOX = "[data-liveview-flash]";
const shown = new Map(); // kind -> its element, in the container or waiting for one

// flash shows {kind, text} as plain text, replacing the message of that
// kind; an empty text only removes it. Then, with or without one (any
// frame), the messages go into the container (placeFlashes).
export function flash(f) {
  if (f?.kind) {
    const kind = f.kind;
    drop(kind);
    if (f.text) {
      const el = document.createElement("div");
      el.className = "liveview-flash liveview-flash-" + kind;
      el.setAttribute("role", kind === "error" ? "alert" : "status");
      el.textContent = f.text; // plain text: never parsed as HTML
      const b = el.appendChild(document.createElement("button"));
      b.type = "button";
      b.setAttribute("aria-label", "Close");
      b.textContent = "×";
      b.onclick = () => drop(kind, el);
      el.f = f; // what a redirect stores
      // Dismissed after the ms of the container it finds, if any.
      const ms = +document.querySelector(BOX)?.dataset.liveviewFlash;
      if (ms > 0) setTimeout(() => drop(kind, el), ms);
      shown.set(kind, el);
    }
  }
  placeFlashes();
}

// drop removes the message of kind, if it still is el.
function drop(kind, el = shown.get(kind)) {
  if (shown.get(kind) === el) {
    el?.remove();
    shown.delete(kind);
  }
}

// placeFlashes appends the messages that are not in the page's container
// to it. Without a container they wait, and the console says so once.
export function placeFlashes() {
  const box = document.querySelector(BOX);
  if (!box) {
    if (shown.size) warnOnce("no " + BOX + " element for a flash");
    return;
  }
  for (const el of shown.values()) if (el.parentNode !== box) box.appendChild(el);
}

// redirect loads url (http, https or relative) with location.assign,
// taking the messages along to a page of the same origin (javascript: and
// data: URLs have none, and are refused).
export function redirect(url) {
  let u;
  try {
    u = new URL(url, location.href);
    if (u.origin === location.origin) {
      sessionStorage.setItem(KEY, JSON.stringify(Array.from(shown.values(), (el) => el.f)));
    }
  } catch (_) {
    // A URL that does not parse is refused below; without storage the
    // messages stay behind.
  }
  if (u && /^https?:$/.test(u.protocol)) location.assign(u);
  else console.error("LiveView: redirect refused", url);
}

// restoreFlashes shows, once, the messages a redirect brought (history.js
// calls it at start with what the tab's sessionStorage holds under KEY).
export function restoreFlashes(saved) {
  if (!Array.isArray(saved)) return;
  sessionStorage.removeItem(KEY);
  for (const f of saved) flash(f);
}
