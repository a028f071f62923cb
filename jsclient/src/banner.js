// The user-supplied #no-connection element, looked up on every change so it
// may be added to the page after the script loaded (upstream looks once).

// showBanner marks the connection as lost; a text replaces its content.
export const showBanner = (text) => banner(true, text);

// hideBanner marks the connection as working again.
export const hideBanner = () => banner(false);

// banner gives #no-connection the class no-connection--show (show) or
// no-connection--hide, and removes the other one.
function banner(show, text) {
  const el = document.getElementById("no-connection");
  if (!el) return;
  if (text) el.textContent = text;
  el.classList.toggle("no-connection--show", show);
  el.classList.toggle("no-connection--hide", !show);
}
