/* The reader's journal: which country's helpline the safety note shows. The
 * reader chooses on the Safety page; main.html's head script sets html[data-rt-country] from
 * storage before the first paint, and this keeps it in step with the reader's choice and with
 * "Delete everything".
 */
import * as store from "./store.js";

const COUNTRY = /^([a-z]{2}|other)$/;

export function applyCountry(root) {
  var code = store.get("country");
  if (!COUNTRY.test(code)) code = "";
  if (code) document.documentElement.setAttribute("data-rt-country", code);
  else document.documentElement.removeAttribute("data-rt-country");
  var select = root.querySelector("[data-rt-country-choice]");
  if (select) select.value = code;
}

/** `code` chosen in the select ("" for "Not chosen"); `option` is the chosen option. */
export function chooseCountry(code, option) {
  var status = document.querySelector("[data-rt-country-status]");
  if (code && !COUNTRY.test(code)) return;
  var saved = code ? store.set("country", code) : (store.remove("country"), true);
  applyCountry(document);
  if (status) {
    status.textContent = (saved ? "Saved on this device. " : "Chosen for now (this browser isn’t saving it). ") +
      (code ? "The safety note on every page now shows the helpline for " + option.textContent + "."
            : "The safety note shows every country’s lines, or the lines of the country your browser’s language names.");
  }
}
