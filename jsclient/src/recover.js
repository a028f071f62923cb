// Form recovery (our addition, like Phoenix's phx-auto-recover): after a
// reconnect, every element with data-liveview-recover="fn" (a <form>, or a
// field) sends fn with its data and current values, so a server that lost
// the connection's state (a restart, another instance) can rebuild it.

import { execute } from "./controllers/page_controller.js";

export function recoverForms() {
  for (const el of document.querySelectorAll("[data-liveview-recover]")) {
    execute(el, el.dataset.liveviewRecover);
  }
}
