/* The reader's journal: the export file and its import (JOURNAL.md, "Export
 * file"). Checking a file (parseExport: the whole file is validated before anything changes),
 * reading one, merging the reader's own into storage (newer wins), building the export, and
 * handing a file to the browser's downloads. The journal page's buttons (journal-page.js) use
 * these.
 */
import * as store from "./store.js";
import { el, isObject } from "./dom.js";
import { ROLE_NAMES, currentRole } from "./role.js";
import { completed } from "./progress.js";
import { isEnvelope, newKey, keyFor, open, seal } from "./crypto.js";

/* The formats below are identifiers, not the course's name: files exported and vaults sealed
   before a rebrand must still open after it (JOURNAL.md). The name is brand()'s. */
export const FORMAT = "rebuilding-trust-journal";
/* An export sealed with the reader's passphrase: {"format": ENCRYPTED, "version": 1,
   "exported": ISO date, kdf, cipher, data} (crypto.js); inside, the text of a plain export. */
export const ENCRYPTED = "rebuilding-trust-journal-encrypted";
const SEALED_EXPORT = "rebuilding-trust journal export"; // authenticated, not stored (crypto.js)
const MAX_IMPORT_BYTES = 1024 * 1024;
const MAX_TEXT = 100000; // characters in one imported answer
const KEY_PATTERN = /^(prompt:[a-z0-9-]{1,80}|ws:[a-z0-9-]{1,80}:[a-z0-9-]{1,80}(:(\d{1,3}|r\d{1,3}c\d{1,3}))?)$/;
const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const NOTHING_CHANGED = " Nothing was changed.";

/* --- import: validate the whole file before changing anything -------------------------- */

/** What is wrong with parsed export data, in words, or null when nothing is. */
export function validate(data) {
  if (!isObject(data) || data.format !== FORMAT) {
    return "it has no “format”: “" + FORMAT + "” field";
  }
  if (!isObject(data.answers)) return "it has no list of answers";
  var keys = Object.keys(data.answers);
  for (var i = 0; i < keys.length; i++) {
    var key = keys[i];
    var record = data.answers[key];
    if (!KEY_PATTERN.test(key)) return "it has an answer with an unknown key (" + key.slice(0, 60) + ")";
    if (!store.isAnswer(record) || !isFinite(record.t) || record.t < 0) {
      return "the answer " + key + " is not shaped like a saved answer";
    }
    if (typeof record.v === "string" && record.v.length > MAX_TEXT) return "the answer " + key + " is too long";
  }
  if (data.completed !== undefined) {
    if (!isObject(data.completed)) return "its list of completed chapters is not shaped right";
    var chapters = Object.keys(data.completed);
    for (var j = 0; j < chapters.length; j++) {
      if (!ID_PATTERN.test(chapters[j]) || typeof data.completed[chapters[j]] !== "number") {
        return "its list of completed chapters is not shaped right";
      }
    }
  }
  if (data.role !== undefined && data.role !== null &&
      (typeof data.role !== "string" || !Object.prototype.hasOwnProperty.call(ROLE_NAMES, data.role))) {
    return "its role is not one this course knows";
  }
  return null;
}

/** { ok: true, data } or { ok: false, kind, message }, from the text of a file. */
export function parseExport(text) {
  var data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, kind: "not-json", message: "That file isn’t a journal export: it is not a JSON file. " +
      "Choose the .json file made with “Export to import later”." + NOTHING_CHANGED };
  }
  if (isObject(data) && data.format === ENCRYPTED) {
    if (data.version !== 1 || !isEnvelope(data)) {
      return { ok: false, kind: "shape", message: "That encrypted journal file is damaged or from a different " +
        "version of this course, so it cannot be opened." + NOTHING_CHANGED };
    }
    return { ok: false, kind: "encrypted", envelope: data, message: "That file is encrypted: it needs the passphrase " +
      "it was exported with." };
  }
  if (isObject(data) && data.format === FORMAT && data.version !== store.VERSION) {
    return { ok: false, kind: "version", message: "That journal was exported by a different version of this course " +
      "(file version " + String(data.version).slice(0, 20) + "; this site reads version " + store.VERSION + ")." + NOTHING_CHANGED };
  }
  var problem = validate(data);
  if (problem) {
    return { ok: false, kind: "shape", message: "That file isn’t a journal exported from this course: " + problem + "." +
      NOTHING_CHANGED };
  }
  return { ok: true, data: data };
}

export function tooLarge(size) {
  return { ok: false, kind: "too-large", message: "That file is too large to be a journal export (" +
    (size / 1048576).toFixed(1) + " MB; an export is under 1 MB)." + NOTHING_CHANGED };
}

/** Reads a chosen file and calls `done` with what parseExport says of it. */
export function readFile(file, done) {
  if (file.size > MAX_IMPORT_BYTES) return done(tooLarge(file.size));
  var reader = new FileReader();
  reader.onload = function () { done(parseExport(String(reader.result))); };
  reader.onerror = function () {
    done({ ok: false, kind: "unreadable", message: "That file could not be read." + NOTHING_CHANGED });
  };
  reader.readAsText(file);
}

/** "Import my journal": an answer missing here is added; where both have one, the newer `t`
    wins; completed chapters are added; the role is taken only if none is chosen here. */
export function mergeMine(data) {
  var added = 0;
  var kept = 0;
  var failed = 0;
  Object.keys(data.answers).forEach(function (key) {
    var incoming = data.answers[key];
    var local = store.readAnswer(key);
    if (local && local.t >= incoming.t) { kept++; return; }
    if (store.set("a:" + key, { v: incoming.v, t: incoming.t })) added++;
    else failed++;
  });
  var done = completed();
  Object.keys(data.completed || {}).forEach(function (chapter) {
    if (!done[chapter]) store.set("done:" + chapter, { t: data.completed[chapter] });
  });
  if (data.role && !currentRole()) {
    store.set("role", data.role);
    store.set("role-asked", true);
  }
  return { added: added, kept: kept, failed: failed };
}

/* --- export ---------------------------------------------------------------------------- */

/** The course's name and the slug its file names start with, as the build wrote them on the
    journal page (mkdocs.yml's site_name; sitebuild/plugin.py); elsewhere, the page's og:site_name. */
export function brand() {
  var holder = document.querySelector("[data-rt-brand]");
  var meta = document.querySelector('meta[property="og:site_name"]');
  var name = holder ? holder.getAttribute("data-rt-brand") : meta ? meta.getAttribute("content") : "";
  var slug = holder && holder.getAttribute("data-rt-brand-slug") ||
    name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "course";
  return { name: name, slug: slug };
}

/** The reader's own journal as an export file's data (never a partner's answers). */
export function exportData() {
  return {
    format: FORMAT,
    version: store.VERSION,
    exported: new Date().toISOString(),
    site: brand().name,
    role: currentRole(),
    answers: store.allAnswers(),
    completed: completed()
  };
}

/** Hands `text` to the browser's downloads as the file `name`. */
export function download(name, text, type) {
  var url = URL.createObjectURL(new Blob([text], { type: type }));
  var link = el("a", { "href": url, "download": name });
  link.click(); // a detached link: Material's instant navigation never sees it
  setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
}

/** Today as YYYY-MM-DD (UTC), for file names. */
export function today() {
  return new Date().toISOString().slice(0, 10);
}

/* --- the encrypted export ---------------------------------------------------------------- */

/** The text of an encrypted export of `data` (exportData()), sealed with `passphrase` (a new
    salt and key: the file does not reveal the journal's own vault). */
export async function sealExport(data, passphrase) {
  var made = await newKey(passphrase);
  var envelope = await seal(made.key, made.kdf, JSON.stringify(data), SEALED_EXPORT);
  return JSON.stringify(Object.assign({ format: ENCRYPTED, version: 1, exported: data.exported }, envelope), null, 2);
}

/** What parseExport says of the plain export inside an encrypted one; a wrong passphrase
    gives { ok: false, kind: "wrong-passphrase" } and changes nothing. */
export async function openExport(envelope, passphrase) {
  var text;
  try {
    text = await open(await keyFor(passphrase, envelope), envelope, SEALED_EXPORT);
  } catch (error) {
    return { ok: false, kind: "wrong-passphrase", message: "That passphrase does not open this file. Check capital " +
      "letters and try again." + NOTHING_CHANGED };
  }
  return parseExport(text);
}
