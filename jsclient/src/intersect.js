// data-liveview-intersect-appear / -disappear / -threshold: one
// IntersectionObserver per threshold, as upstream, whose rootMargin is the
// threshold in px, so the element triggers that far before it is visible.

const OBSERVED = "intersectionObserved";
const THRESHOLD = "intersectionThresholdUsed";

export const INTERSECT_SELECTOR = "[data-liveview-intersect-appear], [data-liveview-intersect-disappear]";

// Intersections tracks the observed elements of one page controller.
export class Intersections {
  constructor(send) {
    this.send = send; // (el, functionName, trigger) => void
    this.observers = new Map(); // threshold string -> IntersectionObserver
  }

  // observe starts watching el, once (marked with data-intersection-*).
  observe(el) {
    if (el.dataset[OBSERVED] === "true" || typeof IntersectionObserver === "undefined") return;
    const px = parseInt(el.dataset.liveviewIntersectThreshold, 10);
    const key = px > 0 ? String(px) : "0";
    el.dataset[OBSERVED] = "true";
    el.dataset[THRESHOLD] = key;
    this.observerFor(key).observe(el);
  }

  // unobserve stops watching a removed element and forgets its markers.
  unobserve(el) {
    const obs = this.observers.get(el.dataset[THRESHOLD]);
    if (obs) obs.unobserve(el);
    delete el.dataset[OBSERVED];
    delete el.dataset[THRESHOLD];
  }

  // observerFor returns the shared observer of one threshold.
  observerFor(key) {
    let obs = this.observers.get(key);
    if (!obs) {
      const rootMargin = key === "0" ? "0px" : `${key}px`;
      obs = new IntersectionObserver((entries) => this.changed(entries), { rootMargin, threshold: 0 });
      this.observers.set(key, obs);
    }
    return obs;
  }

  // changed sends appear for entering elements and disappear for the others
  // (also on the first callback, for elements that start off-screen).
  changed(entries) {
    for (const entry of entries) {
      const el = entry.target;
      const name = entry.isIntersecting ? el.dataset.liveviewIntersectAppear : el.dataset.liveviewIntersectDisappear;
      if (name) this.send(el, name, entry.isIntersecting ? "appear" : "disappear");
    }
  }

  // disconnect ends every observer.
  disconnect() {
    for (const obs of this.observers.values()) obs.disconnect();
    this.observers.clear();
  }
}
