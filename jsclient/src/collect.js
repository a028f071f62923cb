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
// Checkbox -> boolean, or, when several checkboxes among them share its
// name, the list of the checked ones' values; radio -> value only when
// checked; <select multiple> -> the list of its selected values; file
// input -> its file names: the name ("" without a file), for <input
// multiple> the list of names; others -> .value. A repeated name keeps the
// last value. The file inputs that have files are pushed onto files.
export function collectForm(el, files) {
  const form = {};
  const fields = [...fieldsOf(el)];
  for (const field of fields) {
    if (field.type === "checkbox") {
      const group = fields.filter((f) => f.type === field.type && f.name === field.name);
      form[field.name] = group[1] ? values(group.filter((f) => f.checked)) : field.checked;
    } else if (field.type === "select-multiple") {
      form[field.name] = values(field.selectedOptions);
    } else if (field.type === "radio") {
      if (field.checked) form[field.name] = field.value;
    } else if (field.type === "file") {
      const names = Array.from(field.files, (f) => f.name);
      form[field.name] = field.multiple ? names : names[0] || "";
      if (names[0]) files.push(field);
    } else {
      form[field.name] = field.value;
    }
  }
  return form;
}

// values lists the .value of each field or option.
const values = (list) => Array.from(list, (f) => f.value);

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
