// The "page" Stimulus controller: HTML written for Django LiveView binds
// its actions to it (data-controller="page", data-action="click->page#run")
// and its data-liveview-* attributes work inside its element.

import { Controller } from "@hotwired/stimulus";
import { collectData, collectForm } from "../collect.js";
import { isOpen, send } from "../socket.js";
import { upload } from "../upload.js";
import { runJS } from "../commands.js";
import { focusFirst } from "../focus.js";
import { withSelf } from "../scripts.js";
import { Intersections, INTERSECT_SELECTOR } from "../intersect.js";
import { bindKeyboardMap } from "../keyboard.js";

const KEYBOARD_SELECTOR = "[data-liveview-keyboard-map]";
const POLL_SELECTOR = "[data-liveview-poll]";

// How many @window / @document bindings already handled an event.
const globalCalls = new WeakMap();

export default class PageController extends Controller {
  initialize() {
    // One pending debounce timer, or open throttle window, per element.
    this.debounceTimers = new Map();
    // Elements whose throttle window holds an event for its end.
    this.throttled = new Set();
  }

  connect() {
    this.intersections = new Intersections(execute);
    this.keyListeners = new Map(); // element -> keydown listener
    this.polls = new Map(); // element -> interval id
    this.scan(this.element);
    // Init and focus wait for the current task, as upstream; init events
    // are queued by the socket until it opens.
    this.initTimer = setTimeout(() => this.runInits(), 0);
    focusFirst([this.element]);
    // Inserted HTML gets observers, key maps and focus; removed elements
    // are unobserved.
    this.mutations = new MutationObserver((records) => this.mutated(records));
    this.mutations.observe(this.element, { childList: true, subtree: true });
  }

  disconnect() {
    // Events debounced inside a departing subtree are dropped, as upstream.
    for (const id of this.debounceTimers.values()) clearTimeout(id);
    this.debounceTimers.clear();
    this.throttled.clear();
    for (const el of this.polls.keys()) this.unpoll(el);
    clearTimeout(this.initTimer);
    this.mutations.disconnect();
    this.intersections.disconnect();
    for (const el of this.keyListeners.keys()) this.unbind(el);
  }

  // run runs the element's data-liveview-js commands at once, then sends
  // its data-liveview-function (none with commands: nothing is sent), after
  // its optional data-liveview-debounce (ms, trailing) or, without one, its
  // data-liveview-throttle (ms); values are read at fire time.
  run(event) {
    event.preventDefault();
    const el = event.currentTarget instanceof Element ? event.currentTarget : this.globalTrigger(event);
    if (!(el instanceof Element)) {
      console.error("LiveView: page#run must be bound to an element");
      return;
    }
    const d = el.dataset;
    if (d.liveviewJs != null) {
      runJS(d.liveviewJs, el);
      if (d.liveviewFunction == null) return;
    }
    const ms = parseInt(d.liveviewDebounce, 10);
    const t = parseInt(d.liveviewThrottle, 10);
    if (ms) {
      clearTimeout(this.debounceTimers.get(el));
      const id = setTimeout(() => {
        this.debounceTimers.delete(el);
        execute(el);
      }, ms);
      this.debounceTimers.set(el, id);
    } else if (t > 0) {
      this.throttle(el, t);
    } else {
      execute(el);
    }
  }

  // throttle sends at once and opens a window of ms; the events within it
  // become one send at its end (which opens the next window), so the last
  // state is never lost and a window sends at most once.
  throttle(el, ms) {
    if (this.debounceTimers.has(el)) {
      this.throttled.add(el);
      return;
    }
    execute(el);
    const id = setTimeout(() => {
      this.debounceTimers.delete(el);
      if (this.throttled.delete(el)) this.throttle(el, ms);
    }, ms);
    this.debounceTimers.set(el, id);
  }

  // globalTrigger finds the element of an @window / @document action, whose
  // event's currentTarget is not an element (upstream then fails): the
  // elements whose data-action has such a binding for this event type and
  // page#run, and whose key filter, if any, Stimulus let this event through
  // (keyup.x@window and keyup.y@window are different bindings), in document
  // order; each binding invoked for the same event takes the next one.
  globalTrigger(event) {
    const keys = this.application.schema.keyMappings;
    const matches = this.owned(this.element, "[data-action]").filter((el) =>
      el.dataset.action.split(/\s+/).some((d) => {
        const m = /^([\w:.+-]+)@(window|document)->page#run\b/.exec(d);
        if (!m) return false;
        const [type, ...filter] = m[1].split(".");
        return type === event.type && passesKeyFilter(filter.join("."), event, keys);
      }),
    );
    const seen = globalCalls.get(event) || 0;
    globalCalls.set(event, seen + 1);
    return matches[seen] || null;
  }

  // stop ends the event's propagation (documented upstream, never shipped).
  stop(event) {
    event.stopPropagation();
  }

  // runInits sends every data-liveview-init of the subtree once.
  runInits() {
    for (const el of this.owned(this.element, "[data-liveview-init]")) {
      execute(el, el.dataset.liveviewInit, "init");
    }
  }

  // scan sets up intersection observers, key maps and polls under root.
  scan(root) {
    for (const el of this.owned(root, INTERSECT_SELECTOR)) this.intersections.observe(el);
    for (const el of this.owned(root, KEYBOARD_SELECTOR)) {
      const listener = bindKeyboardMap(el, execute);
      if (listener) this.keyListeners.set(el, listener);
    }
    for (const el of this.owned(root, POLL_SELECTOR)) this.poll(el);
  }

  // poll sends el's function every data-liveview-poll ms (at least 100)
  // while the tab is visible and the socket open (a tick meanwhile is
  // skipped, not queued), until el leaves the page or loses the attribute.
  poll(el) {
    const ms = parseInt(el.dataset.liveviewPoll, 10);
    if (this.polls.has(el) || !(ms > 0)) return;
    const tick = () => {
      if (el.dataset.liveviewPoll == null) this.unpoll(el);
      else if (!document.hidden && isOpen()) execute(el);
    };
    this.polls.set(el, setInterval(tick, Math.max(ms, 100)));
  }

  // unpoll stops el's poll.
  unpoll(el) {
    clearInterval(this.polls.get(el));
    this.polls.delete(el);
  }

  // mutated handles inserted and removed elements.
  mutated(records) {
    const added = [];
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 /* an element */) added.push(node);
      }
      for (const node of record.removedNodes) {
        if (node.nodeType === 1 && !node.isConnected) this.forget(node);
      }
    }
    if (added.length === 0) return;
    for (const el of added) if (el.isConnected) this.scan(el);
    focusFirst(added);
  }

  // forget unobserves a removed subtree and drops its key listeners and
  // polls.
  forget(root) {
    for (const el of this.polls.keys()) if (root.contains(el)) this.unpoll(el);
    for (const el of withSelf(root, "[data-intersection-observed]")) this.intersections.unobserve(el);
    for (const el of withSelf(root, KEYBOARD_SELECTOR)) this.unbind(el);
  }

  // unbind removes el's key map listener, if it has one.
  unbind(el) {
    const listener = this.keyListeners.get(el);
    if (!listener) return;
    el.removeEventListener("keydown", listener);
    this.keyListeners.delete(el);
    delete el.dataset.keyboardMapInitialized;
  }

  // owned returns the matches under root (root included) that belong to
  // this controller, not to a nested page controller, so a nested one does
  // not send an init twice.
  owned(root, selector) {
    return withSelf(root, selector).filter((el) => el.closest('[data-controller~="page"]') === this.element);
  }
}

// execute sends name (default: el's data-liveview-function) with el's data
// and form, after uploading the files of its file inputs if they have any
// (upload.js). trigger ("init", "appear", "disappear", "keyboard") is set
// on el as upstream's marker while the event is built.
export function execute(el, name = el.dataset.liveviewFunction, trigger = "") {
  if (name === undefined || String(name).trim() === "") {
    console.error("LiveView: data-liveview-function is not defined", el);
    return;
  }
  const marker = trigger === "init" ? "initTrigger" : "intersectionTrigger";
  if (trigger) el.dataset[marker] = trigger;
  const files = [];
  const message = { function: String(name), data: collectData(el), form: collectForm(el, files) };
  if (trigger) delete el.dataset[marker];
  if (files[0]) upload(message, el, files);
  else send(message, el);
}

// passesKeyFilter is Stimulus 3.2's Action.shouldIgnoreKeyboardEvent,
// negated: a filter ("enter", "ctrl+s") lets a keyboard event through when
// its modifiers are exactly the filter's and its key is the filter's key.
const MODIFIERS = ["meta", "ctrl", "alt", "shift"];
function passesKeyFilter(filter, event, keys) {
  if (!filter || !("key" in event)) return true;
  const parts = filter.split("+");
  if (MODIFIERS.some((m) => parts.includes(m) !== event[m + "Key"])) return false;
  const key = parts.find((p) => !MODIFIERS.includes(p));
  return !key || (key in keys && keys[key].toLowerCase() === event.key.toLowerCase());
}
