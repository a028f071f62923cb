// Inline scripts of fragments and the __cleanup hooks they may leave, and
// the DOM queries every module uses.

// Classic scripts only; modules, templates and other types stay inert.
export const SCRIPT_SELECTOR = 'script:not([type]), script[type="text/javascript"]';

// runScript runs an inline script with `el` and `this` bound to el.
export function runScript(el, src) {
  try {
    new Function("el", src).call(el, el);
  } catch (err) {
    console.error("LiveView script error:", err);
  }
}

// cleanup calls and forgets the hook a script may leave on its target.
export function cleanup(el) {
  const hook = el.__cleanup;
  delete el.__cleanup;
  if (typeof hook !== "function") return;
  try {
    hook.call(el);
  } catch (err) {
    console.error("LiveView cleanup error:", err);
  }
}

// query is querySelector that treats an invalid selector as "not found".
export function query(selector) {
  try {
    return document.querySelector(selector);
  } catch (err) {
    console.error(`LiveView: invalid selector ${selector}`, err);
    return null;
  }
}

// withSelf returns root (when it matches) and its matching descendants.
export function withSelf(root, selector) {
  const list = root.matches(selector) ? [root] : [];
  return [...list, ...root.querySelectorAll(selector)];
}
