/* The reader's journal: progress. "Mark this chapter complete" at the end of
 * each chapter, the ticks on the home page's chapter cards and in the navigation, and the
 * "n of m chapters complete" summary.
 */
import * as store from "./store.js";
import { el, all, isObject } from "./dom.js";
import { savedText } from "./fields.js";

/** The course's chapter ids, in order: from the page's [data-rt-chapters], else its cards. */
export function chapterIds() {
  var ui = document.querySelector("[data-rt-chapters]");
  var ids = ui ? ui.getAttribute("data-rt-chapters").split(/\s+/).filter(Boolean) : [];
  if (!ids.length) {
    ids = all(document, "[data-rt-chapter-card]").map(function (card) {
      return card.getAttribute("data-rt-chapter-card");
    });
  }
  return ids;
}

/** Completed chapters: chapter id -> ms since epoch. */
export function completed() {
  var done = {};
  store.names("done:").forEach(function (name) {
    var record = store.get(name);
    if (isObject(record) && typeof record.t === "number") done[name.slice(5)] = record.t;
  });
  return done;
}

export function setComplete(chapter, on) {
  if (on) store.set("done:" + chapter, { t: Date.now() });
  else store.remove("done:" + chapter);
}

/** The "Mark this chapter complete" button was pressed. */
export function toggleComplete(button) {
  var chapter = button.getAttribute("data-rt-complete");
  var on = button.getAttribute("aria-pressed") !== "true";
  setComplete(chapter, on);
  applyProgress(document);
  var status = document.querySelector("[data-rt-complete-status]");
  if (status) {
    status.textContent = store.state() === "ok"
      ? (on ? "Marked complete on this device." : "No longer marked complete.")
      : savedText() + ".";
  }
}

function chapterPath(chapter) {
  return store.SCOPE + chapter + "/";
}

export function applyProgress(root) {
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
