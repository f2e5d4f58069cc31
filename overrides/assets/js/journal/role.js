/* The reader's journal: who is reading. The role panel at the top of a page,
 * the "Who is reading?" question before a page's first prompt, and the folding of the prompts
 * meant for the other partner.
 */
import * as store from "./store.js";
import { el, all } from "./dom.js";

export const ROLE_NAMES = {
  "hurt": "the partner who was hurt",
  "broke-trust": "the partner who broke trust",
  "both": "both of us, together",
  "reading": "just reading"
};

export const PROMPT_FOR = {
  "hurt": "For the partner who was hurt",
  "broke-trust": "For the partner who broke trust",
  "both": "For both of you"
};

/** The reader's role, or null when none (or an unknown one) is stored. */
export function currentRole() {
  var role = store.get("role");
  return typeof role === "string" && Object.prototype.hasOwnProperty.call(ROLE_NAMES, role) ? role : null;
}

/* `ask` is the "Who is reading?" question the choice was made in, if it was: it stays on
   this page (keeping the reader's place and focus) with its answer, and is gone from the
   next page on (html.rt-role-known). */
export function chooseRole(role, ask) {
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
export function keepAsk(ask) {
  ask.setAttribute("data-rt-role-ask-keep", "");
  document.documentElement.classList.add("rt-role-known");
}

/** "Not now" in the "Who is reading?" question: it is not asked again. */
export function dismissAsk(ask) {
  store.set("role-asked", true);
  keepAsk(ask);
  ["[data-rt-role-ask-intro]", "[data-rt-role-ask-choices]", "[data-rt-role-ask-actions]"].forEach(function (part) {
    var node = ask.querySelector(part);
    if (node) node.hidden = true;
  });
  var status = ask.querySelector("[data-rt-role-ask-status]");
  status.textContent = "Not now, then. Whenever you like, choose who is reading at the top of any chapter.";
  status.focus();
}

/** "Done" / "Not now" in the role panel: the question is not asked again; the panel closes. */
export function closePanel(button) {
  store.set("role-asked", true);
  var details = button.closest("[data-rt-role-details]");
  details.open = false;
  details.querySelector("summary").focus();
}

/** Whether a prompt for `promptRole` is folded away for a reader who is `role`. */
export function folds(promptRole, role) {
  return (role === "hurt" || role === "broke-trust") &&
    (promptRole === "hurt" || promptRole === "broke-trust") && promptRole !== role;
}

export function setFold(box, folded) {
  var button = box.querySelector("[data-rt-fold]");
  var label = PROMPT_FOR[box.getAttribute("data-rt-role")] || "For the other partner";
  box.classList.toggle("rt-reflection--folded", folded);
  button.setAttribute("aria-expanded", folded ? "false" : "true");
  button.textContent = label + (folded ? ": show" : ": hide");
}

/** The role panel, the role radios, html.rt-role-known and the folds, from storage. */
export function applyRole(root) {
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
