/* The reader's journal: the passphrase lock and discreet mode, as the reader
 * meets them. The encryption itself, and the key, live in store.js (lockState, setLock, unlock,
 * lock, changePassphrase, removeLock); this module draws the state on the page and runs the forms:
 *
 *   - html.rt-locked / html.rt-lock-open: which of the journal's parts show (journal.css). The
 *     unlock bar (partials/rt-lock.html) is the one control a locked page shows; the Journal
 *     page sets, changes and removes the lock (macros/templates/journal.html).
 *   - idle lock: after extra.journal_privacy.lock_after_minutes without a key, a tap, a scroll or an
 *     edit, the journal locks again (and at once when the tab comes back after longer).
 *   - discreet mode: the tab's title and icon become mkdocs.yml's neutral ones on every page, or
 *     while the journal is locked, as the reader chose (kept on the device: store.discreet()).
 *
 * Nothing here makes a network request. Every message is in the page's own live regions.
 */
import * as store from "./store.js";
import { all } from "./dom.js";
import { say as journalSay } from "./journal-page.js";

const MIN_LENGTH = 8;
const ACTIVITY = ["keydown", "pointerdown", "input", "scroll", "focusin"];

let changed = function () {}; // main.js: draw the page again after the lock state changed
let lastActivity = Date.now();
let idleTimer = null;
let lastTyped = null; // the field the reader typed into while locked: focus returns there

/** `redraw` runs after the lock state changes (unlocked, locked, lock removed). */
export function init(redraw) {
  changed = redraw;
  ACTIVITY.forEach(function (type) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") checkIdle();
  });
  // Typing while locked: store.js holds the words, fields.js says "Not saved yet"; focus
  // returns to that field once the reader has unlocked.
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (store.lockState() === "locked" && field instanceof Element && field.matches("[data-rt-key]")) lastTyped = field;
  });
}

/* --- the state on the page --------------------------------------------------------------- */

/** Marks <html> with the lock state, and gives the tab its title and icon. */
export function applyLock() {
  var state = store.lockState();
  var html = document.documentElement;
  html.classList.toggle("rt-locked", state === "locked");
  html.classList.toggle("rt-lock-open", state === "open");
  applyDiscreet(state);
  all(document, "[data-rt-discreet-choice]").forEach(function (radio) {
    radio.checked = radio.value === (store.discreet() || "");
  });
}

function discreetSource() {
  return document.querySelector("script[data-rt-discreet-title]");
}

/** The neutral title and icon while discreet mode applies; the page's own otherwise. The page's
    own are kept in data-rt-title / data-rt-icon (main.html's head script keeps them there when
    it changes them before the first paint; Material sets a new title on instant navigation). */
function applyDiscreet(state) {
  var source = discreetSource();
  var icon = document.querySelector('link[rel="icon"]');
  if (!source || !icon) return;
  var html = document.documentElement;
  var neutral = source.getAttribute("data-rt-discreet-title");
  var mode = store.discreet();
  var on = mode === "always" || (mode === "locked" && state === "locked");
  if (document.title !== neutral) html.setAttribute("data-rt-title", document.title);
  if (!icon.hasAttribute("data-rt-icon")) icon.setAttribute("data-rt-icon", icon.href);
  html.classList.toggle("rt-discreet", on);
  document.title = on ? neutral : html.getAttribute("data-rt-title") || document.title;
  var href = on ? new URL(source.getAttribute("data-rt-discreet-icon"), location.href).href : icon.getAttribute("data-rt-icon");
  if (icon.href !== href) icon.href = href;
}

export function chooseDiscreet(mode) {
  store.setDiscreet(mode);
  applyLock();
  journalSay(mode === "always" ? "This tab now shows a neutral name and icon on every page of the course."
    : mode === "locked" ? "This tab will show a neutral name and icon whenever your journal is locked."
    : "This tab shows the course’s name again.");
}

/* --- forms ------------------------------------------------------------------------------- */

/* The unlock bar has its own alert and announces success in the page's live region; the
   Journal page's forms use that page's alert and status lines (journal-page.js). */
function say(form, message, isError) {
  if (!form.matches("[data-rt-unlock-form]")) return journalSay(message, isError);
  var alert = document.querySelector("[data-rt-unlock-alert]");
  if (alert) alert.textContent = isError ? message : "";
  // The field says it was wrong, and what was wrong, as the waitlist's fields do.
  var field = form.querySelector("[data-rt-passphrase]");
  if (field) {
    if (isError) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
    field.setAttribute("aria-describedby", isError && alert ? "rt-unlock-help " + alert.id : "rt-unlock-help");
  }
  if (!isError) announce(message);
}

/* The page's polite live region (navigation.js), for news that has no place of its own. */
function announce(message) {
  var region = document.querySelector("[data-rt-announce]");
  if (region) region.textContent = message;
}

function value(form, selector) {
  var field = form.querySelector(selector);
  return field ? field.value : "";
}

function clear(form) {
  all(form, 'input[type="password"]').forEach(function (field) { field.value = ""; });
}

/** Opens one of the lock's forms in place (button[data-rt-lock-open], the unlock bar's button). */
export function openForm(button) {
  var form = document.getElementById(button.getAttribute("aria-controls"));
  if (!form) return;
  var opening = form.hidden;
  all(document, "[data-rt-lock-form]").forEach(function (other) {
    if (other !== form) closeForm(other, false);
  });
  form.hidden = !opening;
  button.setAttribute("aria-expanded", opening ? "true" : "false");
  if (opening) form.querySelector("input").focus();
}

/** Closes a form (Cancel, Escape, done); focus goes back to the button that opened it. */
export function closeForm(form, focusOpener) {
  if (!form) return;
  form.hidden = true;
  clear(form);
  var opener = form.id && document.querySelector('[aria-controls="' + form.id + '"]');
  if (opener) {
    opener.setAttribute("aria-expanded", "false");
    if (focusOpener && opener.offsetParent !== null) opener.focus();
  }
}

function busy(form, on) {
  all(form, "button").forEach(function (button) { button.disabled = on; });
  form.setAttribute("aria-busy", on ? "true" : "false");
}

/** Runs a lock form: unlock (the bar), set, change, remove. Returns true when it was one. */
export async function submit(form) {
  if (form.matches("[data-rt-unlock-form]")) return run(form, unlockWith);
  var kind = form.getAttribute("data-rt-lock-form");
  if (kind === "set") return run(form, setWith);
  if (kind === "change") return run(form, changeWith);
  if (kind === "remove") return run(form, removeWith);
  return false;
}

async function run(form, action) {
  busy(form, true);
  try {
    await action(form);
  } catch (error) {
    say(form, "Something went wrong in this browser, and nothing was changed (" + (error && error.message || error) + ").", true);
  } finally {
    busy(form, false);
  }
  return true;
}

async function unlockWith(form) {
  var field = form.querySelector("[data-rt-passphrase]");
  var ok = await store.unlock(field.value);
  if (!ok) {
    say(form, "That passphrase does not open your journal. Nothing was changed. Check capital letters and try again.", true);
    field.value = "";
    field.focus();
    return;
  }
  closeForm(form, false);
  afterChange();
  say(form, "Your journal is unlocked in this tab.", false);
  var back = lastTyped && document.contains(lastTyped) ? lastTyped : document.querySelector(".md-content h1");
  lastTyped = null;
  if (back) {
    if (!back.matches("input, textarea, select, button, a[href]") && !back.hasAttribute("tabindex")) back.setAttribute("tabindex", "-1");
    back.focus();
  }
}

function newPassphrase(form) {
  var next = value(form, "[data-rt-lock-new]");
  if (next.length < MIN_LENGTH) return { error: "The new passphrase is too short: use at least " + MIN_LENGTH + " characters. Nothing was changed." };
  if (next !== value(form, "[data-rt-lock-again]")) return { error: "The two passphrases are not the same. Nothing was changed." };
  return { passphrase: next };
}

async function setWith(form) {
  var next = newPassphrase(form);
  if (next.error) return say(form, next.error, true);
  if (store.state() === "unavailable") {
    return say(form, "This browser isn’t letting the course save anything, so there is nothing to lock.", true);
  }
  await store.setLock(next.passphrase);
  closeForm(form, false);
  afterChange();
  say(form, "Your journal is locked with your passphrase. It stays open in this tab until you reload it, open a new tab, or leave it for a while.", false);
  focusIn("[data-rt-lock-now]");
}

async function changeWith(form) {
  var next = newPassphrase(form);
  if (next.error) return say(form, next.error, true);
  var ok = await store.changePassphrase(value(form, "[data-rt-lock-current]"), next.passphrase);
  if (!ok) return say(form, "That is not your current passphrase. Nothing was changed.", true);
  closeForm(form, true);
  say(form, "Your passphrase was changed. Use the new one from now on.", false);
}

async function removeWith(form) {
  var ok = await store.removeLock(value(form, "[data-rt-lock-current]"));
  if (!ok) return say(form, "That is not your passphrase. The lock was not removed.", true);
  closeForm(form, false);
  afterChange();
  say(form, "The lock was removed. Your journal is kept on this device without a passphrase again.", false);
  focusIn('[data-rt-lock-open="set"]');
}

function focusIn(selector) {
  var target = document.querySelector(selector);
  if (target) target.focus();
}

/** "Lock now", the idle timer, and anything else that locks: the key leaves memory, the page
    shows the fields empty and the unlock bar. */
export async function lockNow(announceIt) {
  if (store.lockState() !== "open") return;
  await store.lock();
  afterChange();
  if (announceIt) announce("Your journal is locked.");
  var bar = document.querySelector("[data-rt-unlock-open]");
  if (announceIt && bar && bar.offsetParent !== null) bar.focus();
}

function afterChange() {
  applyLock();
  changed();
}

/* --- the idle lock ----------------------------------------------------------------------- */

function idleLimit() {
  var bar = document.querySelector("[data-rt-lock-minutes]");
  var minutes = bar ? Number(bar.getAttribute("data-rt-lock-minutes")) : 15;
  return (minutes > 0 ? minutes : 15) * 60000;
}

function activity() {
  lastActivity = Date.now();
  if (!idleTimer && store.lockState() === "open") scheduleIdle();
}

/** Starts (or restarts) the idle watch; main.js calls it after an unlock and on every page. */
export function scheduleIdle() {
  clearTimeout(idleTimer);
  idleTimer = null;
  if (store.lockState() !== "open") return;
  var wait = Math.max(1000, lastActivity + idleLimit() - Date.now());
  idleTimer = setTimeout(function () {
    idleTimer = null;
    checkIdle();
  }, wait);
}

function checkIdle() {
  if (store.lockState() !== "open") return;
  if (Date.now() - lastActivity >= idleLimit()) lockNow(false);
  else scheduleIdle();
}
