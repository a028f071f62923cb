// What a triggering element sends: its own dataset ("data") and the values
// of its form fields ("form").

// Upstream's exact omit list (Django LiveView 2.2.0): controller plumbing and
// internal markers, never user data.
const OMIT = new Set([
  "action",
  "controller",
  "liveviewAction",
  "liveviewFunction",
  "liveviewIntersectAppear",
  "liveviewIntersectDisappear",
  "liveviewIntersectThreshold",
  "intersectionTrigger",
  "liveviewFocus",
  "liveviewInit",
  "initTrigger",
  "liveviewDebounce",
  "liveviewKeyboardMap",
  "keyboardMapInitialized",
]);

const FIELDS = "input, select, textarea";
const NAMED_FIELDS = "input[name], select[name], textarea[name]";

// collectData returns el's own data-* attributes as strings, with the
// browser's camelCase keys (data-data-alert-id -> "dataAlertId"), minus the
// omit list and any "liveview*" key (so our own attributes never leak).
export function collectData(el) {
  const data = {};
  for (const key of Object.keys(el.dataset)) {
    if (OMIT.has(key) || key.startsWith("liveview")) continue;
    data[key] = el.dataset[key];
  }
  return data;
}

// collectForm returns {name: value} for the fields that belong to el.
// Checkbox -> boolean, radio -> value only when checked, others -> .value;
// a repeated name keeps the last value.
export function collectForm(el) {
  const form = {};
  for (const field of fieldsOf(el)) {
    if (field.type === "checkbox") {
      form[field.name] = field.checked;
    } else if (field.type === "radio") {
      if (field.checked) form[field.name] = field.value;
    } else {
      form[field.name] = field.value;
    }
  }
  return form;
}

// fieldsOf chooses the fields: el's form, else its enclosing form, else el
// itself when it is a field, else (our extension, as the upstream docs
// promise) the named fields in el's parent element.
function fieldsOf(el) {
  if (el.matches("form")) return el.querySelectorAll(FIELDS);
  const form = el.closest("form");
  if (form) return form.querySelectorAll(FIELDS);
  if (el.matches(FIELDS)) return [el];
  const parent = el.parentElement;
  return parent ? parent.querySelectorAll(NAMED_FIELDS) : [];
}
