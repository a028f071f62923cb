// data-liveview-keyboard-map='{"ctrl+s": "save", "esc": "close"}': keydown
// on the element (or inside it) sends the mapped function.

// Key names as Django LiveView 2.1.9+ spells them; others are lowercased.
const NAMES = {
  Escape: "esc",
  " ": "space",
  ArrowUp: "up",
  ArrowDown: "down",
  ArrowLeft: "left",
  ArrowRight: "right",
  Enter: "enter",
  Tab: "tab",
  Home: "home",
  End: "end",
  PageUp: "page_up",
  PageDown: "page_down",
};

// Elements that take focus without a tabindex.
const FOCUSABLE = "a[href], button, input, select, textarea, [contenteditable]";

// keyStrings returns the strings a keydown may match, best first: with every
// modifier ("ctrl+shift+p", our addition, so the documented form works),
// then upstream's exact string, which drops shift before a single letter or
// digit ("ctrl+p"; Shift+A is "a", Shift+1 is "shift+!").
export function keyStrings(event) {
  const key = NAMES[event.key] || String(event.key).toLowerCase();
  const mods = [];
  if (event.ctrlKey) mods.push("ctrl");
  if (event.altKey) mods.push("alt");
  if (event.metaKey) mods.push("meta");
  const full = [...mods, ...(event.shiftKey ? ["shift"] : []), key].join("+");
  const upstreamShift = event.shiftKey && !/^[a-zA-Z0-9]$/.test(event.key);
  const upstream = [...mods, ...(upstreamShift ? ["shift"] : []), key].join("+");
  return full === upstream ? [full] : [full, upstream];
}

// bindKeyboardMap makes el answer its key map and returns the listener to
// remove on disconnect, or null (already bound, or invalid JSON).
export function bindKeyboardMap(el, send) {
  if (el.dataset.keyboardMapInitialized === "true") return null;
  let map;
  try {
    map = JSON.parse(el.dataset.liveviewKeyboardMap);
  } catch (err) {
    console.error("LiveView: invalid data-liveview-keyboard-map", el, err);
    return null;
  }
  if (!map || typeof map !== "object") return null;
  // The listener is on el, so el must be able to hold focus.
  if (!el.hasAttribute("tabindex") && !el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
  el.dataset.keyboardMapInitialized = "true";
  const listener = (event) => {
    for (const s of keyStrings(event)) {
      if (Object.prototype.hasOwnProperty.call(map, s)) {
        event.preventDefault();
        send(el, map[s], "keyboard");
        return;
      }
    }
  };
  el.addEventListener("keydown", listener);
  return listener;
}
