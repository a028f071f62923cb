// data-liveview-focus="true": focus the first element that can take focus.

import { withSelf } from "./scripts.js";

const NATIVE = "input, select, textarea, button, a";

// canReceiveFocus mirrors upstream: a native control that is not disabled,
// or an element with tabindex >= 0; either must be rendered and visible.
export function canReceiveFocus(el) {
  const native = el.matches(NATIVE) && !el.disabled;
  const tabbable = el.hasAttribute("tabindex") && el.tabIndex >= 0;
  if (!native && !tabbable) return false;
  if (el.hidden || el.type === "hidden") return false;
  const rect = el.getBoundingClientRect();
  if (rect.width === 0 && rect.height === 0) return false;
  return getComputedStyle(el).visibility !== "hidden";
}

// focusFirst focuses the first focusable [data-liveview-focus="true"] among
// roots (each root itself included), after the current task like upstream.
export function focusFirst(roots) {
  setTimeout(() => {
    for (const root of roots) {
      const el = withSelf(root, '[data-liveview-focus="true"]').find((candidate) => candidate.isConnected && canReceiveFocus(candidate));
      if (el) {
        el.focus();
        return;
      }
    }
  }, 0);
}
