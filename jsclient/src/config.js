// window.webSocketConfig: the user's settings, completed with our defaults.
// It is read at every use, so a page or a test may change it at run time.

// The endpoint the server wrote on the script tag that loaded us
// (<script src=... data-liveview-path="/app/ws/liveview/:room/" defer>, as
// Hub.ScriptTag writes it). document.currentScript is set while a classic
// script runs, deferred or not; the query covers a client loaded another way.
const tag = document.currentScript || document.querySelector("script[data-liveview-path]");
const tagPath = tag?.dataset.liveviewPath || "";
// Its URL: the upload chunk is loaded from the same directory (upload.js).
export const tagSrc = tag?.src;

// Defaults for every key we read; a user-predefined object keeps its values.
function defaults() {
  return {
    host: location.host,
    protocol: location.protocol === "https:" ? "wss" : "ws",
    path: tagPath || "/ws/liveview/", // upstream ignores "path"; we honour it
    reconnectBaseMs: 1000, // first reconnect delay, before jitter
    reconnectMaxMs: 30000, // cap of the reconnect delay
    restartWindowMs: 5000, // spread after a close 1012 whose reason has no window
    queueLimit: 100, // events kept while the socket is not open
    legacyRoomStorage: false, // true: upstream's localStorage["room"]
    loadingStates: true, // false: no ref on events, no loading states
    expiredMessage: "Your session has expired. Reloading...", // the banner after a close 4401
    expiredReloadMs: 1000, // the reload after a close 4401 waits 1 to 5 times this, at random
    disconnectedMessage: "You have been disconnected.", // the banner after a close 4403 without a reason
  };
}

// config returns window.webSocketConfig with every missing key filled in.
export function config() {
  let cfg = window.webSocketConfig;
  if (!cfg || typeof cfg !== "object") {
    cfg = window.webSocketConfig = {};
  }
  const def = defaults();
  for (const key of Object.keys(def)) {
    if (cfg[key] === undefined || cfg[key] === null) cfg[key] = def[key];
  }
  return cfg;
}

// number returns the numeric setting key when it is a positive finite
// number, else its default.
export function number(key) {
  const n = Number(config()[key]);
  return Number.isFinite(n) && n > 0 ? n : defaults()[key];
}
