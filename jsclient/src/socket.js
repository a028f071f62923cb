// The page's WebSocket: connecting, reconnecting, the offline queue and
// frame dispatch. Fixes upstream's bugs: reconnection never gives up, and
// readiness is the socket's own state, so no flag can stay stuck (§2.6).

import { config, number } from "./config.js";
import { resolveRoom } from "./room.js";
import { handleFrame } from "./render.js";
import { hideBanner, showBanner } from "./banner.js";

// A close with this code is deliberate: no reconnect, no banner.
const NORMAL_CLOSURE = 1000;

// Reconnect delays grow by this factor per failed attempt (as upstream).
const BACKOFF = 1.5;

let socket = null; // the current WebSocket, also window.myWebSocket
let room = null; // the current connection's room, stamped on every send
let attempts = 0; // reconnect attempts since the last successful open
let timer = null; // the pending reconnect, if any
const queue = []; // events waiting for an open socket, oldest first

// connect opens a new socket unless one is already open or opening.
export function connect() {
  clearTimeout(timer);
  timer = null;
  if (isOpen() || isConnecting()) return;
  const cfg = config();
  room = resolveRoom(cfg);
  let ws;
  try {
    ws = new WebSocket(socketURL(cfg, room));
  } catch (err) {
    console.error("LiveView: cannot open the WebSocket", err);
    connectionLost();
    return;
  }
  socket = ws;
  window.myWebSocket = ws;
  ws.addEventListener("open", () => {
    if (ws === socket) opened();
  });
  ws.addEventListener("message", (event) => handleFrame(event.data));
  ws.addEventListener("close", (event) => {
    if (ws === socket && event.code !== NORMAL_CLOSURE) connectionLost();
  });
  ws.addEventListener("error", () => {
    if (ws === socket) connectionLost();
  });
}

// send transmits message ({function, data, form}) now if the socket is
// open, else queues it; lang and room are added at actual send time.
export function send(message) {
  if (isOpen() && transmit(message)) return;
  enqueue(message);
  // A socket closed normally (code 1000) is reopened by the next event.
  if (timer === null && !isConnecting()) connect();
}

// watchNetwork follows the browser's offline/online events.
export function watchNetwork() {
  window.addEventListener("offline", showBanner);
  window.addEventListener("online", () => {
    if (isOpen()) {
      // The socket survived the blip: nothing is blocked, drain just in case.
      hideBanner();
      flush();
    } else {
      connect();
    }
  });
}

// queueLength reports how many events wait for the socket.
export function queueLength() {
  return queue.length;
}

function isOpen() {
  return socket !== null && socket.readyState === WebSocket.OPEN;
}

function isConnecting() {
  return socket !== null && socket.readyState === WebSocket.CONNECTING;
}

// socketURL builds `${protocol}://${host}${path}${room}/`.
function socketURL(cfg, room) {
  let path = String(cfg.path);
  if (!path.startsWith("/")) path = "/" + path;
  if (!path.endsWith("/")) path += "/";
  return `${cfg.protocol}://${cfg.host}${path}${encodeURIComponent(room)}/`;
}

// opened resets the backoff, hides the banner and flushes the queue.
function opened() {
  attempts = 0;
  hideBanner();
  flush();
}

// connectionLost shows the banner and schedules a reconnect.
function connectionLost() {
  showBanner();
  scheduleReconnect();
}

// scheduleReconnect waits min(base * 1.5^(attempt-1), max) with equal
// jitter (half fixed, half random) so clients cut off together spread out.
// It never gives up; one attempt is pending at a time.
function scheduleReconnect() {
  if (timer !== null) return;
  attempts += 1;
  const base = number("reconnectBaseMs");
  const max = number("reconnectMaxMs");
  const delay = Math.min(base * Math.pow(BACKOFF, attempts - 1), max);
  timer = setTimeout(connect, delay / 2 + (Math.random() * delay) / 2);
}

// transmit stamps lang and room and sends; false if the socket refused it.
function transmit(message) {
  const frame = JSON.stringify({
    ...message,
    lang: document.documentElement.getAttribute("lang"),
    room,
  });
  try {
    socket.send(frame);
    return true;
  } catch (err) {
    console.error("LiveView: send failed", err);
    return false;
  }
}

// enqueue keeps at most queueLimit events, dropping the oldest and telling
// the page with a liveview:queue-overflow event (detail: {dropped, limit}).
function enqueue(message) {
  const limit = Math.max(1, Math.floor(number("queueLimit")));
  while (queue.length >= limit) {
    const dropped = queue.shift();
    console.warn("LiveView: queue full, dropped", dropped.function);
    document.dispatchEvent(
      new CustomEvent("liveview:queue-overflow", { detail: { dropped, limit } }),
    );
  }
  queue.push(message);
}

// flush sends the queued events in order while the socket stays open.
function flush() {
  while (queue.length > 0 && isOpen()) {
    if (!transmit(queue[0])) return;
    queue.shift();
  }
}
