// Browser history for `url` frames. For now a plain pushState as in
// Django LiveView 2.2; the 2.3 history journal (snapshots, Back/Forward
// restore) will live here and be called at the same points.

// pushUrl records a new history entry for url, before the DOM changes.
export function pushUrl(url) {
  try {
    window.history.pushState({}, "", url);
  } catch (err) {
    // A cross-origin or malformed URL must not stop the render.
    console.error("LiveView: cannot push URL", url, err);
  }
}
