// Console warnings for pages that cannot work as written: each distinct
// text once per page load, however many elements have the problem, so a
// list of a thousand items warns once, not a thousand times.

const warned = new Set();

// warnOnce logs "LiveView: " + text with console.warn the first time it
// sees text; the extra arguments (an element, say) follow it in the console.
export function warnOnce(text, ...args) {
  if (warned.has(text)) return;
  warned.add(text);
  console.warn("LiveView: " + text, ...args);
}
