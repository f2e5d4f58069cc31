/* The reader's journal: the journal page (docs/journal.md). Draws the answered
 * items of the page's outline (macros/journal.py) from storage, with a partner's answers beside
 * the reader's; its messages (say); and its buttons: export (JSON or Markdown), import (the
 * reader's own or a partner's) and removing a partner's answers. "Delete everything" is
 * main.js's.
 */
import * as store from "./store.js";
import { el, isBlank } from "./dom.js";
import { ROLE_NAMES, applyRole } from "./role.js";
import { completed, applyProgress } from "./progress.js";
import { partnerData, applyPartner } from "./partner.js";
import { readFile, mergeMine, exportData, download, today, sealExport, openExport, brand } from "./exchange.js";

let mode = "mine"; // what the file input imports: "mine" or "partner"
let exportKind = null; // the export waiting for the passphrase (a journal with a lock)
let sealedFile = null; // { envelope, into }: an encrypted file waiting for its passphrase

/* --- the outline and the answers to it ------------------------------------------------- */

let fetched = null; // { src, plan }: the outline file, once fetched

/** The outline of every chapter, or null: from the page (data-rt-journal-outline), or from the
    file the build moved it to (data-rt-journal-outline-src, publish/outline.py) once
    loadOutline() has fetched it. */
export function outline(root) {
  var block = root.querySelector("[data-rt-journal-outline], [data-rt-journal-outline-src]");
  if (!block) return null;
  var src = block.getAttribute("data-rt-journal-outline-src");
  if (src) return fetched && fetched.src === new URL(src, location.href).href ? fetched.plan : null;
  try {
    return JSON.parse(block.getAttribute("data-rt-journal-outline"));
  } catch (e) {
    return null;
  }
}

/** Fetches the page's outline file (same origin; named by its content), then calls `then`. A
    failure says so in the page's alert region, then calls `failed`. */
function loadOutline(root, then, failed) {
  var block = root.querySelector("[data-rt-journal-outline-src]");
  if (!block || outline(root)) return then();
  var src = new URL(block.getAttribute("data-rt-journal-outline-src"), location.href).href;
  fetch(src, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }).then(function (plan) {
    fetched = { src: src, plan: plan };
    then();
  }).catch(function () {
    say("Your journal’s list of chapters could not be loaded. Check your connection and reload this page; your answers are safe in this browser.", true);
    failed();
  });
}

/* The reader's (or partner's) answer to one outline field, as plain text lines or null. */
export function describe(field, answers) {
  var get = function (key) {
    var record = answers[key];
    return store.isAnswer(record) && !isBlank(record.v) ? record.v : null;
  };
  if (field.type === "checklist") {
    var ticked = field.items.filter(function (item, index) { return get(field.key + ":" + index) === true; });
    return ticked.length ? { list: ticked } : null;
  }
  if (field.type === "table") {
    var rows = [];
    field.rows.forEach(function (row, r) {
      var cells = field.columns.map(function (column, c) { return get(field.key + ":r" + r + "c" + c) || ""; });
      if (cells.some(Boolean)) rows.push({ label: row, cells: cells });
    });
    return rows.length ? { table: rows } : null;
  }
  var value = get(field.key);
  if (value === null) return null;
  if (field.type === "scale") {
    var ends = [];
    if (field.low) ends.push("1 = " + field.low);
    if (field.high) ends.push("10 = " + field.high);
    return { text: value + " out of 10" + (ends.length ? " (" + ends.join(", ") + ")" : "") };
  }
  return { text: String(value) };
}

/** The answer to one outline prompt, as { text }, or null. */
export function promptAnswer(item, answers) {
  var record = answers[item.key];
  return store.isAnswer(record) && typeof record.v === "string" && !isBlank(record.v) ? { text: record.v } : null;
}

/* --- drawing --------------------------------------------------------------------------- */

export function renderValue(value, field) {
  if (value.text !== undefined) return el("p", { "class": "rt-journal__text" }, value.text);
  if (value.list) {
    var list = el("ul", { "class": "rt-journal__list" });
    value.list.forEach(function (item) { list.appendChild(el("li", {}, item)); });
    return list;
  }
  var table = el("table", { "class": "rt-journal__table" });
  var head = el("tr");
  head.appendChild(el("th", { "scope": "col" })).appendChild(el("span", { "class": "rt-sr-only" }, "Row"));
  field.columns.forEach(function (column) { head.appendChild(el("th", { "scope": "col" }, column)); });
  table.appendChild(el("thead")).appendChild(head);
  var body = table.appendChild(el("tbody"));
  value.table.forEach(function (row) {
    var tr = body.appendChild(el("tr"));
    tr.appendChild(el("th", { "scope": "row" }, row.label));
    row.cells.forEach(function (cell) { tr.appendChild(el("td", {}, cell)); });
  });
  return table;
}

export function answerPair(mine, theirs, field) {
  var pair = el("div", { "class": "rt-journal__answers" + (mine && theirs ? " rt-journal__answers--two" : "") });
  if (mine) {
    var own = el("div", { "class": "rt-journal__mine", "data-rt-journal-mine": "" });
    own.appendChild(el("p", { "class": "rt-journal__who" }, "You"));
    own.appendChild(renderValue(mine, field));
    pair.appendChild(own);
  }
  if (theirs) {
    var other = el("div", { "class": "rt-journal__partner rt-partner", "data-rt-journal-partner": "" });
    other.appendChild(el("p", { "class": "rt-journal__who rt-partner__label" }, "Your partner (read-only, imported)"));
    other.appendChild(renderValue(theirs, field));
    pair.appendChild(other);
  }
  return pair;
}

/** A message in the page's alert region (an error) or its status line. */
export function say(message, isError) {
  var alert = document.querySelector("[data-rt-journal-alert]");
  var status = document.querySelector("[data-rt-journal-status]");
  if (alert) alert.textContent = isError ? message : "";
  if (status) status.textContent = isError ? "" : message;
}

/** Draws the journal's entries into [data-rt-journal-entries] (again: replacing them). */
export function render(root) {
  var host = root.querySelector("[data-rt-journal-entries]");
  var plan = outline(root);
  if (!host || !plan) return;
  var mine = store.allAnswers();
  var partner = partnerData();
  var theirs = partner ? partner.answers : {};
  var done = completed();
  var known = {};
  host.textContent = "";
  var shown = 0;
  plan.chapters.forEach(function (chapter) {
    var section = el("section", { "class": "rt-journal__chapter", "data-rt-journal-chapter": chapter.id,
      "aria-labelledby": "rt-j-" + chapter.id });
    var heading = el("h2", { "id": "rt-j-" + chapter.id }, chapter.number + ". " + chapter.title);
    if (done[chapter.id]) {
      var mark = el("span", { "class": "rt-journal__done" });
      mark.appendChild(el("span", { "aria-hidden": "true" }, " ✓"));
      mark.appendChild(document.createTextNode(" completed"));
      heading.appendChild(mark);
    }
    section.appendChild(heading);
    var count = 0;
    chapter.items.forEach(function (item) {
      if (item.kind === "prompt") {
        known[item.key] = true;
        var a = promptAnswer(item, mine);
        var b = promptAnswer(item, theirs);
        if (!a && !b) return;
        var entry = el("article", { "class": "rt-journal__entry", "data-rt-journal-entry": item.key });
        entry.appendChild(el("h3", { "class": "rt-journal__question" }, item.question));
        entry.appendChild(el("p", { "class": "rt-journal__role" }, item.role_label));
        entry.appendChild(answerPair(a, b, null));
        var back = el("p", { "class": "rt-journal__back" });
        back.appendChild(el("a", { "href": item.href }, "Back to this question in “" + chapter.title + "”"));
        entry.appendChild(back);
        section.appendChild(entry);
        count++;
        return;
      }
      var sheet = el("article", { "class": "rt-journal__entry rt-journal__entry--worksheet",
        "data-rt-journal-entry": item.key });
      sheet.appendChild(el("h3", { "class": "rt-journal__question" }, "Worksheet: " + item.title));
      var any = false;
      item.fields.forEach(function (field) {
        var keys = field.type === "checklist" ? field.items.map(function (x, i) { return field.key + ":" + i; })
          : field.type === "table" ? [].concat.apply([], field.rows.map(function (x, r) {
            return field.columns.map(function (y, c) { return field.key + ":r" + r + "c" + c; });
          })) : [field.key];
        keys.forEach(function (key) { known[key] = true; });
        var a = describe(field, mine);
        var b = describe(field, theirs);
        if (!a && !b) return;
        any = true;
        var part = el("div", { "class": "rt-journal__field", "data-rt-journal-field": field.key });
        part.appendChild(el("h4", { "class": "rt-journal__label" }, field.label));
        part.appendChild(answerPair(a, b, field));
        sheet.appendChild(part);
      });
      if (!any) return;
      var link = el("p", { "class": "rt-journal__back" });
      link.appendChild(el("a", { "href": item.href }, "Open the worksheet “" + item.title + "”"));
      sheet.appendChild(link);
      section.appendChild(sheet);
      count++;
    });
    if (count) {
      host.appendChild(section);
      shown += count;
    }
  });
  var orphans = Object.keys(mine).filter(function (key) { return !known[key] && !isBlank(mine[key].v); });
  if (orphans.length) {
    var rest = el("section", { "class": "rt-journal__chapter", "data-rt-journal-chapter": "other",
      "aria-labelledby": "rt-j-other" });
    rest.appendChild(el("h2", { "id": "rt-j-other" }, "Answers to questions no longer in the course"));
    orphans.sort().forEach(function (key) {
      var entry = el("article", { "class": "rt-journal__entry", "data-rt-journal-entry": key });
      entry.appendChild(el("h3", { "class": "rt-journal__question" }, key));
      entry.appendChild(answerPair({ text: String(mine[key].v) }, null, null));
      rest.appendChild(entry);
    });
    host.appendChild(rest);
    shown += orphans.length;
  }
  if (!shown) {
    host.appendChild(el("p", { "class": "rt-journal__empty", "data-rt-journal-empty": "" },
      store.lockState() === "locked"
        ? "Your journal is locked. Unlock it at the top of this page to read it."
        : "Nothing here yet. When you answer a reflection prompt or fill in a worksheet, it appears " +
          "here, grouped by chapter, with a link back to where you wrote it."));
  }
  var note = root.querySelector("[data-rt-journal-partner-note]");
  var remove = root.querySelector("[data-rt-partner-remove]");
  if (note) {
    note.hidden = !partner;
    note.textContent = partner
      ? "Your partner’s answers" + (partner.role && partner.role !== "reading" && partner.role !== "both"
        ? " (" + ROLE_NAMES[partner.role] + ")" : "") +
        " are shown beside yours, read-only. They were imported on " +
        new Date(partner.imported).toLocaleDateString(undefined, { dateStyle: "long" }) + " and stay on this device."
      : "";
  }
  if (remove) remove.hidden = !partner;
}

/** Draws the journal page, if this is it, then calls `done` (at once on any other page; after
    the outline is fetched and the entries drawn, or its failure said, on the journal page). */
export function setup(root, done) {
  // The page's CSS already shows the app (and hides the no-JavaScript text) under html.rt-js.
  if (!root.querySelector("[data-rt-journal-app]")) return done();
  loadOutline(root, function () { render(root); done(); }, done);
}

/* --- the readable export (Markdown) ----------------------------------------------------- */

/** The reader's own answers in course order, as Markdown ("Export to read"). */
export function markdown() {
  var plan = outline(document) || { chapters: [] };
  var mine = store.allAnswers();
  var lines = ["# My journal — " + brand().name, "",
    "Exported on " + today() + " from this browser. It is private: keep it somewhere safe.", ""];
  var quote = function (text) {
    return String(text).split(/\r?\n/).map(function (line) { return line ? "> " + line : ">"; }).join("\n");
  };
  var absolute = function (href) {
    try { return new URL(href, location.href).href; } catch (e) { return href; }
  };
  var any = false;
  plan.chapters.forEach(function (chapter) {
    var parts = [];
    chapter.items.forEach(function (item) {
      if (item.kind === "prompt") {
        var answer = promptAnswer(item, mine);
        if (answer) {
          parts.push("### " + item.question, "", "*" + item.role_label + "*", "", quote(answer.text), "",
            "[Back to this question](" + absolute(item.href) + ")", "");
        }
        return;
      }
      var fields = [];
      item.fields.forEach(function (field) {
        var value = describe(field, mine);
        if (!value) return;
        fields.push("**" + field.label + "**", "");
        if (value.text !== undefined) fields.push(quote(value.text));
        if (value.list) value.list.forEach(function (x) { fields.push("- [x] " + x); });
        if (value.table) {
          var cell = function (x) { return String(x).replace(/\|/g, "\\|").replace(/\r?\n/g, " "); };
          fields.push("| | " + field.columns.map(cell).join(" | ") + " |");
          fields.push("|---|" + field.columns.map(function () { return "---|"; }).join(""));
          value.table.forEach(function (row) {
            fields.push("| " + cell(row.label) + " | " + row.cells.map(cell).join(" | ") + " |");
          });
        }
        fields.push("");
      });
      if (fields.length) {
        parts.push("### Worksheet: " + item.title, "");
        parts = parts.concat(fields);
        parts.push("[Open the worksheet](" + absolute(item.href) + ")", "");
      }
    });
    if (parts.length) {
      any = true;
      lines.push("## " + chapter.number + ". " + chapter.title, "");
      lines = lines.concat(parts);
    }
  });
  if (!any) lines.push("(No answers yet.)", "");
  return lines.join("\n");
}

/* --- the page's buttons ----------------------------------------------------------------- */

/** "Export to import later" (`kind` "json"), "Export to read" ("markdown") or, with a lock,
    "Export encrypted" ("encrypted"). With a lock, every export first asks for the passphrase
    (the form [data-rt-export-form]; exportWith() goes on). */
export async function exportJournal(kind) {
  if (store.lockState() !== "none") {
    exportKind = kind;
    var form = document.querySelector("[data-rt-export-form]");
    form.hidden = false;
    form.querySelector("[data-rt-passphrase]").focus();
    return;
  }
  await store.flush();
  save(kind, null);
}

/** The passphrase form of a locked journal's export: a locked journal is unlocked by it (the
    reader proved it is theirs), an open one checked; then the file is made. */
export async function exportWith(form, unlock) {
  var field = form.querySelector("[data-rt-passphrase]");
  var passphrase = field.value;
  var ok = store.lockState() === "locked" ? await unlock(passphrase) : await store.verify(passphrase);
  if (!ok) {
    field.value = "";
    field.focus();
    return say("That passphrase does not open your journal. Nothing was exported.", true);
  }
  field.value = "";
  form.hidden = true;
  await store.flush();
  await save(exportKind || "json", passphrase);
  var opener = document.querySelector('[data-rt-export="' + (exportKind || "json") + '"]');
  if (opener) opener.focus();
  exportKind = null;
}

/** The export's file name: `<brand slug>-journal-YYYY-MM-DD` and `ending` (JOURNAL.md). */
export function fileName(ending) {
  return brand().slug + "-journal-" + today() + ending;
}

async function save(kind, passphrase) {
  if (kind === "encrypted") {
    download(fileName(".encrypted.json"), await sealExport(exportData(), passphrase), "application/json");
    return say("Your journal was saved, encrypted, as a file in your downloads. Only your passphrase opens it.");
  }
  if (kind === "json") {
    download(fileName(".json"), JSON.stringify(exportData(), null, 2), "application/json");
  } else {
    download(fileName(".md"), markdown(), "text/markdown");
  }
  say("Your journal was saved as a file in your downloads. It is not encrypted: keep it private.");
}

/** "Import my journal" (`which` "mine") or "Import my partner's answers" ("partner"): opens
    the file chooser; importFile() takes the chosen file. */
export function chooseImport(which) {
  mode = which === "partner" ? "partner" : "mine";
  var input = document.querySelector("[data-rt-import-file]");
  if (input) { input.value = ""; input.click(); }
}

/** Imports a chosen file as the last chooseImport() asked; nothing changes unless it is valid. */
export function importFile(file) {
  var into = mode;
  if (store.lockState() === "locked") {
    return say("Your journal is locked. Unlock it at the top of this page first, then import.", true);
  }
  readFile(file, function (result) {
    var input = document.querySelector("[data-rt-import-file]");
    if (input) input.value = "";
    if (!result.ok && result.kind === "encrypted") {
      sealedFile = { envelope: result.envelope, into: into };
      var form = document.querySelector("[data-rt-import-form]");
      form.hidden = false;
      say(result.message);
      form.querySelector("[data-rt-passphrase]").focus();
      return;
    }
    imported(result, into);
  });
}

/** The passphrase form of an encrypted file: opened, then imported as any other; a wrong
    passphrase says so and changes nothing. */
export async function importWith(form) {
  if (!sealedFile) return;
  var field = form.querySelector("[data-rt-passphrase]");
  var result = await openExport(sealedFile.envelope, field.value);
  field.value = "";
  if (!result.ok && result.kind === "wrong-passphrase") {
    field.focus();
    return say(result.message, true);
  }
  var into = sealedFile.into;
  sealedFile = null;
  form.hidden = true;
  imported(result, into);
  var opener = document.querySelector('[data-rt-import="' + into + '"]');
  if (opener) opener.focus();
}

/** Cancel on the passphrase forms of this page. */
export function cancelForms() {
  sealedFile = null;
  exportKind = null;
}

function imported(result, into) {
  if (!result.ok) return say(result.message, true);
  if (into === "partner") {
    var partner = { imported: Date.now(), role: result.data.role || null,
      answers: result.data.answers, completed: result.data.completed || {} };
    var ok = store.set("partner", partner);
    render(document);
    applyPartner(document);
    say(ok
      ? "Your partner’s answers are shown beside yours, read-only. Your own answers are unchanged."
      : "Your partner’s answers are shown for now, but this browser could not save them: " +
        "they will be gone after you leave the page.", !ok);
    return;
  }
  var counts = mergeMine(result.data);
  render(document);
  applyProgress(document);
  applyRole(document);
  var message = "Imported " + counts.added + (counts.added === 1 ? " answer" : " answers") + ".";
  if (counts.kept) message += " " + counts.kept + " already here " + (counts.kept === 1 ? "was" : "were") + " the same or newer and kept.";
  if (counts.failed) message += " " + counts.failed + " could not be saved: this browser’s storage is full or unavailable.";
  say(message, counts.failed > 0);
}

/** "Remove my partner's answers": only the `partner` key goes. */
export function removePartner() {
  store.remove("partner");
  render(document);
  applyPartner(document);
  say("Your partner’s answers were removed from this device. Your own answers are unchanged.");
  var bring = document.querySelector('[data-rt-import="partner"]');
  if (bring) bring.focus();
}
