/* Printing.
 *
 * - Every [data-rt-print] button prints the page (one delegated listener on document).
 * - A <textarea> prints only its visible box, so what the reader typed in a worksheet field or
 *   a reflection prompt (.rt-input--text) is copied into a print-only element beside it
 *   (.rt-print-answer); print.css then hides the writing lines of a field that has an answer.
 *   The copy is refreshed on input, on change and before printing.
 * - Date and signature lines remember whether they are empty, so an empty date does not print
 *   the browser's "mm/dd/yyyy" placeholder.
 * - Closed <details> are opened for printing and closed again afterwards.
 * - Absolute links to this site are marked so print.css does not print their address.
 *
 * Page setup runs from Material's document$ (instant navigation swaps pages without a reload)
 * and is safe to run any number of times. Nothing here touches storage or the network.
 */
(() => {
  "use strict";

  const ANSWER = "data-rt-print-answer";

  /** The print-only copy of a text box's answer, created once, when there is an answer. */
  function answerOf(box, create) {
    const next = box.nextElementSibling;
    if (next && next.hasAttribute(ANSWER)) return next;
    if (!create) return null;
    const copy = document.createElement("div");
    copy.className = "rt-print-answer";
    copy.setAttribute(ANSWER, "");
    copy.setAttribute("aria-hidden", "true");
    box.after(copy);
    return copy;
  }

  function mirrorText(box) {
    const text = box.value.replace(/\s+$/, "");
    // Empty boxes get no copy: setting up a page adds nothing to it until someone writes.
    const copy = answerOf(box, text.length > 0);
    if (copy && copy.textContent !== text) copy.textContent = text;
    box.parentElement.toggleAttribute("data-rt-answered", text.length > 0);
  }

  function markLine(input) {
    input.parentElement.toggleAttribute("data-rt-empty", input.value === "");
  }

  function sync(element) {
    if (element.matches("textarea.rt-input--text")) mirrorText(element);
    else if (element.matches(".rt-input--line")) markLine(element);
  }

  function syncAll() {
    document.querySelectorAll("textarea.rt-input--text, .rt-input--line").forEach(sync);
  }

  function markInternalLinks() {
    document.querySelectorAll('a[href^="http"]').forEach((link) => {
      if (link.origin === location.origin) link.setAttribute("data-rt-internal", "");
    });
  }

  function setUpPage() {
    markInternalLinks();
    syncAll();
  }

  // Listeners on document and window live as long as the tab: add them once only.
  if (!window.__rtPrint) {
    window.__rtPrint = true;
    document.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("[data-rt-print]") : null;
      if (!button) return;
      event.preventDefault();
      syncAll();
      window.print();
    });
    const onEdit = (event) => {
      if (event.target instanceof Element) sync(event.target);
    };
    document.addEventListener("input", onEdit);
    document.addEventListener("change", onEdit);
    window.addEventListener("beforeprint", () => {
      syncAll();
      // A closed <details> prints only its summary: open them for paper, close them after.
      document.querySelectorAll("details:not([open])").forEach((details) => {
        details.setAttribute("data-rt-print-opened", "");
        details.open = true;
      });
    });
    window.addEventListener("afterprint", () => {
      document.querySelectorAll("details[data-rt-print-opened]").forEach((details) => {
        details.removeAttribute("data-rt-print-opened");
        details.open = false;
      });
    });
    // Browsers without beforeprint still switch the print media query.
    const printing = window.matchMedia ? window.matchMedia("print") : null;
    if (printing && printing.addEventListener) {
      printing.addEventListener("change", (query) => query.matches && syncAll());
    }
  }

  if (typeof document$ !== "undefined") document$.subscribe(setUpPage);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpPage);
  else setUpPage();
})();
