// data-liveview-keyboard-map='{"ctrl+s": "save", "esc": "close"}': keydown
// on the element (or inside it) sends the mapped function.
//
// The key names come from ../../internal/clientrules/keys.json, which the
// Go copy of these rules (package clientrules, used by liveviewtest) embeds
// too; internal/clientrules/keys.go describes the format and the rules, and
// a browser test checks that both agree.

import { modifiers, names, shiftDropped, keys } from "../../internal/clientrules/keys.json";
import { warnOnce } from "./warn.js";

// Lower-cased KeyboardEvent.key -> Django LiveView's short name.
const RENAMES = new Map(Object.entries(names).map(([k, v]) => [k.toLowerCase(), v]));
const SHIFT_DROPPED = new RegExp(shiftDropped);
const PRINTABLE_ASCII = /^[ -~]+$/;

// Elements that take focus without a tabindex.
const FOCUSABLE = "a[href], button, input, select, textarea, [contenteditable]";

// Every key name a key string may end with, made at the first key map.
let known = null;

// keyName is the name of a KeyboardEvent.key (or of a map entry's key) in
// key strings: Django LiveView's short name, else the lower case.
function keyName(key) {
  const k = String(key).toLowerCase();
  return RENAMES.get(k) || k;
}

// modifierOf returns the table's modifier named s (its name or its key, in
// any case), or undefined.
function modifierOf(s) {
  s = s.toLowerCase();
  return modifiers.find((m) => m.name === s || m.key.toLowerCase() === s);
}

// keyStrings returns the strings a keydown may match, best first: with every
// modifier ("ctrl+shift+p", our addition, so the documented form works),
// then upstream's exact string, which drops shift before a single letter or
// digit ("ctrl+p"; Shift+A is "a", Shift+1 is "shift+!").
export function keyStrings(event) {
  const key = keyName(event.key);
  const full = [];
  const upstream = [];
  for (const m of modifiers) {
    if (!event[m.name + "Key"]) continue;
    full.push(m.name);
    if (m.name !== "shift" || !SHIFT_DROPPED.test(event.key)) upstream.push(m.name);
  }
  const f = full.concat(key).join("+");
  const u = upstream.concat(key).join("+");
  return f === u ? [f] : [f, u];
}

// normalizeKey returns [the key string a map entry stands for, ""], e.g.
// "Control+Shift+P" -> "ctrl+shift+p", "escape" -> "esc", "shift" (alone)
// -> "shift+shift"; or, when the entry can never match, [entry, why]; or,
// for a name the table does not list, [its key string, a warning].
// Upstream's own spellings are already normal, so they stay as they are.
export function normalizeKey(entry) {
  const parts = entry.split("+");
  let key = parts.pop();
  if (key === "" && parts[parts.length - 1] === "") {
    parts.pop();
    key = "+"; // "ctrl++"
  }
  const mods = new Set();
  for (const p of parts) {
    const m = modifierOf(p);
    if (!m) return [entry, `can never match: "${p}" is not a modifier (ctrl, alt, meta, shift)`];
    mods.add(m);
  }
  let name = keyName(key);
  const alone = modifierOf(name);
  if (alone) {
    mods.add(alone); // a modifier pressed alone
    name = alone.key.toLowerCase();
  }
  if (!name) return [entry, "can never match: it names no key"];
  if (!known) known = new Set(keys.map(keyName).concat(Object.values(names)));
  const normal = modifiers.filter((m) => mods.has(m)).map((m) => m.name).concat(name).join("+");
  if ([...name].length > 1 && PRINTABLE_ASCII.test(name) && !known.has(name)) {
    return [normal, `may never match: "${key}" is not a key name LiveView knows (it matches only a KeyboardEvent.key "${key}", in any case)`];
  }
  return [normal, ""];
}

// parseKeyMap turns the attribute into key string -> function, warning
// once per entry that can never match (the same texts as Go's
// clientrules.ParseKeyMap); null when the attribute is no JSON object.
function parseKeyMap(el) {
  let map;
  try {
    map = JSON.parse(el.dataset.liveviewKeyboardMap);
  } catch (err) {
    console.error("LiveView: invalid data-liveview-keyboard-map", el, err);
    return null;
  }
  if (!map || typeof map !== "object" || Array.isArray(map)) {
    console.error("LiveView: data-liveview-keyboard-map must be a JSON object", el);
    return null;
  }
  const table = new Map(); // key string -> [entry, function]
  const never = (entry, why) => warnOnce(`data-liveview-keyboard-map key "${entry}" ${why}`, el);
  for (const [entry, fn] of Object.entries(map)) {
    if (typeof fn !== "string") {
      never(entry, "can never match: its function is not a string");
      continue;
    }
    const [key, problem] = normalizeKey(entry);
    if (problem) never(entry, problem);
    const held = table.get(key);
    if (!held) {
      table.set(key, [entry, fn]);
    } else if (key === entry) {
      // The entry in normal form wins (upstream matched only that one).
      table.set(key, [entry, fn]);
      never(held[0], `can never match: "${entry}" is the same key`);
    } else {
      never(entry, `can never match: "${held[0]}" is the same key`);
    }
  }
  return table;
}

// bindKeyboardMap makes el answer its key map and returns the listener to
// remove on disconnect, or null (already bound, or invalid JSON).
export function bindKeyboardMap(el, send) {
  if (el.dataset.keyboardMapInitialized === "true") return null;
  const table = parseKeyMap(el);
  if (!table) return null;
  // The listener is on el, so el must be able to hold focus.
  if (!el.hasAttribute("tabindex") && !el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
  el.dataset.keyboardMapInitialized = "true";
  const listener = (event) => {
    for (const s of keyStrings(event)) {
      const hit = table.get(s);
      if (hit) {
        event.preventDefault();
        send(el, hit[1], "keyboard");
        return;
      }
    }
  };
  el.addEventListener("keydown", listener);
  return listener;
}
