/* The reader's journal: the answer fields on a page (reflection prompts and
 * worksheet fields, found by [data-rt-key]). An edit goes to store.schedule(); each field's
 * status line says whether its answer was saved; restoreFields() fills a page's fields from
 * storage (and from edits still waiting to be written).
 */
import * as store from "./store.js";
import { all, isBlank } from "./dom.js";

export const SAVED = "Saved on this device";
/* Typed while the journal is locked: kept for this tab (store.js), saved once it is unlocked. */
export const LOCKED = "Not saved yet: your journal is locked. Unlock it at the top of the page to save this";

/** The value a field holds: text, true/false for a checkbox, a radio's value or null. */
export function valueOf(field) {
  if (field.type === "checkbox") return field.checked;
  if (field.type === "radio") return field.checked ? field.value : null;
  return field.value;
}

/** The status line of the prompt or worksheet field `field` belongs to, or null. */
export function statusOf(field) {
  var box = field.closest(".rt-reflection, .rt-field");
  return box ? box.querySelector("[data-rt-status]") : null;
}

/** What a status line says about a saved answer, given the state of storage. */
export function savedText() {
  if (store.lockState() === "locked") return LOCKED;
  if (store.state() === "unavailable") return "Not saved: this browser isn’t keeping answers";
  if (store.state() === "full") return "Not saved: this browser’s storage is full";
  return SAVED;
}

export function restoreFields(root) {
  all(root, "[data-rt-key]").forEach(function (field) {
    var key = field.getAttribute("data-rt-key");
    var waiting = store.pendingValue(key);
    var record = waiting !== undefined ? { v: waiting } : store.readAnswer(key);
    var value = record ? record.v : null;
    // Changed by the reader before this module ran (the page's loader marks it, and passes the
    // change on once we listen): what they typed or ticked stays, and is saved then.
    if (field.hasAttribute("data-rt-early")) return;
    if (field.type === "checkbox") {
      field.checked = value === true;
    } else if (field.type === "radio") {
      field.checked = value !== null && String(value) === field.value;
    } else if (field !== document.activeElement) {
      field.value = typeof value === "string" ? value : "";
    }
    var status = statusOf(field);
    if (status && record && !isBlank(value)) status.textContent = savedText();
  });
}

/** An input or change event (`type`) on an answer field: the value is saved after a pause in
    typing, at once for a tick, a choice or a change. Anything else is left alone. */
export function edit(field, type) {
  var key = field.getAttribute("data-rt-key");
  if (!key) return;
  var value = valueOf(field);
  if (value === null) return;
  var status = statusOf(field);
  store.schedule(key, value, status ? function (saved) {
    status.textContent = saved ? SAVED : savedText();
  } : null);
  if (field.type === "checkbox" || field.type === "radio" || type === "change") store.flush();
}
