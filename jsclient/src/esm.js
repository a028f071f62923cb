// The ES module build (dist/liveview.esm.js) for apps with their own
// bundler, or <script type="module">: the same client as liveview.min.js,
// started by the app instead of by loading the script.
//
//   import { start } from "./liveview.esm.js";
//   const application = start({ reconnectMaxMs: 10000 });
//   application.register("chart", ChartController);
//
// Controller is Stimulus' own, for the app's controllers: one Stimulus in
// the page. See main.js for the protocol and the options.

import { uploadBase } from "./upload.js";

export { start, application } from "./start.js";
export { Controller } from "@hotwired/stimulus";

// The upload chunk lies next to this module.
uploadBase(import.meta.url);
