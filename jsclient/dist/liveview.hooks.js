/*! echo-liveview hooks (github.com/echo-liveview/liveview) */
(() => {
  // src/warn.js
  var warned = /* @__PURE__ */ new Set();
  function warnOnce(text, ...args) {
    if (warned.has(text)) return;
    warned.add(text);
    console.warn("LiveView: " + text, ...args);
  }

  // src/scripts.js
  function withSelf(root, selector) {
    const list = root.matches(selector) ? [root] : [];
    return [...list, ...root.querySelectorAll(selector)];
  }

  // src/hooks.js
  var lv = window.__liveview;
  var SELECTOR = "[data-liveview-hook]";
  var live = /* @__PURE__ */ new Map();
  var observer = null;
  var fresh = /* @__PURE__ */ new Set();
  var proto = {
    pushEvent(fn, data) {
      return new Promise(
        (resolve, reject) => lv.send(
          { function: String(fn), data: data || {}, form: {} },
          this.el,
          (frame) => frame && !frame.error ? resolve(frame.reply) : reject(new Error(frame ? frame.error : "connection lost"))
        )
      );
    }
  };
  observer = new MutationObserver(sync);
  observer.observe(document.documentElement, { childList: true, subtree: true });
  scan(document.documentElement);
  function sync(records = observer.takeRecords()) {
    fresh = /* @__PURE__ */ new Set();
    for (const r of records) {
      if (live.size) {
        for (const n of r.removedNodes) if (n.nodeType === 1 && !n.isConnected) forget(n);
      }
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
})();
