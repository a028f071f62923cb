// A data-liveview-* element outside every data-controller="page" element
// does nothing: no page controller sees it. Upstream says nothing either,
// so a page that forgot data-controller="page" on <body> just looks dead.
// We warn, once: for the page as loaded, and for elements inserted later
// (fragments, history restores, the page's own scripts).

import { warnOnce } from "./warn.js";
import { withSelf } from "./scripts.js";

const PAGE = '[data-controller~="page"]';
const LIVE =
  "[data-liveview-function], [data-liveview-init], [data-liveview-keyboard-map], " +
  "[data-liveview-intersect-appear], [data-liveview-intersect-disappear], [data-liveview-focus]";

// watchOutside checks the page once the document is parsed, then every
// inserted element until it has warned.
export function watchOutside() {
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 /* an element */ && warnOutside(node)) {
          observer.disconnect();
          return;
        }
      }
    }
  });
  const start = () => {
    if (!warnOutside(document.documentElement)) {
      observer.observe(document.documentElement, { childList: true, subtree: true });
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}

// warnOutside warns and returns true when root, or an element in it, has a
// data-liveview-* attribute and no page controller around it.
function warnOutside(root) {
  if (!root.isConnected || root.closest(PAGE)) return false;
  const el = withSelf(root, LIVE).find((x) => !x.closest(PAGE));
  if (!el) return false;
  warnOnce('data-liveview-* attributes outside any data-controller="page" element do nothing: put data-controller="page" on <body> (or around them). The first one:', el);
  return true;
}
