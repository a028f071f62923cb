// Starting the client: what the script does when it loads (main.js), and
// what start() does for an app that bundles the ES module (esm.js).

import { Application } from "@hotwired/stimulus";
import PageController from "./controllers/page_controller.js";
import { config } from "./config.js";
import { initHistory } from "./history.js";
import { connect, onReconnect, watchNetwork } from "./socket.js";
import { watchOutside } from "./outside.js";
import { reconnectHooks, watchHooks } from "./hookstub.js";
import { recoverForms } from "./recover.js";

// application is the Stimulus application of the page, null until start().
export let application = null;

// start starts the client once (later calls return the same application):
// options, when given, are copied into window.webSocketConfig first (the
// keys of main.js' header); it starts Stimulus with the "page" controller
// (window.Stimulus, as upstream), the history journal, the socket, the
// warnings and the hooks, and returns the Stimulus application.
export function start(options) {
  if (application) return application;
  if (options) window.webSocketConfig = Object.assign(window.webSocketConfig || {}, options);
  application = window.Stimulus = Application.start();
  application.register("page", PageController);
  // Complete window.webSocketConfig now so the page can read the defaults.
  config();
  // The journal must know the first page before any frame changes it.
  initHistory();
  watchNetwork();
  // A reconnect re-sends the marked forms before any queued event, then
  // tells the hooks.
  onReconnect(() => {
    recoverForms();
    reconnectHooks();
  });
  connect();
  watchOutside();
  watchHooks();
  return application;
}
