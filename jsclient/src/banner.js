// The user-supplied #no-connection element, looked up on every change so it
// may be added to the page after the script loaded (upstream looks once).

const ID = "no-connection";

// showBanner marks the connection as lost; a text replaces its content.
export function showBanner(text) {
  const el = document.getElementById(ID);
  if (!el) return;
  if (text) el.textContent = text;
  el.classList.add("no-connection--show");
  el.classList.remove("no-connection--hide");
}

// hideBanner marks the connection as working again.
export function hideBanner() {
  const el = document.getElementById(ID);
  if (!el) return;
  el.classList.add("no-connection--hide");
  el.classList.remove("no-connection--show");
}
