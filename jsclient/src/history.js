// Browser history, as Django LiveView 2.3 does it: a journal in
// sessionStorage["liveview-history"] remembers, for every history entry, the
// HTML of each region the server changed ("touched"), plus title, lang and
// scroll. Back and Forward restore them without asking the server; the
// first, server-rendered page is entry 0 and is restorable too.
//
// Journal shape: {index, entries: [{url, title, lang, scrollX, scrollY,
// regions: {selector: html} | null}], touched: [selector],
// baselines: {selector: {index, html}}}. A baseline is a region's HTML before
// its first change: entries older than that change show it.

import { SCRIPT_SELECTOR, cleanup, query, runScript } from "./scripts.js";
import { KEY as FLASH_KEY, placeFlashes, restoreFlashes } from "./flash.js";

const KEY = "liveview-history";
const MAX_ENTRIES = 50; // entries that keep their regions
const QUOTA_FALLBACK = 25; // entries kept after a storage quota error
const SCROLL_DELAY_MS = 50;
const PERMANENT = "[data-liveview-permanent]";
// Markers the client sets on elements; snapshots never keep them.
const MARKERS = [
  "data-intersection-observed",
  "data-intersection-threshold-used",
  "data-keyboard-map-initialized",
  "data-init-trigger",
  "data-intersection-trigger",
  "aria-busy",
];

let journal = null;
let memoryOnly = false; // sessionStorage unusable: keep the journal in memory

// initHistory resumes the tab's journal (after a reload) or starts one whose
// entry 0 is the current, server-rendered page, and listens for popstate.
export function initHistory() {
  try {
    history.scrollRestoration = "manual";
  } catch (_) {
    // Old browsers: scroll restoration stays automatic.
  }
  const saved = load(KEY);
  const index = history.state?.liveviewIndex;
  if (saved && Array.isArray(saved.entries) && Array.isArray(saved.touched) && Number.isInteger(index) && saved.entries[index]) {
    journal = saved;
    journal.index = index;
  } else {
    journal = { index: 0, entries: [entry()], touched: [], baselines: {} };
    replaceIndex(0);
    save();
  }
  restoreFlashes(load(FLASH_KEY)); // what a redirect brought in this tab
  addEventListener("popstate", onPopState);
  // A reload or a visit elsewhere must find the current entry's regions.
  addEventListener("pagehide", () => {
    snapshotCurrent();
    save();
  });
}

// trackRegion records selector as touched before the server changes it; the
// first time, its current HTML becomes its baseline.
export function trackRegion(selector) {
  if (!journal || journal.touched.includes(selector)) return;
  const el = query(selector);
  if (!el || el.closest(PERMANENT)) return;
  journal.touched.push(selector);
  journal.baselines[selector] = { index: journal.index, html: snapshot(el) };
  save();
}

// trackRemoval tracks the parent of an element about to be removed, by id or
// by its nth-child path from <body>.
export function trackRemoval(el) {
  const parent = el.parentElement;
  if (parent && document.body.contains(parent)) trackRegion(selectorOf(parent));
}

// pushUrl snapshots the entry being left, drops the forward entries
// (branching) and pushes a new entry for url, before the DOM changes.
export function pushUrl(url) {
  if (!journal) return;
  snapshotCurrent();
  const index = journal.index + 1;
  journal.entries.length = index;
  try {
    history.pushState({ ...(history.state || {}), liveviewIndex: index }, "", url);
  } catch (err) {
    // A cross-origin or malformed URL must not stop the render.
    console.error("LiveView: cannot push URL", url, err);
    return;
  }
  journal.index = index;
  journal.entries.push(entry());
  prune(MAX_ENTRIES);
  save();
}

// onPopState restores the entry the browser moved to; an unknown or pruned
// entry reloads the page from the server.
function onPopState(event) {
  const index = event.state?.liveviewIndex;
  if (!Number.isInteger(index)) return; // not ours (e.g. a #hash change)
  const target = journal.entries[index];
  if (!target || !target.regions) {
    location.reload();
    return;
  }
  snapshotCurrent();
  journal.index = index;
  const restored = restoreRegions(index);
  document.title = target.title;
  if (target.lang) document.documentElement.setAttribute("lang", target.lang);
  else document.documentElement.removeAttribute("lang");
  replayScripts(restored);
  placeFlashes(); // the tab's messages, into the restored container
  setTimeout(() => scrollTo(target.scrollX, target.scrollY), SCROLL_DELAY_MS);
  save();
  document.dispatchEvent(
    new CustomEvent("liveview:history-restored", { detail: { url: location.href, index } }),
  );
}

// restoreRegions puts back every touched region of entry index, ancestors
// first, keeping live permanent nodes; it returns the restored elements.
function restoreRegions(index) {
  const regions = journal.entries[index].regions;
  const depth = (sel) => {
    const el = query(sel);
    let d = 0;
    for (let n = el; n; n = n.parentElement) d++;
    return d;
  };
  const order = journal.touched.filter((sel) => query(sel)).sort((a, b) => depth(a) - depth(b));
  const restored = [];
  for (const sel of order) {
    const el = query(sel);
    if (!el) continue;
    let html = regions[sel];
    const base = journal.baselines[sel];
    if (html === undefined && base && base.index >= index) html = base.html;
    if (html === undefined) continue;
    const permanent = [...el.querySelectorAll(`${PERMANENT}[id]`)];
    cleanup(el);
    el.innerHTML = html;
    for (const live of permanent) {
      const placeholder = el.querySelector(`#${CSS.escape(live.id)}`);
      if (placeholder) placeholder.replaceWith(live);
    }
    restored.push(el);
  }
  return restored;
}

// replayScripts re-runs the inline scripts of restored regions once, bound
// to the innermost restored region, except data-liveview-replay="false" and
// scripts inside permanent elements.
function replayScripts(regions) {
  const seen = new Set();
  for (const region of regions.slice().reverse()) {
    for (const script of region.querySelectorAll(SCRIPT_SELECTOR)) {
      if (seen.has(script)) continue;
      seen.add(script);
      if (script.getAttribute("data-liveview-replay") === "false" || script.closest(PERMANENT)) continue;
      runScript(region, script.textContent);
    }
  }
}

// snapshotCurrent saves every touched region into the current entry.
function snapshotCurrent() {
  const current = journal?.entries[journal.index];
  if (!current) return;
  Object.assign(current, entry(), { regions: current.regions || {} });
  for (const sel of journal.touched) {
    const el = query(sel);
    if (el) current.regions[sel] = snapshot(el);
  }
}

// entry describes the current page, without regions yet.
function entry() {
  return {
    url: location.href,
    title: document.title,
    lang: document.documentElement.getAttribute("lang"),
    scrollX,
    scrollY,
    regions: {},
  };
}

// snapshot returns el's inner HTML with live form values written into
// attributes (never password or file fields), permanent elements emptied,
// the client's markers and flash messages removed.
function snapshot(el) {
  const copy = el.cloneNode(true);
  const live = el.querySelectorAll("input, textarea, select");
  const copies = copy.querySelectorAll("input, textarea, select");
  live.forEach((field, i) => copyValue(field, copies[i]));
  for (const node of copy.querySelectorAll(PERMANENT)) node.innerHTML = "";
  for (const name of MARKERS) {
    for (const node of copy.querySelectorAll(`[${name}]`)) node.removeAttribute(name);
  }
  for (const node of copy.querySelectorAll(".liveview-loading")) node.classList.remove("liveview-loading");
  // Flash messages are the tab's, not the entry's (flash.js puts them back).
  for (const node of copy.querySelectorAll(".liveview-flash")) node.remove();
  return copy.innerHTML;
}

// copyValue writes field's live value into the attributes of its copy.
function copyValue(field, copy) {
  if (!copy) return;
  if (field.tagName === "TEXTAREA") {
    copy.textContent = field.value;
  } else if (field.tagName === "SELECT") {
    [...field.options].forEach((opt, i) => copy.options[i]?.toggleAttribute("selected", opt.selected));
  } else if (field.type === "checkbox" || field.type === "radio") {
    copy.toggleAttribute("checked", field.checked);
  } else if (field.type !== "password" && field.type !== "file") {
    copy.setAttribute("value", field.value);
  }
}

// selectorOf names el by id, else by its nth-child path from <body>.
function selectorOf(el) {
  if (el.id) return `#${CSS.escape(el.id)}`;
  const path = [];
  for (let n = el; n && n !== document.body; n = n.parentElement) {
    path.unshift(`:nth-child(${Array.prototype.indexOf.call(n.parentElement.children, n) + 1})`);
  }
  return ["body", ...path].join(" > ");
}

// prune drops the regions of all but the newest keep entries; going back to
// one of them reloads the page.
function prune(keep) {
  const last = journal.entries.length - keep;
  for (let i = 0; i < last; i++) journal.entries[i].regions = null;
}

// replaceIndex stamps the current history entry with its journal index.
function replaceIndex(index) {
  try {
    history.replaceState({ ...(history.state || {}), liveviewIndex: index }, "");
  } catch (_) {
    // Sandboxed documents may refuse; history then behaves as upstream 2.2.
  }
}

// load returns the JSON value stored under key, null when none or unusable.
function load(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key));
  } catch (_) {
    return null;
  }
}

// save writes the journal; a quota error prunes to 25 entries and retries,
// then falls back to keeping the journal in memory only.
function save() {
  if (memoryOnly) return;
  try {
    sessionStorage.setItem(KEY, JSON.stringify(journal));
  } catch (_) {
    prune(QUOTA_FALLBACK);
    try {
      sessionStorage.setItem(KEY, JSON.stringify(journal));
    } catch (_) {
      memoryOnly = true;
    }
  }
}
