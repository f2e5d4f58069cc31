/* The reader's private journal, the entry module (mkdocs.yml loads it as an
 * ES module; publish/assets.py gives it and every module it imports a hashed name).
 *
 * Answers, role, progress and a partner's imported answers live in this browser's
 * localStorage, under one versioned key space (JOURNAL.md; store.js is the only module that
 * touches storage). Nothing here makes a network request. This module listens: one delegated
 * listener on `document` for input/change, one for clicks, one for Escape; it flushes waiting
 * answers when the reader leaves a page; and it sets every page up from Material's `document$`
 * (instant navigation swaps pages without a reload), safely more than once. Elements are found
 * by `data-rt-*` attributes, never by styling classes.
 *
 * The modules, each importing only those before it: dom (helpers), crypto (sealing with a
 * passphrase), store (storage, and the lock's vault), notice, fields, role, country, progress,
 * partner, exchange (the export file), journal-page, lock (the lock and discreet mode on the page).
 */
import * as store from "./store.js";
import { all } from "./dom.js";
import * as notice from "./notice.js";
import { restoreFields, edit } from "./fields.js";
import { chooseRole, dismissAsk, closePanel, setFold, applyRole } from "./role.js";
import { applyCountry, chooseCountry } from "./country.js";
import { toggleComplete, applyProgress } from "./progress.js";
import { applyPartner } from "./partner.js";
import { parseExport } from "./exchange.js";
import * as journal from "./journal-page.js";
import * as lock from "./lock.js";

/* --- edits: answer fields, the role radios, the country select, the import file --------- */

function onEdit(event) {
  var field = event.target;
  if (!(field instanceof Element)) return;
  if (field.matches("[data-rt-role-choice]")) {
    if (event.type === "change" && field.checked) chooseRole(field.value, field.closest("[data-rt-role-ask]"));
    return;
  }
  if (field.matches("[data-rt-country-choice]")) {
    if (event.type === "change") chooseCountry(field.value, field.selectedOptions[0]);
    return;
  }
  if (field.matches("[data-rt-discreet-choice]")) {
    if (event.type === "change" && field.checked) lock.chooseDiscreet(field.value);
    return;
  }
  if (field.matches("[data-rt-import-file]")) {
    if (event.type === "change" && field.files && field.files[0]) journal.importFile(field.files[0]);
    return;
  }
  edit(field, event.type);
}

/* --- the passphrase forms: unlock, set/change/remove the lock, export, import ------------ */

function onSubmit(event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.matches("[data-rt-unlock-form], [data-rt-lock-form]")) {
    event.preventDefault();
    lock.submit(form);
  } else if (form.matches("[data-rt-export-form]")) {
    event.preventDefault();
    journal.exportWith(form, unlockFor);
  } else if (form.matches("[data-rt-import-form]")) {
    event.preventDefault();
    journal.importWith(form);
  }
}

/* Unlocking from the export form: the same as the unlock bar. */
async function unlockFor(passphrase) {
  var ok = await store.unlock(passphrase);
  if (ok) redraw();
  return ok;
}

/* After the lock state changed: a locked page shows no answer, not even in the field that has
   focus; then the page is set up again from storage. */
function redraw() {
  if (store.lockState() === "locked") {
    all(document, "[data-rt-key]").forEach(function (field) {
      if (field.type === "checkbox" || field.type === "radio") field.checked = false;
      else field.value = "";
    });
    all(document, "[data-rt-status]").forEach(function (status) { status.textContent = ""; });
  }
  setup();
}

function closeForm(form) {
  if (form.matches("[data-rt-export-form], [data-rt-import-form]")) {
    form.hidden = true;
    all(form, 'input[type="password"]').forEach(function (field) { field.value = ""; });
    journal.cancelForms();
    var opener = document.querySelector(form.matches("[data-rt-export-form]") ? "[data-rt-export]" : "[data-rt-import]");
    if (opener) opener.focus();
  } else {
    lock.closeForm(form, true);
  }
}

/* --- delete everything ------------------------------------------------------------------ */

function deleteEverything() {
  var clean = store.wipe(); // edits still waiting to be written go too
  all(document, "[data-rt-key]").forEach(function (field) {
    if (field.type === "checkbox" || field.type === "radio") field.checked = false;
    else field.value = "";
  });
  setup();
  journal.say(clean
    ? "Everything this course saved in this browser has been deleted: your answers, your role, " +
      "your progress and any partner’s answers."
    : "Some of what this course saved could not be deleted, because this browser refused. " +
      "Try again, or clear this site’s data in your browser’s settings.", !clean);
}

/* --- clicks ----------------------------------------------------------------------------- */

function onClick(event) {
  var target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  var button = target.closest("button, summary");
  if (!button) return;

  if (button.matches("[data-rt-unlock-open], [data-rt-lock-open]")) {
    lock.openForm(button);
  } else if (button.matches("[data-rt-lock-cancel]")) {
    closeForm(button.closest("form"));
  } else if (button.matches("[data-rt-lock-now]")) {
    lock.lockNow(true);
  } else if (button.matches("[data-rt-fold]")) {
    var box = button.closest(".rt-reflection");
    setFold(box, !box.classList.contains("rt-reflection--folded"));
  } else if (button.matches("[data-rt-role-ask-close]")) {
    dismissAsk(button.closest("[data-rt-role-ask]"));
  } else if (button.matches("[data-rt-role-close]")) {
    closePanel(button);
  } else if (button.matches("[data-rt-complete]")) {
    toggleComplete(button);
  } else if (button.matches("[data-rt-export]")) {
    journal.exportJournal(button.getAttribute("data-rt-export"));
  } else if (button.matches("[data-rt-import]")) {
    journal.chooseImport(button.getAttribute("data-rt-import"));
  } else if (button.matches("[data-rt-partner-remove]")) {
    journal.removePartner();
  } else if (button.matches("[data-rt-delete]")) {
    var confirm = document.querySelector("[data-rt-delete-confirm]");
    confirm.hidden = false;
    button.setAttribute("aria-expanded", "true");
    confirm.querySelector("[data-rt-delete-no]").focus();
  } else if (button.matches("[data-rt-delete-no], [data-rt-delete-yes]")) {
    var yes = button.matches("[data-rt-delete-yes]");
    document.querySelector("[data-rt-delete-confirm]").hidden = true;
    var opener = document.querySelector("[data-rt-delete]");
    opener.setAttribute("aria-expanded", "false");
    if (yes) deleteEverything();
    opener.focus();
  } else if (button.matches("[data-rt-notice-dismiss]")) {
    notice.dismiss();
  }
}

/* --- Escape closes what we opened: the role panel, the delete confirmation -------------- */

function onKey(event) {
  if (event.key !== "Escape" || !(event.target instanceof Element)) return;
  var details = event.target.closest("[data-rt-role-details][open]");
  if (details) {
    details.open = false;
    details.querySelector("summary").focus();
    return;
  }
  var form = event.target.closest("[data-rt-unlock-form], [data-rt-lock-form], [data-rt-export-form], [data-rt-import-form]");
  if (form && !form.hidden) {
    closeForm(form);
    return;
  }
  var confirm = event.target.closest("[data-rt-delete-confirm]");
  if (confirm && !confirm.hidden) {
    var no = confirm.querySelector("[data-rt-delete-no]");
    if (no) no.click();
  }
}

/* --- set up ----------------------------------------------------------------------------- */

/** [[former id, id], …] of renamed worksheets, from main.html's head script. */
function renamed() {
  var holder = document.querySelector("script[data-rt-renamed]");
  var words = holder ? holder.getAttribute("data-rt-renamed").split(" ").filter(Boolean) : [];
  return words.map(function (pair) { return pair.split("="); }).filter(function (pair) { return pair.length === 2; });
}

function setup() {
  var root = document;
  document.documentElement.classList.toggle("rt-saved", store.anySaved());
  store.refreshLock();
  lock.applyLock();
  store.moveRenamed(renamed());
  restoreFields(root);
  applyRole(root);
  applyCountry(root);
  applyProgress(root);
  applyPartner(root);
  notice.show();
  lock.scheduleIdle();
  var path = location.pathname;
  journal.setup(root, function () {
    // For tests: this page is set up (on the journal page, once its entries are drawn).
    var ui = root.querySelector("[data-rt-role-ui]");
    if (ui && location.pathname === path) ui.setAttribute("data-rt-ready", path);
  });
}

function visibility() {
  if (document.visibilityState === "hidden") store.flush();
}

function start() {
  store.onStateChange(notice.show);
  store.probe();
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("click", onClick);
  document.addEventListener("submit", onSubmit);
  lock.init(redraw);
  // Another tab set, removed or opened-and-changed the lock: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === null || /rt:v2:/.test(event.key)) {
      var before = store.lockState();
      store.refreshLock();
      if (store.lockState() !== before) redraw();
      else lock.applyLock();
    }
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", visibility);
  window.addEventListener("pagehide", function () { store.flush(); });
  if (window.location$ && typeof window.location$.subscribe === "function") {
    window.location$.subscribe(function () { store.flush(); }); // leaving for another page
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { setup(); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }

  window.rtJournal = {
    version: store.VERSION,
    schema: store.SCHEMA,
    prefix: store.PREFIX,
    setup: setup,
    flush: store.flush,
    parseExport: parseExport
  };
}

if (!window.rtJournal) start(); // loaded twice (another copy already listens): nothing more
