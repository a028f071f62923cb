// Client hooks (our addition): page JavaScript that runs when a live
// element is mounted, updated by a frame, removed, and when the connection
// comes back. An element names its hook with data-liveview-hook="Chart";
// the page defines it before the events happen:
//
//   window.liveviewHooks = { Chart: {
//     mounted(el) { this.chart = draw(el); },
//     updated(el) { this.chart.update(); },   // a frame changed el or its content
//     destroyed(el) { this.chart.destroy(); },
//     reconnected(el) { this.pushEvent("chart_data", { id: el.id }); },
//   } };
//
// Each element gets its own instance: an object whose prototype is the
// definition, with this.el and this.pushEvent(fn, data), which sends the
// event fn (data as the event's "data") and returns a Promise of the
// server's reply (Context.Reply), rejected with the handler's error or
// when the connection is lost for good before the answer.
//
// This is the hooks chunk (dist/liveview.hooks.<hash>.js), loaded like the
// upload chunk (hookstub.js) when the page defines window.liveviewHooks or
// has a data-liveview-hook element, at start or in a frame's HTML; it
// reaches the client through window.__liveview (lv, socket.js) and sets
// lv.hooks = {u: updateHooks, r: reconnectHooks}.

import { warnOnce } from "./warn.js";
import { withSelf } from "./scripts.js";

const lv = window.__liveview;

const SELECTOR = "[data-liveview-hook]";
const live = new Map(); // element -> hook instance
let observer = null;
let fresh = new Set(); // elements mounted by the current sync

// proto is every instance's prototype's prototype.
const proto = {
  pushEvent(fn, data) {
    return new Promise((resolve, reject) =>
      lv.send({ function: String(fn), data: data || {}, form: {} }, this.el, (frame) =>
        frame && !frame.error ? resolve(frame.reply) : reject(new Error(frame ? frame.error : "connection lost")),
      ),
    );
  },
};

// The chunk mounts the page's hook elements once loaded, then follows the DOM.
observer = new MutationObserver(sync);
observer.observe(document.documentElement, { childList: true, subtree: true });
scan(document.documentElement);

// sync applies pending mutations: removed hook elements are destroyed,
// inserted ones mounted.
function sync(records = observer.takeRecords()) {
  fresh = new Set();
  for (const r of records) {
    if (live.size) for (const n of r.removedNodes) if (n.nodeType === 1 && !n.isConnected) forget(n);
    for (const n of r.addedNodes) if (n.nodeType === 1 && n.isConnected) scan(n);
  }
}

function scan(root) {
  for (const el of withSelf(root, SELECTOR)) {
    if (live.has(el)) continue;
    const def = (window.liveviewHooks || {})[el.dataset.liveviewHook];
    if (!def) {
      warnOnce(`hook "${el.dataset.liveviewHook}" is not in window.liveviewHooks`, el);
      continue;
    }
    const hook = Object.create(Object.assign(Object.create(proto), def));
    hook.el = el;
    live.set(el, hook);
    fresh.add(el);
    call(hook, "mounted");
  }
}

function forget(root) {
  for (const el of withSelf(root, SELECTOR)) {
    const hook = live.get(el);
    if (hook && !el.isConnected) {
      live.delete(el);
      call(hook, "destroyed");
    }
  }
}

// updateHooks runs after a frame changed el's content: pending mutations
// first (mounted/destroyed), then updated, once each, for the hook
// elements that survived inside the elements of deep (those a morph kept),
// then for el and the hook elements around it. It costs the size of deep's
// subtrees and el's depth, whatever the number of hooks in the page.
function updateHooks(el, deep = [el]) {
  sync();
  const done = new Set(fresh);
  const up = (n) => {
    const hook = live.get(n);
    if (hook && !done.has(n)) {
      done.add(n);
      call(hook, "updated");
    }
  };
  for (const d of deep) for (const n of withSelf(d, SELECTOR)) up(n);
  for (let n = el; n && (n = n.closest(SELECTOR)); n = n.parentElement) up(n);
}

// reconnectHooks calls reconnected on every mounted hook.
function reconnectHooks() {
  for (const hook of live.values()) call(hook, "reconnected");
}

lv.hooks = { u: updateHooks, r: reconnectHooks };

function call(hook, name) {
  if (typeof hook[name] !== "function") return;
  try {
    hook[name](hook.el);
  } catch (err) {
    console.error(`LiveView: hook ${hook.el.dataset.liveviewHook}.${name}:`, err);
  }
}
