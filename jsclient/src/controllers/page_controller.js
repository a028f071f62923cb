// The "page" Stimulus controller: HTML written for Django LiveView binds
// its actions to it (data-controller="page", data-action="click->page#run").

import { Controller } from "@hotwired/stimulus";
import { collectData, collectForm } from "../collect.js";
import { send } from "../socket.js";

export default class PageController extends Controller {
  initialize() {
    // One pending debounce timer per element.
    this.debounceTimers = new Map();
  }

  disconnect() {
    // Events debounced inside a departing subtree are dropped, as upstream.
    for (const id of this.debounceTimers.values()) clearTimeout(id);
    this.debounceTimers.clear();
  }

  // run sends the element's data-liveview-function, after its optional
  // data-liveview-debounce (ms, trailing); values are read at fire time.
  run(event) {
    event.preventDefault();
    const el = event.currentTarget;
    if (!(el instanceof Element)) {
      console.error("LiveView: page#run must be bound to an element");
      return;
    }
    const ms = parseInt(el.dataset.liveviewDebounce, 10);
    if (!ms) {
      execute(el);
      return;
    }
    clearTimeout(this.debounceTimers.get(el));
    const id = setTimeout(() => {
      this.debounceTimers.delete(el);
      execute(el);
    }, ms);
    this.debounceTimers.set(el, id);
  }

  // stop ends the event's propagation (documented upstream, never shipped).
  stop(event) {
    event.stopPropagation();
  }
}

// execute builds {function, data, form} from el and sends it.
export function execute(el) {
  const name = el.dataset.liveviewFunction;
  if (name === undefined || name.trim() === "") {
    console.error("LiveView: data-liveview-function is not defined", el);
    return;
  }
  send({ function: name, data: collectData(el), form: collectForm(el) });
}
