/* The reader's journal: the one notice shown when storage is unavailable or
 * full ([data-rt-storage-notice], role="status", dismissable), on pages where something would
 * be saved. main.js calls show() when the storage state changes (store.onStateChange) and on
 * every page.
 */
import * as store from "./store.js";
import { el } from "./dom.js";

let dismissed = false;

function text() {
  if (store.state() === "full") {
    return "This browser’s storage for the course is full, so your latest words could not be " +
      "saved. Export your journal to keep a copy, or free some space, then type again.";
  }
  return "This browser isn’t letting the course save anything (private browsing or strict " +
    "privacy settings can do this). What you write stays on this page while it is open, " +
    "but it will be gone after you close or reload it. Everything else works as usual.";
}

/** Shows, updates or removes the notice. Only where the reader keeps something: fields,
    progress, the role or the journal. */
export function show() {
  var host = document.querySelector(".md-content__inner");
  if (!host) return;
  var box = host.querySelector("[data-rt-storage-notice]");
  var relevant = host.querySelector("[data-rt-key], [data-rt-complete], [data-rt-journal], [data-rt-prompt]");
  if (store.state() === "ok" || dismissed || !relevant) {
    if (box) box.remove();
    return;
  }
  if (!box) {
    box = el("div", { "class": "rt-notice", "role": "status", "data-rt-storage-notice": "" });
    box.appendChild(el("p", { "class": "rt-notice__text", "data-rt-storage-notice-text": "" }));
    var close = el("button", { "type": "button", "class": "rt-notice__close", "data-rt-notice-dismiss": "" },
      "Dismiss this message");
    box.appendChild(close);
    host.insertBefore(box, host.firstChild);
  }
  box.querySelector("[data-rt-storage-notice-text]").textContent = text();
}

/** The reader dismissed it: not shown again until the page is reloaded. */
export function dismiss() {
  dismissed = true;
  show();
}
