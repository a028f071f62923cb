// JS commands [+]: DOM changes without a round trip, from the
// data-liveview-js attribute (run by page#run) and the frame key js. A list
// is commands separated by ";", each name, name(arg), name:selector or
// name(arg):selector; the selector is everything after that colon, and
// without one the command acts on the element itself (none in a frame).
// The Go copy: ../../internal/jscmd (syntax) and internal/clientrules.

import { warnOnce } from "./warn.js";

// The arguments are trimmed and not empty; classes are space-separated.
const words = (a) => a.split(/\s+/);

// A command taking an argument is a function of two parameters.
const COMMANDS = {
  __proto__: null,
  show: (el) => el.removeAttribute("hidden"),
  hide: (el) => el.setAttribute("hidden", ""),
  toggle: (el) => el.toggleAttribute("hidden"),
  "add-class": (el, a) => el.classList.add(...words(a)),
  "remove-class": (el, a) => el.classList.remove(...words(a)),
  "toggle-class": (el, a) => words(a).forEach((c) => el.classList.toggle(c)),
  "toggle-attribute": (el, a) => el.toggleAttribute(a),
  // aria-* and data-* only: no on* handler or javascript: URL from a
  // sanitizer that lets data-* attributes through.
  "set-attribute": (el, a) => el.setAttribute(...SET.exec(a).slice(1)),
  focus: (el) => el.focus(),
  dispatch: (el, a) => el.dispatchEvent(new CustomEvent(a, { bubbles: true, cancelable: true })),
};
const SET = /^((?:aria|data)-[^=]*)=?(.*)$/;
const SYNTAX = /^([\w-]+)\s*(?:\(([^)]*)\))?\s*(?::(.*))?$/;

// runJS runs the commands of list in order on the matches of their
// selectors (focus: the first match), or on self. A command that cannot run
// (unknown, wrong argument, no selector without self, invalid selector) is
// warned about once and skipped; the others still run.
export function runJS(list, self) {
  for (let c of String(list).split(";")) {
    if (!(c = c.trim())) continue;
    try {
      const [, name, arg = "", sel = ""] = SYNTAX.exec(c) || [];
      const f = COMMANDS[name];
      const a = arg.trim();
      const s = sel.trim();
      if (!f || f.length > 1 !== !!a || !(s || self)) throw c;
      const els = s ? [...document.querySelectorAll(s)] : [self];
      for (const el of name === "focus" ? els.slice(0, 1) : els) f(el, a);
    } catch (err) {
      warnOnce(`cannot run JS command "${c}"`, err);
    }
  }
}
