/* Rebuilding Trust, the reader's journal: storage. The ONLY module that touches localStorage
 * and sessionStorage; every key is documented in JOURNAL.md. Nothing here makes a network
 * request, and nothing here touches the page: the storage notice listens (onStateChange).
 *
 * Read top to bottom, this file is the reader's data path:
 *   1. where keys live: SCOPE and PREFIX;
 *   2. saving: a field edit (fields.js) calls schedule(); 300 ms after the last edit, or when
 *      the reader leaves the page (main.js), flush() writes what waits: writeAnswer() → set()
 *      → encode() → localStorage;
 *   3. reading: get() → stored() → decode(); the reader's answers; names();
 *   4. removing: remove(), and wipe() for "Delete everything";
 *   5. the state of storage ("ok", "unavailable", "full"), probe(), and the stand-in in
 *      memory when the browser refuses.
 * Every storage call is guarded. Writes say whether the browser kept the value (a boolean);
 * reads are synchronous. flush() returns a Promise, resolved once the values are written
 * (today at once: writing is synchronous).
 */
import { isObject } from "./dom.js";

export const VERSION = 1; // the key space's schema version (rt:v1:), and the export file's
const DEBOUNCE_MS = 300;

/* --- 1. where keys live: the site's base path, as Material scopes its own keys ---------- */

function scopePath() {
  try {
    if (window.__md_scope && window.__md_scope.pathname) return window.__md_scope.pathname;
  } catch (e) { /* fall through */ }
  try {
    var config = JSON.parse(document.getElementById("__config").textContent);
    return new URL(config.base, location.href).pathname;
  } catch (e) {
    return "/";
  }
}

export const SCOPE = scopePath(); // computed on the first page load; stable across instant navigation
export const PREFIX = SCOPE + "rt:v" + VERSION + ":";

/* --- 2. saving: edit → schedule → flush → writeAnswer → set → encode → localStorage ----- */

let pending = {}; // field key -> { value, report }
let timer = null;

/** Keeps a field's new value until DEBOUNCE_MS pass without another edit (or flush() is
    called). `report`, if given, is called once the value is written, with true when the
    browser kept it and false when not (fields.js updates the field's status line). */
export function schedule(key, value, report) {
  pending[key] = { value: value, report: report };
  clearTimeout(timer);
  timer = setTimeout(flush, DEBOUNCE_MS);
}

/** Writes every value that waits, now. Returns a Promise resolved once they are written. */
export function flush() {
  clearTimeout(timer);
  timer = null;
  var keys = Object.keys(pending);
  var batch = pending;
  pending = {};
  keys.forEach(function (key) {
    var saved = writeAnswer(key, batch[key].value);
    if (batch[key].report) batch[key].report(saved);
  });
  return Promise.resolve();
}

/** The value waiting to be written for the field `key`, or undefined when none waits. */
export function pendingValue(key) {
  return Object.prototype.hasOwnProperty.call(pending, key) ? pending[key].value : undefined;
}

/** Saves one answer; an emptied field or an unticked box removes its key. */
export function writeAnswer(key, value) {
  if (value === "" || value === false) return remove("a:" + key);
  return set("a:" + key, { v: value, t: Date.now() });
}

/** Stores `value` under PREFIX + `name`. True when the browser kept it; false when it is kept
    only in memory for this tab (storage unavailable) or not at all (storage full). */
export function set(name, value) {
  var raw = encode(value);
  if (current === "unavailable") {
    memory[name] = raw;
    return false;
  }
  try {
    local().setItem(PREFIX + name, raw);
    if (current === "full") setState("ok");
    return true;
  } catch (error) {
    fail(error);
    if (current === "unavailable") memory[name] = raw;
    return false;
  }
}

/** A value as it is stored: JSON text. */
function encode(value) {
  return JSON.stringify(value);
}

/* --- 3. reading ------------------------------------------------------------------------ */

/** The value stored under `name`, or null when there is none (or it is damaged). */
export function get(name) {
  var raw = stored(name);
  if (raw === null || raw === undefined) return null;
  return decode(raw);
}

/** The stored text under PREFIX + `name`, or null. */
function stored(name) {
  if (current === "unavailable") {
    return Object.prototype.hasOwnProperty.call(memory, name) ? memory[name] : null;
  }
  try {
    return local().getItem(PREFIX + name);
  } catch (error) {
    fail(error);
    return current === "unavailable" ? stored(name) : null;
  }
}

function decode(raw) {
  try {
    return JSON.parse(raw);
  } catch (e) {
    return null; // a damaged value reads as absent; it is overwritten on the next save
  }
}

/** A saved answer: {"v": text or true, "t": ms since epoch}. */
export function isAnswer(record) {
  return isObject(record) && (typeof record.v === "string" || typeof record.v === "boolean") &&
    typeof record.t === "number";
}

/** The reader's saved answer to the field `key`, or null. */
export function readAnswer(key) {
  var record = get("a:" + key);
  return isAnswer(record) ? record : null;
}

/** Every saved answer of the reader's: field key -> {v, t}. */
export function allAnswers() {
  var answers = {};
  names("a:").forEach(function (name) {
    var record = get(name);
    if (isAnswer(record)) answers[name.slice(2)] = record;
  });
  return answers;
}

/** Names (without PREFIX) that start with `start`. */
export function names(start) {
  var found = [];
  if (current === "unavailable") {
    Object.keys(memory).forEach(function (name) {
      if (name.indexOf(start) === 0) found.push(name);
    });
    return found;
  }
  try {
    var area = local();
    for (var i = 0; i < area.length; i++) {
      var key = area.key(i);
      if (key && key.indexOf(PREFIX + start) === 0) found.push(key.slice(PREFIX.length));
    }
  } catch (error) {
    fail(error);
    if (current === "unavailable") return names(start);
  }
  return found;
}

/* --- 4. removing ----------------------------------------------------------------------- */

/** Removes PREFIX + `name`. True unless the browser refused. */
export function remove(name) {
  delete memory[name];
  if (current === "unavailable") return true;
  try {
    local().removeItem(PREFIX + name);
    return true;
  } catch (error) {
    fail(error);
    return false;
  }
}

/** "Delete everything": drops the edits waiting to be written, then every key this site wrote,
    in both storage areas: ours (any version) and Material's own (`<scope>.__palette` and the
    like). Returns true when nothing is left. */
export function wipe() {
  pending = {};
  clearTimeout(timer);
  memory = {};
  var ours = SCOPE + "rt:";
  var material = SCOPE + ".";
  var clean = true;
  ["localStorage", "sessionStorage"].forEach(function (which) {
    try {
      var area = window[which];
      var doomed = [];
      for (var i = 0; i < area.length; i++) {
        var key = area.key(i);
        if (!key) continue;
        var isMaterial = key.indexOf(material) === 0 && key.indexOf("/", material.length) === -1;
        if (key.indexOf(ours) === 0 || isMaterial) doomed.push(key);
      }
      doomed.forEach(function (key) { area.removeItem(key); });
    } catch (error) {
      if (which === "localStorage" && current !== "unavailable") clean = false;
    }
  });
  return clean;
}

/* --- 5. the state of storage, and the stand-in in memory when the browser refuses ------- */

let current = "ok"; // "ok" | "unavailable" | "full"
let memory = {}; // name -> stored text, for the open tab only, while storage is unavailable
const listeners = [];

/** "ok", "unavailable" (answers are kept in memory for this tab) or "full". */
export function state() {
  return current;
}

/** Calls `listener(state)` whenever the state changes (the storage notice shows or hides). */
export function onStateChange(listener) {
  listeners.push(listener);
}

function setState(next) {
  if (next === current) return;
  current = next;
  listeners.forEach(function (listener) { listener(next); });
}

/** Finds out whether storage works (main.js, once, on load). */
export function probe() {
  try {
    var area = local();
    area.setItem(PREFIX + "probe", "1");
    area.removeItem(PREFIX + "probe");
  } catch (error) {
    fail(error);
  }
}

function local() {
  return window.localStorage; // may throw (disabled storage, sandboxed frames)
}

function fail(error) {
  var full = error && (error.name === "QuotaExceededError" || error.code === 22 ||
    error.code === 1014 || error.name === "NS_ERROR_DOM_QUOTA_REACHED");
  if (full && current === "ok") setState("full");
  if (!full) setState("unavailable");
}
