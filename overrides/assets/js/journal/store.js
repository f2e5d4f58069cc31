/* The reader's journal: storage. The ONLY module that touches localStorage
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
 *   6. the passphrase lock (schema 2): with a lock, the reader's answers, role, progress and
 *      partner's answers ("sealed" names) are not stored under their own keys but together, as
 *      one AES-GCM envelope (crypto.js) under <scope>rt:v2:vault. While this tab holds the key
 *      (after unlock or setLock), they are read from memory and every change re-seals the
 *      whole vault with a fresh IV: set() → persist() → writeVault() → seal → localStorage.
 *      Without the key (a reload, a new tab, the idle lock), sealed names read as empty, and
 *      what the reader types is held in memory (`held`) until they unlock.
 * Every storage call is guarded. Writes say whether the browser kept the value (a boolean);
 * reads are synchronous. flush() returns a Promise, resolved once the values are written
 * (at once without a lock; after the vault is sealed and stored with one).
 */
import { isObject } from "./dom.js";
import { isEnvelope, keyFor, newKey, open, seal, WrongPassphrase } from "./crypto.js";

export const VERSION = 1; // the plain keys' prefix (rt:v1:), and the export file's version
export const SCHEMA = 2; // the storage schema: rt:v1: plain keys, plus the rt:v2: vault and settings
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
  // With the vault open, a value goes to memory at once and the vault is sealed as soon as the
  // last sealing is done (persist() coalesces): no words wait in a timer for an unload that an
  // asynchronous cipher could not finish.
  timer = setTimeout(flush, lockState() === "open" ? 0 : DEBOUNCE_MS);
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
  return writing; // the vault's last sealing (resolved at once without a lock)
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
  if (isSealed(name)) return setSealed(name, value);
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
  if (isSealed(name)) return getSealed(name);
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

/** Answers saved under a worksheet's former id move to its id ("old new" pairs: a worksheet's
    `formerly` in data/, which main.html's head script carries as data-rt-renamed). Where the
    new id already has an answer, the newer one is kept. Waits while the journal is locked (its
    answers cannot be read); runs again at every page's setup, and does nothing once moved. */
export function moveRenamed(pairs) {
  if (!pairs.length || lockState() === "locked") return;
  var answers = allAnswers();
  pairs.forEach(function (pair) {
    var from = "ws:" + pair[0] + ":";
    Object.keys(answers).forEach(function (key) {
      if (key.indexOf(from) !== 0) return;
      var target = "ws:" + pair[1] + ":" + key.slice(from.length);
      var there = readAnswer(target);
      if (!there || there.t < answers[key].t) set("a:" + target, answers[key]);
      remove("a:" + key);
    });
  });
}

/** Names (without PREFIX) that start with `start`. */
export function names(start) {
  var found = lockState() === "none" ? [] : sealedNames(start);
  if (current === "unavailable") {
    Object.keys(memory).forEach(function (name) {
      if (name.indexOf(start) === 0 && !isSealed(name)) found.push(name);
    });
    return found;
  }
  try {
    var area = local();
    for (var i = 0; i < area.length; i++) {
      var key = area.key(i);
      if (key && key.indexOf(PREFIX + start) === 0 && !isSealed(key.slice(PREFIX.length))) found.push(key.slice(PREFIX.length));
    }
  } catch (error) {
    fail(error);
    if (current === "unavailable") return names(start);
  }
  return found;
}

/** Whether this browser holds anything the course saved (any key under <scope>rt:, or, with
    storage unavailable, anything kept in memory): main.html's head script tests the same for
    html.rt-saved on a page load; main.js keeps it true after instant navigation. */
export function anySaved() {
  if (current === "unavailable") return Object.keys(memory).length > 0;
  try {
    var area = local();
    for (var i = 0; i < area.length; i++) {
      if ((area.key(i) || "").indexOf(SCOPE + "rt:") === 0) return true;
    }
  } catch (error) { /* unreadable: nothing to show */ }
  return false;
}

/* --- 4. removing ----------------------------------------------------------------------- */

/** Removes PREFIX + `name`. True unless the browser refused. */
export function remove(name) {
  if (isSealed(name)) return setSealed(name, REMOVED);
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
  forget();
  vaultPresent = false;
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

/* --- 6. the passphrase lock (schema 2) -------------------------------------------------- */

const VAULT = SCOPE + "rt:v2:vault"; // {"format": VAULT_FORMAT, "version": 2, kdf, cipher, data}
// VAULT_FORMAT and CONTEXT are identifiers, not the course's name: a rebranded site must still
// open the vaults its readers sealed before (JOURNAL.md).
const VAULT_FORMAT = "rebuilding-trust-vault";
const DISCREET = SCOPE + "rt:v2:discreet"; // "locked" | "always"; absent: off
// Authenticated with every sealing, never stored: a vault opens only as this site's journal.
const CONTEXT = "rebuilding-trust journal vault " + SCOPE;
// The names a lock seals: answers, progress, the role (and whether it was asked), the partner's.
// The helpline country stays plain: the safety note shows it before anything is unlocked.
const SEALED = /^(a:|done:|role$|role-asked$|partner$)/;
const REMOVED = {}; // in `held`: the reader emptied this while locked

let vaultPresent = readsVault(); // is there a vault in storage (kept in step: refreshLock())
let key = null; // the AES-GCM key, while this tab has the journal open; never stored
let kdf = null; // the vault's key settings (salt, rounds), to seal it again
let vaultData = null; // sealed name -> value, while open
let held = {}; // sealed name -> value (or REMOVED) written while locked, for this tab only
let writing = Promise.resolve(); // the chain of vault writes; flush() returns it
let dirty = false; // vaultData changed since the last sealing began
let lastVault = null; // the vault text this tab last wrote or opened
let generation = 0; // bumped whenever the key goes: a sealing begun before must not land
let lastBusy = 0; // main-thread milliseconds of the last vault write (bench/journal_lock.py)

function readsVault() {
  try {
    return local().getItem(VAULT) !== null;
  } catch (e) {
    return false;
  }
}

/** "none" (no lock), "locked" (a lock; this tab has no key) or "open" (this tab has the key). */
export function lockState() {
  if (key) return "open";
  return vaultPresent ? "locked" : "none";
}

/** Reads again whether a vault exists (another tab may have set or removed the lock). */
export function refreshLock() {
  vaultPresent = readsVault();
  if (!vaultPresent && key) forget(); // removed or deleted elsewhere: follow storage
}

function isSealed(name) {
  return lockState() !== "none" && SEALED.test(name);
}

function getSealed(name) {
  if (key) return Object.prototype.hasOwnProperty.call(vaultData, name) ? vaultData[name] : null;
  if (!Object.prototype.hasOwnProperty.call(held, name) || held[name] === REMOVED) return null;
  return held[name];
}

/** Open: into memory, then sealed. Locked: held for this tab; false (not saved yet). */
function setSealed(name, value) {
  if (!key) {
    held[name] = value;
    return false;
  }
  if (value === REMOVED) delete vaultData[name];
  else vaultData[name] = value;
  persist();
  return current !== "full";
}

function sealedNames(start) {
  var source = key ? vaultData : held;
  return Object.keys(source).filter(function (name) {
    return name.indexOf(start) === 0 && source[name] !== REMOVED;
  });
}

/* Seals the vault again soon; changes made meanwhile ride along with the next sealing. */
function persist() {
  dirty = true;
  writing = writing.then(writeVault).catch(function () {
    dirty = true; // kept in memory; sealed again on the next change
  });
  return writing;
}

async function writeVault() {
  if (!dirty || !key) return;
  dirty = false;
  var started = generation;
  var busy = performance.now();
  var there = local().getItem(VAULT);
  busy = performance.now() - busy;
  if (there === null && lastVault !== null) return refreshLock(); // lock removed in another tab
  if (there !== null && there !== lastVault) await takeTheirs(there); // another tab wrote since
  if (started !== generation) return;
  var t = performance.now();
  var text = JSON.stringify(vaultData);
  busy += performance.now() - t;
  var envelope = await seal(key, kdf, text, CONTEXT);
  if (started !== generation) return; // locked, wiped or re-keyed while sealing
  t = performance.now();
  var raw = JSON.stringify(Object.assign({ format: VAULT_FORMAT, version: SCHEMA }, envelope));
  try {
    local().setItem(VAULT, raw);
    lastVault = raw;
    if (current === "full") setState("ok");
  } catch (error) {
    dirty = true; // kept in memory; sealed again on the next change
    fail(error);
  }
  lastBusy = busy + performance.now() - t;
}

/* Another tab of this browser wrote the vault: open its copy and keep what it has that this
   tab does not (newer answers win), so neither tab's words are lost. */
async function takeTheirs(there) {
  try {
    var theirs = JSON.parse(await open(key, JSON.parse(there), CONTEXT));
    merge(vaultData, theirs);
  } catch (e) {
    /* sealed with another passphrase (changed in another tab): this tab's copy is written */
  }
}

/* Adds `incoming` to `data`: what is missing, and answers newer than the ones here. */
function merge(data, incoming) {
  var changed = false;
  Object.keys(incoming).forEach(function (name) {
    var mine = data[name];
    var theirs = incoming[name];
    var newer = isAnswer(mine) && isAnswer(theirs) && theirs.t > mine.t;
    if (!Object.prototype.hasOwnProperty.call(data, name) || newer) {
      data[name] = theirs;
      changed = true;
    }
  });
  return changed;
}

/* Sealed names stored as plain schema 1 keys: name -> value. */
function plainSealed() {
  var found = {};
  try {
    var area = local();
    for (var i = 0; i < area.length; i++) {
      var k = area.key(i);
      if (!k || k.indexOf(PREFIX) !== 0) continue;
      var name = k.slice(PREFIX.length);
      if (SEALED.test(name)) found[name] = decode(area.getItem(k));
    }
  } catch (error) {
    fail(error);
  }
  return found;
}

function removePlain(names) {
  names.forEach(function (name) { local().removeItem(PREFIX + name); });
}

function forget() {
  generation++;
  key = null;
  kdf = null;
  vaultData = null;
  held = {};
  dirty = false;
  lastVault = null;
}

function readVault() {
  var raw = local().getItem(VAULT);
  if (raw === null) return null;
  var envelope = decode(raw);
  if (!isEnvelope(envelope) || envelope.format !== VAULT_FORMAT) {
    throw new Error("the locked journal in this browser is damaged");
  }
  return { raw: raw, envelope: envelope };
}

/* The vault's contents with `passphrase`, or null when it is the wrong one. */
async function openWith(passphrase, vault) {
  var candidate = await keyFor(passphrase, vault.envelope);
  try {
    return { key: candidate, data: JSON.parse(await open(candidate, vault.envelope, CONTEXT)) };
  } catch (error) {
    if (error instanceof WrongPassphrase) return null;
    throw error;
  }
}

/** Sets a lock: seals every sealed name into the vault, checks the vault opens, and only then
    removes the plaintext keys (schema 1 → 2 in place). The journal stays open in this tab.
    Throws when storage refuses; nothing plain is removed then. */
export async function setLock(passphrase) {
  await flush();
  var made = await newKey(passphrase);
  var data = plainSealed();
  var envelope = await seal(made.key, made.kdf, JSON.stringify(data), CONTEXT);
  var raw = JSON.stringify(Object.assign({ format: VAULT_FORMAT, version: SCHEMA }, envelope));
  local().setItem(VAULT, raw);
  var back = JSON.parse(await open(made.key, JSON.parse(local().getItem(VAULT)), CONTEXT));
  if (JSON.stringify(back) !== JSON.stringify(data)) throw new Error("the locked journal did not read back");
  // In one synchronous step: what was saved meanwhile joins the vault, then the plaintext goes.
  var late = plainSealed(); // the plain keys are the truth until this step: take them as they are now
  var changed = JSON.stringify(late) !== JSON.stringify(data);
  data = late;
  generation++;
  key = made.key;
  kdf = made.kdf;
  vaultData = data;
  held = {};
  lastVault = raw;
  vaultPresent = true;
  removePlain(Object.keys(late));
  if (changed) persist();
  return writing;
}

/** Opens the vault in this tab. False (nothing changed) for a wrong passphrase. Schema 1 keys
    written since the lock was set (another tab, an older version) and words typed while locked
    join the vault, newest first. */
export async function unlock(passphrase) {
  var vault = readVault();
  if (!vault) {
    refreshLock();
    return true;
  }
  var opened = await openWith(passphrase, vault);
  if (!opened) return false;
  var data = opened.data;
  var stray = plainSealed();
  var changed = merge(data, stray);
  Object.keys(held).forEach(function (name) {
    if (held[name] === REMOVED) delete data[name];
    else data[name] = held[name];
    changed = true;
  });
  generation++;
  key = opened.key;
  kdf = vault.envelope.kdf;
  vaultData = data;
  held = {};
  lastVault = vault.raw;
  vaultPresent = true;
  removePlain(Object.keys(stray));
  if (changed || Object.keys(stray).length) persist();
  return true;
}

/** Locks this tab: what waits is sealed and stored, then the key leaves memory. */
export async function lock() {
  await flush();
  await writing;
  forget();
  vaultPresent = readsVault();
}

/** True when `passphrase` opens the vault (asked again before an export). */
export async function verify(passphrase) {
  var vault = readVault();
  return Boolean(vault && await openWith(passphrase, vault));
}

/** A new passphrase (a new salt and key) for the open vault. False when `current` is wrong. */
export async function changePassphrase(current, next) {
  await flush();
  await writing;
  var vault = readVault();
  var opened = vault && await openWith(current, vault);
  if (!opened) return false;
  var made = await newKey(next);
  if (key) merge(vaultData, opened.data);
  else vaultData = opened.data;
  generation++;
  key = made.key;
  kdf = made.kdf;
  lastVault = vault.raw;
  await persist();
  return true;
}

/** Removes the lock: every sealed name back as a plain schema 1 key, then the vault goes.
    False when `current` is wrong. If the browser refuses a write, the vault stays. */
export async function removeLock(current) {
  await flush();
  await writing;
  var vault = readVault();
  var opened = vault && await openWith(current, vault);
  if (!opened) return false;
  var data = opened.data;
  if (key) merge(data, vaultData);
  var written = [];
  try {
    Object.keys(data).forEach(function (name) {
      local().setItem(PREFIX + name, encode(data[name]));
      written.push(name);
    });
  } catch (error) {
    removePlain(written);
    throw error;
  }
  local().removeItem(VAULT);
  forget();
  vaultPresent = false;
  return true;
}

/** Discreet mode, kept on this device (not sealed: it applies before anything is unlocked). */
export function discreet() {
  try {
    var mode = decode(local().getItem(DISCREET));
    return mode === "locked" || mode === "always" ? mode : null;
  } catch (e) {
    return null;
  }
}

export function setDiscreet(mode) {
  try {
    if (mode === "locked" || mode === "always") local().setItem(DISCREET, encode(mode));
    else local().removeItem(DISCREET);
    return true;
  } catch (error) {
    fail(error);
    return false;
  }
}

/** For bench/journal_lock.py: main-thread milliseconds of the last vault write. */
export function lastWriteBusy() {
  return lastBusy;
}
