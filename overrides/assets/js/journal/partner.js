/* The reader's journal: a partner's imported answers (the `partner` key),
 * shown read-only beside the reader's own on the chapter and worksheet pages. The journal page
 * shows them itself (journal-page.js).
 */
import * as store from "./store.js";
import { el, all, isObject, isBlank } from "./dom.js";

/** The imported partner data ({imported, role, answers, completed}), or null. */
export function partnerData() {
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

/** Draws the partner's answers under `root`'s prompts and worksheet fields (again: the old
    ones are removed first). */
export function applyPartner(root) {
  all(root, "[data-rt-partner]").forEach(function (node) { node.remove(); });
  var partner = partnerData();
  if (!partner) return;
  var answers = partner.answers;
  var value = function (key) {
    var record = answers[key];
    return store.isAnswer(record) && !isBlank(record.v) ? record.v : null;
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
