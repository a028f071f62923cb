// The page's WebSocket: connecting, reconnecting, the offline queue and
// frame dispatch. Fixes upstream's bugs: reconnection never gives up, and
// the offline flag is cleared by "online", which also flushes the queue, so
// no event stays queued after a blip the socket survived (§2.6). A server
// that drains (close 1012) or is too busy (503 + Retry-After) spreads the
// reconnects of its clients instead of getting them all at once.

import { config, number } from "./config.js";
import { resolveRoom } from "./room.js";
import { handleFrame } from "./render.js";
import { hideBanner, showBanner } from "./banner.js";
import { awaitReply, finishAll, startLoading } from "./loading.js";

// A close with this code is deliberate: no reconnect, no banner.
const NORMAL_CLOSURE = 1000;

// A close with this code (service restart) is a planned drain: reconnect
// after a random delay within the window of its reason.
const SERVICE_RESTART = 1012;
const RESTART_REASON = /^liveview:restart:(\d+)$/;

// A close with this code (liveview:expired): the session has expired.
const EXPIRED = 4401;

// A close with this code (liveview:disconnected[:reason]): Hub.Disconnect.
const DISCONNECTED = 4403;

// Reconnect delays grow by this factor per failed attempt (as upstream).
const BACKOFF = 1.5;

let socket = null; // the current WebSocket, also window.myWebSocket
let room = null; // the current connection's room, stamped on every send
let attempts = 0; // reconnect attempts since the last successful open
let timer = null; // the pending reconnect (or probe), if any
let restarting = false; // the pending reconnect waits out a planned restart
let offline = false; // between the window's "offline" and "online" events
// Exactly once: every event with a ref gets an id, this page load's
// random tab + "." + its ref; sent, it waits in pending (sessionStorage
// "liveview-pending", so a reload of the tab keeps it, renumbered) until
// its answer, and each socket that opens sends the unanswered ones again
// first. The server runs an id once: a duplicate is answered from its
// record; "once": "retry" keeps it pending, sent again reconnectBaseMs later.
// One draw of crypto.getRandomValues (24 bytes, base64url) per page load
// gives the page secret (its first 22 characters: 132 bits), sent on every
// handshake of the page (?page=: Config.KeepValues restores the page's
// values), and, disjoint from it, the tab (the last 10) that prefixes event
// ids, which the server may log: they never reveal the secret.
const PENDING = "liveview-pending";
const rnd = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))))
  .replace(/\+/g, "-")
  .replace(/\//g, "_");
const tab = rnd.slice(22);
let pending = JSON.parse(sessionStorage.getItem(PENDING)) || [];
let lastRef = 0; // the last ref put on an event
for (const m of pending) m.ref = ++lastRef;
let opens = 0; // sockets that opened: from the second on, a reconnect
let reconnected = () => {}; // what start() wants done on a reconnect
let stopped = false; // closed with 4401 or 4403: never connect again
const queue = []; // events waiting for an open socket, oldest first

// connect opens a new socket unless one is already open or opening.
export function connect() {
  if (stopped) return;
  clearTimeout(timer);
  timer = null;
  restarting = false;
  if (isOpen() || isConnecting()) return;
  const cfg = config();
  room = resolveRoom(cfg);
  const url = socketURL(cfg, room);
  let ws;
  let up = false; // whether ws opened: a failure before that gets a probe
  try {
    ws = new WebSocket(url);
  } catch (err) {
    console.error("LiveView: cannot open the WebSocket", err);
    connectionLost();
    return;
  }
  socket = ws;
  window.myWebSocket = ws;
  ws.addEventListener("open", () => {
    up = true;
    if (ws === socket) opened();
  });
  ws.addEventListener("message", (event) => {
    const [ref, once] = handleFrame(event.data);
    const m = pending.find((p) => p.ref === ref);
    // At most one send of an id in flight: a "retry" goes again on this
    // socket only (a new socket sends every pending event itself).
    if (once === "retry") setTimeout(() => m && ws === socket && transmit(m), number("reconnectBaseMs"));
    else if (m) save(pending.filter((p) => p !== m));
  });
  ws.addEventListener("close", (event) => {
    if (ws !== socket) return;
    if (event.code === SERVICE_RESTART) restart(event.reason);
    else if (event.code === EXPIRED) expire();
    else if (event.code === DISCONNECTED) stop(event.reason.slice(22) || config().disconnectedMessage);
    else if (event.code !== NORMAL_CLOSURE) connectionLost(!up && url);
  });
  ws.addEventListener("error", () => {
    if (ws === socket) connectionLost(!up && url);
  });
}

// send transmits message ({function, data, form}) now if the socket is
// open and the browser online, else queues it; lang and room are added at
// actual send time. With a trigger element or reply, it is stamped first.
export function send(message, trigger, reply) {
  message = stamp(message, trigger, reply);
  // Queued events go first, so the order is always the order of clicks.
  if (!offline && isOpen() && queue.length === 0 && transmit(message)) return;
  enqueue(message);
  if (offline) return;
  if (isOpen()) flush();
  // A socket closed normally (code 1000) is reopened by the next event, and
  // so is one waiting out a planned restart: a user beats the spread.
  else if ((timer === null || restarting) && !isConnecting()) connect();
}

// stamp returns message with a ref when it has a trigger element (which
// gets a loading state until the server answers that ref) or a reply
// (which gets the answering frame, or undefined when the answer is lost
// with the socket or the queue); else message itself.
export function stamp(message, trigger, reply) {
  const loading = trigger && config().loadingStates !== false;
  if (loading || reply) {
    message = { ...message, ref: ++lastRef, id: tab + "." + lastRef };
    if (loading) startLoading(message.ref, trigger);
    if (reply) awaitReply(message.ref, reply);
  }
  return message;
}

// lv is what the upload chunk (uploads.js) uses of the client, as
// window.__liveview: send, ws() (the current socket), done(refs) (ends
// their loading states); the chunk adds start, frame and open (upload.js).
export const lv = (window.__liveview = { send, ws: () => socket, done: finishAll });

// watchNetwork follows the browser's offline/online events. Offline, events
// are queued (the socket may look open but cannot deliver); online, the
// queue is flushed in order, on the surviving socket or a new one.
export function watchNetwork() {
  offline = navigator.onLine === false;
  addEventListener("offline", () => {
    offline = true;
    showBanner();
  });
  addEventListener("online", () => {
    offline = false;
    if (isOpen()) {
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

// isOpen reports whether the socket is open.
export function isOpen() {
  return socket?.readyState === 1; // OPEN
}

function isConnecting() {
  return socket?.readyState === 0; // CONNECTING
}

// socketURL builds `${protocol}://${host}${path}${room}/?page=${secret}`, or,
// when path is a pattern with ":room" (as Config.Path), puts the room there.
function socketURL(cfg, room) {
  let path = String(cfg.path);
  const seg = encodeURIComponent(room);
  if (!path.startsWith("/")) path = "/" + path;
  if (path.includes(":room")) {
    path = path.replace(":room", () => seg);
  } else {
    if (!path.endsWith("/")) path += "/";
    path += seg + "/";
  }
  return `${cfg.protocol}://${cfg.host}${path}?page=${rnd.slice(0, 22)}`;
}

// onReconnect sets what runs when a socket opens after the first one did,
// before the queue is flushed: what it sends goes first.
export function onReconnect(fn) {
  reconnected = fn;
}

// opened resets the backoff, hides the banner and flushes the queue; on a
// reconnect, what onReconnect set sends its events ahead of the queue.
function opened() {
  attempts = 0;
  hideBanner();
  const waiting = queue.splice(0);
  queue.push(...pending);
  if (opens++ > 0) reconnected();
  queue.push(...waiting);
  flush();
  lv.open?.(); // uploads cut off by the old socket start again
}

// save makes list the pending events, in sessionStorage too when it has
// room (a full one keeps them in this page only).
function save(list) {
  pending = list;
  try {
    sessionStorage.setItem(PENDING, JSON.stringify(list));
  } catch {}
}

// connectionLost shows the banner and schedules a reconnect; probeURL is
// the URL of an attempt that failed before the socket opened, else falsy.
function connectionLost(probeURL) {
  showBanner();
  scheduleReconnect(probeURL);
}

// restart waits out a planned restart (close 1012): a uniformly random delay
// within the server's window (the reason "liveview:restart:<ms>", else
// restartWindowMs), so the clients of a draining server spread their
// reconnects. It is no failed attempt and shows no banner: events wait in
// the queue, and one made meanwhile reconnects at once (see send).
function restart(reason) {
  const m = RESTART_REASON.exec(reason);
  clearTimeout(timer);
  restarting = true;
  timer = setTimeout(connect, Math.random() * (m ? +m[1] : number("restartWindowMs")));
}

// stop ends the connection for good (close 4403, Hub.Disconnect: text is
// the reason after "liveview:disconnected:", else disconnectedMessage): the
// banner shows text and nothing reconnects; events only queue. The pending
// events are dropped, also from sessionStorage: they belong to a session
// that has ended (re-sent after the reload, the one that expired it would
// expire the next page too).
function stop(text) {
  showBanner(text);
  stopped = true;
  finishAll(pending.map((m) => m.ref));
  save([]);
}

// expire ends a connection whose session has expired (close 4401) like
// stop with expiredMessage, and the page reloads after a random delay of
// [1, 5] x expiredReloadMs, so the app's HTTP middleware can send the user
// to log in, not every tab at the same instant.
function expire() {
  stop(config().expiredMessage);
  setTimeout(() => location.reload(), number("expiredReloadMs") * (1 + Math.random() * 4));
}

// scheduleReconnect waits min(base * 1.5^(attempt-1), max) with equal
// jitter (half fixed, half random) so clients cut off together spread out.
// It never gives up; one attempt (or probe) is pending at a time.
//
// After an attempt that failed before opening it first probes: a browser
// hides the HTTP status of a failed handshake, so it GETs the endpoint's
// http(s) URL. A 503 with Retry-After (a busy or draining server) replaces
// the backoff by one to two times Retry-After, at most reconnectMaxMs;
// any other answer or a failed probe (network, CORS) keeps the backoff.
function scheduleReconnect(probeURL) {
  if (timer !== null) return;
  attempts += 1;
  const base = number("reconnectBaseMs");
  const max = number("reconnectMaxMs");
  const delay = Math.min(base * BACKOFF ** (attempts - 1), max);
  const backoff = delay / 2 + (Math.random() * delay) / 2;
  if (!probeURL) {
    timer = setTimeout(connect, backoff);
    return;
  }
  const probe = (timer = {}); // pending; connect() replaces it
  fetch(probeURL.replace(/^ws/, "http"), { cache: "no-store" })
    .then(
      (res) => {
        const s = +res.headers.get("Retry-After");
        return res.status === 503 && s > 0 ? Math.min(s * 1000 * (1 + Math.random()), max) : backoff;
      },
      () => backoff,
    )
    .then((ms) => {
      if (timer === probe) timer = setTimeout(connect, ms);
    });
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
    if (message.id && !pending.includes(message)) save(bound([...pending, message]));
    return true;
  } catch (err) {
    console.error("LiveView: send failed", err);
    return false;
  }
}

// enqueue keeps at most queueLimit events, dropping the oldest and telling
// the page with a liveview:queue-overflow event (detail: {dropped, limit}).
function enqueue(message) {
  queue.push(message);
  bound(queue);
}

// bound drops the oldest events of list (the queue, or the pending ones)
// beyond queueLimit, telling the page; it returns list.
function bound(list) {
  const limit = Math.max(1, Math.floor(number("queueLimit")));
  while (list.length > limit) {
    const dropped = list.shift();
    console.warn("LiveView: queue full, dropped", dropped.function);
    if (dropped.ref) finishAll([dropped.ref]);
    document.dispatchEvent(
      new CustomEvent("liveview:queue-overflow", { detail: { dropped, limit } }),
    );
  }
  return list;
}

// flush sends the queued events in order while the socket stays open.
function flush() {
  while (queue.length > 0 && isOpen() && !offline) {
    if (!transmit(queue[0])) return;
    queue.shift();
  }
}
