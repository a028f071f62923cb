// The main bundle's side of client hooks (hooks.js is a lazily loaded
// chunk, dist/liveview.hooks.<hash>.js, loaded like the upload chunk):
// the chunk loads, once, when the page defines window.liveviewHooks or has
// a data-liveview-hook element once the start task ended (so definitions
// in later scripts count), or when a frame's change brings one; until it
// has loaded, frames and reconnects have no hook to tell.

import { lv } from "./socket.js";
import { chunk } from "./upload.js";
import { config } from "./config.js";

// HOOKS is the chunk's content-hashed file name, put in by the build.
/* global HOOKS */

const SELECTOR = "[data-liveview-hook]";
let loading = false;

const load = () => loading || (loading = chunk(config().hooksURL, HOOKS));

// watchHooks loads the chunk after the start task if the page uses hooks.
export const watchHooks = () =>
  setTimeout(() => (window.liveviewHooks || document.querySelector(SELECTOR)) && load(), 0);

// updateHooks tells the chunk a frame changed el (see hooks.js), or loads
// it when el is or holds a hook element.
export function updateHooks(el, deep) {
  if (lv.hooks) lv.hooks.u(el, deep);
  else if (el.closest(SELECTOR) || el.querySelector(SELECTOR)) load();
}

// reconnectHooks tells the chunk's hooks the connection is back.
export const reconnectHooks = () => lv.hooks?.r();
