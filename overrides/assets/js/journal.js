/* Rebuilding Trust: the reader's private journal.
 *
 * Answers, role, progress and a partner's imported answers live in this browser's
 * localStorage, under one versioned key space (JOURNAL.md). Nothing here makes a network
 * request. Set up from Material's `document$` (instant navigation swaps pages without a
 * reload), safe to run twice; one delegated listener on `document` for input/change, one for
 * clicks. Elements are found by `data-rt-*` attributes, never by styling classes.
 */
(function () {
  "use strict";

  if (window.rtJournal) return; // loaded twice: the first copy already listens

  var FORMAT = "rebuilding-trust-journal";
  var VERSION = 1;
  var MAX_IMPORT_BYTES = 1024 * 1024;
  var MAX_TEXT = 100000; // characters in one imported answer
  var DEBOUNCE_MS = 300;
  var SAVED = "Saved on this device";
  var ROLE_NAMES = {
    "hurt": "the partner who was hurt",
    "broke-trust": "the partner who broke trust",
    "both": "both of us, together",
    "reading": "just reading"
  };
  var PROMPT_FOR = {
    "hurt": "For the partner who was hurt",
    "broke-trust": "For the partner who broke trust",
    "both": "For both of you"
  };
  var KEY_PATTERN = /^(prompt:[a-z0-9-]{1,80}|ws:[a-z0-9-]{1,80}:[a-z0-9-]{1,80}(:(\d{1,3}|r\d{1,3}c\d{1,3}))?)$/;
  var ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

  /* --- where keys live: the site's base path, as Material scopes its own keys ------------ */

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

  var SCOPE = scopePath(); // computed on the first page load; stable across instant navigation
  var PREFIX = SCOPE + "rt:v" + VERSION + ":";

  /* --- storage: every call guarded; a memory stand-in when the browser refuses ----------- */

  var store = {
    state: "ok", // "ok" | "unavailable" | "full"
    memory: {},

    local: function () {
      return window.localStorage; // may throw (disabled storage, sandboxed frames)
    },

    fail: function (error) {
      var full = error && (error.name === "QuotaExceededError" || error.code === 22 ||
        error.code === 1014 || error.name === "NS_ERROR_DOM_QUOTA_REACHED");
      var was = store.state;
      if (full && store.state === "ok") store.state = "full";
      if (!full) store.state = "unavailable";
      if (store.state !== was) notice.show();
    },

    probe: function () {
      try {
        var area = store.local();
        area.setItem(PREFIX + "probe", "1");
        area.removeItem(PREFIX + "probe");
      } catch (error) {
        store.fail(error);
      }
    },

    raw: function (name) {
      if (store.state === "unavailable") {
        return Object.prototype.hasOwnProperty.call(store.memory, name) ? store.memory[name] : null;
      }
      try {
        return store.local().getItem(PREFIX + name);
      } catch (error) {
        store.fail(error);
        return store.state === "unavailable" ? store.raw(name) : null;
      }
    },

    get: function (name) {
      var raw = store.raw(name);
      if (raw === null || raw === undefined) return null;
      try {
        return JSON.parse(raw);
      } catch (e) {
        return null; // a damaged value reads as absent; it is overwritten on the next save
      }
    },

    set: function (name, value) {
      var raw = JSON.stringify(value);
      if (store.state === "unavailable") {
        store.memory[name] = raw;
        return false;
      }
      try {
        store.local().setItem(PREFIX + name, raw);
        if (store.state === "full") { store.state = "ok"; notice.show(); }
        return true;
      } catch (error) {
        store.fail(error);
        if (store.state === "unavailable") store.memory[name] = raw;
        return false;
      }
    },

    remove: function (name) {
      delete store.memory[name];
      if (store.state === "unavailable") return true;
      try {
        store.local().removeItem(PREFIX + name);
        return true;
      } catch (error) {
        store.fail(error);
        return false;
      }
    },

    /* Names (without PREFIX) that start with `start`. */
    names: function (start) {
      var found = [];
      if (store.state === "unavailable") {
        Object.keys(store.memory).forEach(function (name) {
          if (name.indexOf(start) === 0) found.push(name);
        });
        return found;
      }
      try {
        var area = store.local();
        for (var i = 0; i < area.length; i++) {
          var key = area.key(i);
          if (key && key.indexOf(PREFIX + start) === 0) found.push(key.slice(PREFIX.length));
        }
      } catch (error) {
        store.fail(error);
        if (store.state === "unavailable") return store.names(start);
      }
      return found;
    },

    /* Every key this site wrote, in both storage areas: ours (any version) and Material's own
       (`<scope>.__palette` and the like). Returns true when nothing is left. */
    wipe: function () {
      store.memory = {};
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
          if (which === "localStorage" && store.state !== "unavailable") clean = false;
        }
      });
      return clean;
    }
  };

  /* --- the one notice when storage is unavailable or full ------------------------------- */

  var notice = {
    dismissed: false,

    text: function () {
      if (store.state === "full") {
        return "This browser’s storage for the course is full, so your latest words could not be " +
          "saved. Export your journal to keep a copy, or free some space, then type again.";
      }
      return "This browser isn’t letting the course save anything (private browsing or strict " +
        "privacy settings can do this). What you write stays on this page while it is open, " +
        "but it will be gone after you close or reload it. Everything else works as usual.";
    },

    /* Only where the reader keeps something: fields, progress, the role or the journal. */
    show: function () {
      var host = document.querySelector(".md-content__inner");
      if (!host) return;
      var box = host.querySelector("[data-rt-storage-notice]");
      var relevant = host.querySelector("[data-rt-key], [data-rt-complete], [data-rt-journal], [data-rt-prompt]");
      if (store.state === "ok" || notice.dismissed || !relevant) {
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
      box.querySelector("[data-rt-storage-notice-text]").textContent = notice.text();
    }
  };

  /* --- small DOM helpers ---------------------------------------------------------------- */

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function all(root, selector) {
    return Array.prototype.slice.call(root.querySelectorAll(selector));
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  /* --- answers -------------------------------------------------------------------------- */

  function isAnswer(record) {
    return isObject(record) && (typeof record.v === "string" || typeof record.v === "boolean") &&
      typeof record.t === "number";
  }

  function readAnswer(key) {
    var record = store.get("a:" + key);
    return isAnswer(record) ? record : null;
  }

  function allAnswers() {
    var answers = {};
    store.names("a:").forEach(function (name) {
      var record = store.get(name);
      if (isAnswer(record)) answers[name.slice(2)] = record;
    });
    return answers;
  }

  function isBlank(value) {
    return value === false || value === null || value === undefined ||
      (typeof value === "string" && value.trim() === "");
  }

  /* Saves one answer; an emptied field or an unticked box removes its key. */
  function writeAnswer(key, value) {
    if (value === "" || value === false) return store.remove("a:" + key);
    return store.set("a:" + key, { v: value, t: Date.now() });
  }

  function valueOf(field) {
    if (field.type === "checkbox") return field.checked;
    if (field.type === "radio") return field.checked ? field.value : null;
    return field.value;
  }

  function statusOf(field) {
    var box = field.closest(".rt-reflection, .rt-field");
    return box ? box.querySelector("[data-rt-status]") : null;
  }

  function savedText() {
    if (store.state === "unavailable") return "Not saved: this browser isn’t keeping answers";
    if (store.state === "full") return "Not saved: this browser’s storage is full";
    return SAVED;
  }

  var pending = {}; // key -> { value, status }
  var timer = null;

  function schedule(key, value, status) {
    pending[key] = { value: value, status: status };
    clearTimeout(timer);
    timer = setTimeout(flush, DEBOUNCE_MS);
  }

  function flush() {
    clearTimeout(timer);
    timer = null;
    var keys = Object.keys(pending);
    if (!keys.length) return;
    var batch = pending;
    pending = {};
    keys.forEach(function (key) {
      var saved = writeAnswer(key, batch[key].value);
      var status = batch[key].status;
      if (status) status.textContent = saved ? SAVED : savedText();
    });
  }

  function restoreFields(root) {
    all(root, "[data-rt-key]").forEach(function (field) {
      var key = field.getAttribute("data-rt-key");
      var record = pending[key] ? { v: pending[key].value } : readAnswer(key);
      var value = record ? record.v : null;
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
    if (field.matches("[data-rt-import-file]")) {
      if (event.type === "change" && field.files && field.files[0]) importFile(field.files[0], journal.mode);
      return;
    }
    var key = field.getAttribute("data-rt-key");
    if (!key) return;
    var value = valueOf(field);
    if (value === null) return;
    schedule(key, value, statusOf(field));
    if (field.type === "checkbox" || field.type === "radio" || event.type === "change") flush();
  }

  /* --- country: which helpline the safety note shows (Safety page) ----------------------- */

  var COUNTRY = /^([a-z]{2}|other)$/;

  /* main.html's head script sets html[data-rt-country] from storage before the first paint;
     this keeps it in step with the reader's choice and with "delete everything". */
  function applyCountry(root) {
    var code = store.get("country");
    if (!COUNTRY.test(code)) code = "";
    if (code) document.documentElement.setAttribute("data-rt-country", code);
    else document.documentElement.removeAttribute("data-rt-country");
    var select = root.querySelector("[data-rt-country-choice]");
    if (select) select.value = code;
  }

  function chooseCountry(code, option) {
    var status = document.querySelector("[data-rt-country-status]");
    if (code && !COUNTRY.test(code)) return;
    var saved = code ? store.set("country", code) : (store.remove("country"), true);
    applyCountry(document);
    if (status) {
      status.textContent = (saved ? "Saved on this device. " : "Chosen for now (this browser isn’t saving it). ") +
        (code ? "The safety note on every page now shows the helpline for " + option.textContent + "."
              : "The safety note shows the United States line.");
    }
  }

  /* --- role ----------------------------------------------------------------------------- */

  function currentRole() {
    var role = store.get("role");
    return Object.prototype.hasOwnProperty.call(ROLE_NAMES, role) ? role : null;
  }

  /* `ask` is the "Who is reading?" question the choice was made in, if it was: it stays on
     this page (keeping the reader's place and focus) with its answer, and is gone from the
     next page on (html.rt-role-known). */
  function chooseRole(role, ask) {
    if (!ROLE_NAMES[role]) return;
    var saved = store.set("role", role);
    store.set("role-asked", true);
    if (ask) keepAsk(ask);
    applyRole(document);
    var other = role === "hurt" ? "broke-trust" : role === "broke-trust" ? "hurt" : null;
    var text = (saved ? "Saved. " : "Chosen for now (this browser isn’t saving it). ") + (other
      ? "Prompts " + PROMPT_FOR[other].toLowerCase() + " are folded away; open any of them with its button."
      : "Every prompt is open.");
    var status = ask ? ask.querySelector("[data-rt-role-ask-status]") : document.querySelector("[data-rt-role-status]");
    if (status) status.textContent = text + (ask ? " You can change this at the top of any chapter." : "");
  }

  /** The question stays where it is on this page once answered; pages after it leave it out. */
  function keepAsk(ask) {
    ask.setAttribute("data-rt-role-ask-keep", "");
    document.documentElement.classList.add("rt-role-known");
  }

  function dismissAsk(ask) {
    store.set("role-asked", true);
    keepAsk(ask);
    ["[data-rt-role-ask-intro]", "[data-rt-role-ask-choices]", "[data-rt-role-ask-actions]"].forEach(function (part) {
      var el = ask.querySelector(part);
      if (el) el.hidden = true;
    });
    var status = ask.querySelector("[data-rt-role-ask-status]");
    status.textContent = "Not now, then. Whenever you like, choose who is reading at the top of any chapter.";
    status.focus();
  }

  function folds(promptRole, role) {
    return (role === "hurt" || role === "broke-trust") &&
      (promptRole === "hurt" || promptRole === "broke-trust") && promptRole !== role;
  }

  function setFold(box, folded) {
    var button = box.querySelector("[data-rt-fold]");
    var label = PROMPT_FOR[box.getAttribute("data-rt-role")] || "For the other partner";
    box.classList.toggle("rt-reflection--folded", folded);
    button.setAttribute("aria-expanded", folded ? "false" : "true");
    button.textContent = label + (folded ? ": show" : ": hide");
  }

  function applyRole(root) {
    var role = currentRole();
    var ui = root.querySelector("[data-rt-role-ui]");
    if (ui && root.querySelector("[data-rt-prompt], [data-rt-journal]")) {
      ui.hidden = false;
      ui.querySelector("[data-rt-role-current]").textContent = role ? ROLE_NAMES[role] : "not chosen yet";
      ui.querySelector("[data-rt-role-close]").textContent = role ? "Done" : "Not now";
    }
    all(root, "[data-rt-role-choice]").forEach(function (radio) { radio.checked = radio.value === role; });
    // A page shown after the reader answered (or said "Not now") leaves the question out.
    document.documentElement.classList.toggle("rt-role-known", Boolean(role || store.get("role-asked")));
    all(root, ".rt-reflection[data-rt-role]").forEach(function (box) {
      var promptRole = box.getAttribute("data-rt-role");
      var button = box.querySelector("[data-rt-fold]");
      if (!folds(promptRole, role)) {
        if (button) button.remove();
        box.classList.remove("rt-reflection--folded");
        return;
      }
      if (!button) {
        button = el("button", { "type": "button", "class": "rt-reflection__fold", "data-rt-fold": "" });
        if (box.id) button.setAttribute("aria-controls", box.id);
        box.insertBefore(button, box.firstChild);
        setFold(box, true);
      }
    });
  }

  /* --- progress ------------------------------------------------------------------------- */

  function chapterIds() {
    var ui = document.querySelector("[data-rt-chapters]");
    var ids = ui ? ui.getAttribute("data-rt-chapters").split(/\s+/).filter(Boolean) : [];
    if (!ids.length) {
      ids = all(document, "[data-rt-chapter-card]").map(function (card) {
        return card.getAttribute("data-rt-chapter-card");
      });
    }
    return ids;
  }

  function completed() {
    var done = {};
    store.names("done:").forEach(function (name) {
      var record = store.get(name);
      if (isObject(record) && typeof record.t === "number") done[name.slice(5)] = record.t;
    });
    return done;
  }

  function setComplete(chapter, on) {
    if (on) store.set("done:" + chapter, { t: Date.now() });
    else store.remove("done:" + chapter);
  }

  function chapterPath(chapter) {
    return SCOPE + chapter + "/";
  }

  function applyProgress(root) {
    var done = completed();
    var ids = chapterIds();
    all(root, "[data-rt-complete]").forEach(function (button) {
      button.setAttribute("aria-pressed", done[button.getAttribute("data-rt-complete")] ? "true" : "false");
    });
    all(root, "[data-rt-chapter-card]").forEach(function (card) {
      var is = !!done[card.getAttribute("data-rt-chapter-card")];
      card.classList.toggle("rt-card--done", is);
      var mark = card.querySelector("[data-rt-progress-mark]");
      if (!mark) return;
      mark.textContent = "";
      if (is) {
        mark.appendChild(document.createTextNode(" · "));
        mark.appendChild(el("span", { "class": "rt-done-mark", "aria-hidden": "true" }, "✓"));
        mark.appendChild(document.createTextNode(" Completed"));
      }
    });
    var count = ids.filter(function (id) { return done[id]; }).length;
    all(root, "[data-rt-progress-summary]").forEach(function (summary) {
      summary.textContent = ids.length ? count + " of " + ids.length + " chapters complete" : "";
    });
    // The navigation is outside the swapped content on some layouts: always mark the document.
    all(document, "a.md-nav__link[href]").forEach(function (link) {
      var old = link.querySelector("[data-rt-nav-done]");
      var url;
      try { url = new URL(link.href); } catch (e) { return; }
      var chapter = url.hash ? null : ids.filter(function (id) {
        return url.pathname === chapterPath(id);
      })[0];
      var is = !!(chapter && done[chapter]);
      if (is && !old) {
        var mark = el("span", { "class": "rt-nav-done", "data-rt-nav-done": "" });
        mark.appendChild(el("span", { "aria-hidden": "true" }, "✓"));
        mark.appendChild(el("span", { "class": "rt-sr-only" }, " completed"));
        link.appendChild(mark);
      } else if (!is && old) {
        old.remove();
      }
    });
  }

  /* --- a partner's imported answers, read-only beside the reader's own ------------------ */

  function partnerData() {
    var data = store.get("partner");
    return isObject(data) && isObject(data.answers) ? data : null;
  }

  function partnerBlock(title, body) {
    var box = el("div", { "class": "rt-partner", "data-rt-partner": "" });
    box.appendChild(el("p", { "class": "rt-partner__label" }, title));
    box.appendChild(body);
    return box;
  }

  function partnerText(text) {
    return el("p", { "class": "rt-partner__text" }, text);
  }

  function applyPartner(root) {
    all(root, "[data-rt-partner]").forEach(function (node) { node.remove(); });
    var partner = partnerData();
    if (!partner) return;
    var answers = partner.answers;
    var value = function (key) {
      var record = answers[key];
      return isAnswer(record) && !isBlank(record.v) ? record.v : null;
    };
    var label = "Your partner’s answer (read-only, imported)";
    all(root, ".rt-reflection").forEach(function (box) {
      var field = box.querySelector("[data-rt-key]");
      var text = field && value(field.getAttribute("data-rt-key"));
      if (typeof text === "string") box.appendChild(partnerBlock(label, partnerText(text)));
    });
    all(root, ".rt-worksheet .rt-field").forEach(function (box) {
      var fields = all(box, "[data-rt-key]");
      if (!fields.length) return;
      var first = fields[0];
      if (box.classList.contains("rt-field--table")) {
        fields.forEach(function (cell) {
          var text = value(cell.getAttribute("data-rt-key"));
          if (typeof text !== "string") return;
          var note = el("span", { "class": "rt-partner rt-partner--cell", "data-rt-partner": "" });
          note.appendChild(el("span", { "class": "rt-partner__label" }, "Partner (read-only): "));
          note.appendChild(document.createTextNode(text));
          cell.parentNode.appendChild(note);
        });
      } else if (first.type === "checkbox") {
        var ticked = fields.filter(function (tick) { return value(tick.getAttribute("data-rt-key")) === true; });
        if (!ticked.length) return;
        var list = el("ul", { "class": "rt-partner__list" });
        ticked.forEach(function (tick) {
          var name = box.querySelector('label[for="' + tick.id + '"]');
          list.appendChild(el("li", {}, name ? name.textContent : tick.value));
        });
        box.appendChild(partnerBlock("Your partner ticked (read-only, imported)", list));
      } else if (first.type === "radio") {
        var chosen = value(first.getAttribute("data-rt-key"));
        if (chosen !== null) box.appendChild(partnerBlock(label, partnerText(chosen + " out of 10")));
      } else {
        var text = value(first.getAttribute("data-rt-key"));
        if (typeof text === "string") box.appendChild(partnerBlock(label, partnerText(text)));
      }
    });
  }

  /* --- import: validate the whole file before changing anything ------------------------- */

  function validate(data) {
    if (!isObject(data) || data.format !== FORMAT) {
      return "it has no “format”: “" + FORMAT + "” field";
    }
    if (!isObject(data.answers)) return "it has no list of answers";
    var keys = Object.keys(data.answers);
    for (var i = 0; i < keys.length; i++) {
      var key = keys[i];
      var record = data.answers[key];
      if (!KEY_PATTERN.test(key)) return "it has an answer with an unknown key (" + key.slice(0, 60) + ")";
      if (!isAnswer(record) || !isFinite(record.t) || record.t < 0) {
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
    if (data.role !== undefined && data.role !== null && !ROLE_NAMES[data.role]) {
      return "its role is not one this course knows";
    }
    return null;
  }

  var NOTHING_CHANGED = " Nothing was changed.";

  /* { ok: true, data } or { ok: false, message }, from the text of a file. */
  function parseExport(text) {
    var data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return { ok: false, kind: "not-json", message: "That file isn’t a journal export: it is not a JSON file. " +
        "Choose the .json file made with “Export to import later”." + NOTHING_CHANGED };
    }
    if (isObject(data) && data.format === FORMAT && data.version !== VERSION) {
      return { ok: false, kind: "version", message: "That journal was exported by a different version of this course " +
        "(file version " + String(data.version).slice(0, 20) + "; this site reads version " + VERSION + ")." + NOTHING_CHANGED };
    }
    var problem = validate(data);
    if (problem) {
      return { ok: false, kind: "shape", message: "That file isn’t a journal exported from this course: " + problem + "." +
        NOTHING_CHANGED };
    }
    return { ok: true, data: data };
  }

  function tooLarge(size) {
    return { ok: false, kind: "too-large", message: "That file is too large to be a journal export (" +
      (size / 1048576).toFixed(1) + " MB; an export is under 1 MB)." + NOTHING_CHANGED };
  }

  function readFile(file, done) {
    if (file.size > MAX_IMPORT_BYTES) return done(tooLarge(file.size));
    var reader = new FileReader();
    reader.onload = function () { done(parseExport(String(reader.result))); };
    reader.onerror = function () {
      done({ ok: false, kind: "unreadable", message: "That file could not be read." + NOTHING_CHANGED });
    };
    reader.readAsText(file);
  }

  function mergeMine(data) {
    var added = 0;
    var kept = 0;
    var failed = 0;
    Object.keys(data.answers).forEach(function (key) {
      var incoming = data.answers[key];
      var local = readAnswer(key);
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

  function importFile(file, mode) {
    readFile(file, function (result) {
      var input = document.querySelector("[data-rt-import-file]");
      if (input) input.value = "";
      if (!result.ok) return journal.say(result.message, true);
      if (mode === "partner") {
        var partner = { imported: Date.now(), role: result.data.role || null,
          answers: result.data.answers, completed: result.data.completed || {} };
        var ok = store.set("partner", partner);
        journal.render(document);
        applyPartner(document);
        journal.say(ok
          ? "Your partner’s answers are shown beside yours, read-only. Your own answers are unchanged."
          : "Your partner’s answers are shown for now, but this browser could not save them: " +
            "they will be gone after you leave the page.", !ok);
        return;
      }
      var counts = mergeMine(result.data);
      journal.render(document);
      applyProgress(document);
      applyRole(document);
      var message = "Imported " + counts.added + (counts.added === 1 ? " answer" : " answers") + ".";
      if (counts.kept) message += " " + counts.kept + " already here " + (counts.kept === 1 ? "was" : "were") + " the same or newer and kept.";
      if (counts.failed) message += " " + counts.failed + " could not be saved: this browser’s storage is full or unavailable.";
      journal.say(message, counts.failed > 0);
    });
  }

  /* --- export --------------------------------------------------------------------------- */

  function exportData() {
    return {
      format: FORMAT,
      version: VERSION,
      exported: new Date().toISOString(),
      site: document.querySelector('meta[property="og:site_name"]')
        ? document.querySelector('meta[property="og:site_name"]').getAttribute("content") : "Rebuilding Trust",
      role: currentRole(),
      answers: allAnswers(),
      completed: completed()
    };
  }

  function download(name, text, type) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var link = el("a", { "href": url, "download": name });
    link.click(); // a detached link: Material's instant navigation never sees it
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  /* --- the journal page ----------------------------------------------------------------- */

  function outline(root) {
    var block = root.querySelector("[data-rt-journal-outline]");
    if (!block) return null;
    try {
      return JSON.parse(block.getAttribute("data-rt-journal-outline"));
    } catch (e) {
      return null;
    }
  }

  /* The reader's (or partner's) answer to one outline field, as plain text lines or null. */
  function describe(field, answers) {
    var get = function (key) {
      var record = answers[key];
      return isAnswer(record) && !isBlank(record.v) ? record.v : null;
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

  function promptAnswer(item, answers) {
    var record = answers[item.key];
    return isAnswer(record) && typeof record.v === "string" && !isBlank(record.v) ? { text: record.v } : null;
  }

  function renderValue(value, field) {
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

  function answerPair(mine, theirs, field) {
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

  var journal = {
    mode: "mine",

    say: function (message, isError) {
      var alert = document.querySelector("[data-rt-journal-alert]");
      var status = document.querySelector("[data-rt-journal-status]");
      if (alert) alert.textContent = isError ? message : "";
      if (status) status.textContent = isError ? "" : message;
    },

    render: function (root) {
      var host = root.querySelector("[data-rt-journal-entries]");
      var plan = outline(root);
      if (!host || !plan) return;
      var mine = allAnswers();
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
          "Nothing here yet. When you answer a reflection prompt or fill in a worksheet, it appears " +
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
    },

    setup: function (root) {
      // The page's CSS already shows the app (and hides the no-JavaScript text) under html.rt-js.
      if (!root.querySelector("[data-rt-journal-app]")) return;
      journal.render(root);
    },

    markdown: function () {
      var plan = outline(document) || { chapters: [] };
      var mine = allAnswers();
      var lines = ["# My journal — Rebuilding Trust", "",
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
  };

  function deleteEverything() {
    pending = {};
    clearTimeout(timer);
    var clean = store.wipe();
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

  /* --- clicks --------------------------------------------------------------------------- */

  function onClick(event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    var button = target.closest("button, summary");
    if (!button) return;

    if (button.matches("[data-rt-fold]")) {
      var box = button.closest(".rt-reflection");
      setFold(box, !box.classList.contains("rt-reflection--folded"));
    } else if (button.matches("[data-rt-role-ask-close]")) {
      dismissAsk(button.closest("[data-rt-role-ask]"));
    } else if (button.matches("[data-rt-role-close]")) {
      store.set("role-asked", true);
      var details = button.closest("[data-rt-role-details]");
      details.open = false;
      details.querySelector("summary").focus();
    } else if (button.matches("[data-rt-complete]")) {
      var chapter = button.getAttribute("data-rt-complete");
      var on = button.getAttribute("aria-pressed") !== "true";
      setComplete(chapter, on);
      applyProgress(document);
      var status = document.querySelector("[data-rt-complete-status]");
      if (status) {
        status.textContent = store.state === "ok"
          ? (on ? "Marked complete on this device." : "No longer marked complete.")
          : savedText() + ".";
      }
    } else if (button.matches("[data-rt-export]")) {
      flush();
      if (button.getAttribute("data-rt-export") === "json") {
        download("rebuilding-trust-journal-" + today() + ".json", JSON.stringify(exportData(), null, 2),
          "application/json");
      } else {
        download("rebuilding-trust-journal-" + today() + ".md", journal.markdown(), "text/markdown");
      }
      journal.say("Your journal was saved as a file in your downloads. It is not encrypted: keep it private.");
    } else if (button.matches("[data-rt-import]")) {
      journal.mode = button.getAttribute("data-rt-import") === "partner" ? "partner" : "mine";
      var input = document.querySelector("[data-rt-import-file]");
      if (input) { input.value = ""; input.click(); }
    } else if (button.matches("[data-rt-partner-remove]")) {
      store.remove("partner");
      journal.render(document);
      applyPartner(document);
      journal.say("Your partner’s answers were removed from this device. Your own answers are unchanged.");
      var bring = document.querySelector('[data-rt-import="partner"]');
      if (bring) bring.focus();
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
      notice.dismissed = true;
      notice.show();
    }
  }

  /* --- Escape closes what we opened: the role panel, the delete confirmation ------------- */

  function onKey(event) {
    if (event.key !== "Escape" || !(event.target instanceof Element)) return;
    var details = event.target.closest("[data-rt-role-details][open]");
    if (details) {
      details.open = false;
      details.querySelector("summary").focus();
      return;
    }
    var confirm = event.target.closest("[data-rt-delete-confirm]");
    if (confirm && !confirm.hidden) {
      var no = confirm.querySelector("[data-rt-delete-no]");
      if (no) no.click();
    }
  }

  /* --- set up --------------------------------------------------------------------------- */

  function setup() {
    var root = document;
    restoreFields(root);
    applyRole(root);
    applyCountry(root);
    applyProgress(root);
    applyPartner(root);
    journal.setup(root);
    notice.show();
    var ui = root.querySelector("[data-rt-role-ui]");
    if (ui) ui.setAttribute("data-rt-ready", location.pathname); // for tests: this page is set up
  }

  function visibility() {
    if (document.visibilityState === "hidden") flush();
  }

  store.probe();
  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", visibility);
  window.addEventListener("pagehide", flush);
  if (window.location$ && typeof window.location$.subscribe === "function") {
    window.location$.subscribe(function () { flush(); }); // leaving for another page
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { setup(); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }

  window.rtJournal = {
    version: VERSION,
    prefix: PREFIX,
    setup: setup,
    flush: flush,
    parseExport: parseExport
  };
})();
