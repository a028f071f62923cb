// File uploads, the part in the main bundle: an event whose fields include
// file inputs with files (collect.js) comes here instead of going to send.
// Its trigger's loading state starts at once and lasts until the server
// answers the event (or refuses the upload); the upload itself is the
// lazily loaded chunk (uploads.js, dist/liveview.uploads.<hash>.js), loaded
// once with import() (a module script: CSP nonces carry over), from
// webSocketConfig.uploadsURL, else from the directory of the
// script that loaded the client (the ES module: import.meta.url). It gets
// the client through window.__liveview (lv, socket.js) and routes the
// "upload" frames back through lv.frame (render.js).

import { config, tagSrc } from "./config.js";
import { lv, stamp } from "./socket.js";

// UPLOADS is the chunk's content-hashed file name, put in by the build
// (jsclient/internal/build, esbuild's Define).
/* global UPLOADS */

let base = tagSrc; // the URL the chunk's name is resolved against

// uploadBase sets the URL the chunk's name is resolved against (esm.js).
export const uploadBase = (url) => (base = url);

// chunk loads a chunk (import(): the browser loads a URL once) from url,
// else from its name next to the client's script.
export const chunk = (url, name) => import(url || new URL(name, base || location.href));

// upload starts message's loading state, loads the chunk (import(): the
// browser loads a URL once) and hands it the message and the file inputs;
// a chunk that cannot load ends the loading state (the console shows the
// browser's error).
export function upload(message, trigger, inputs) {
  message = stamp(message, trigger);
  chunk(config().uploadsURL, UPLOADS).then(
    () => lv.start(message, inputs),
    (err) => {
      lv.done([message.ref]);
      throw err;
    },
  );
}
