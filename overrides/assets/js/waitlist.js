/* Waitlist form: with JavaScript, post JSON and show the reply in place; without it, the
   form posts normally and the service answers with a redirect. Set up from Material's
   document$ (instant navigation), idempotent, one delegated submit listener.
   Offline (the course works offline, signing up does not): when the browser says it is offline
   at submit, or the request fails while it is, the form says that signing up needs a connection
   and that what was typed is still there (data-rt-msg-offline); nothing is cleared, and the same
   button sends it once back online. Only a successful sign-up clears the form. */
(function () {
  "use strict";
  if (window.__rtWaitlist) return;
  window.__rtWaitlist = true;

  function show(form, text, kind, field) {
    var message = form.querySelector("#rt-waitlist-message");
    form.querySelectorAll(".rt-waitlist__error").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    message.textContent = text;
    message.className = "rt-waitlist__message rt-waitlist__message--" + kind;
    if (field) {
      var input = form.querySelector(field === "consent" ? "#rt-waitlist-consent" : "#rt-waitlist-email");
      var error = form.querySelector(field === "consent" ? "#rt-waitlist-consent-error" : "#rt-waitlist-email-error");
      if (input && error) { input.setAttribute("aria-invalid", "true"); error.textContent = text; }
    }
    message.focus();
  }

  function check(form) {
    var email = form.querySelector("#rt-waitlist-email");
    var consent = form.querySelector("#rt-waitlist-consent");
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value.trim())) return ["invalid-email", "email"];
    if (!consent.checked) return ["consent-missing", "consent"];
    return null;
  }

  // With JavaScript the form explains problems itself, in words tied to each field; the
  // browser's own validation bubbles stay for readers without JavaScript.
  function setup() {
    document.querySelectorAll("form[data-rt-waitlist][data-rt-json]").forEach(function (form) {
      form.noValidate = true;
    });
  }
  if (window.document$) window.document$.subscribe(setup); else setup();

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-rt-waitlist][data-rt-json]");
    if (!form) return;
    event.preventDefault();
    var problem = check(form);
    if (problem) { show(form, form.getAttribute("data-rt-msg-" + problem[0]), "error", problem[1]); return; }
    if (navigator.onLine === false) { show(form, form.getAttribute("data-rt-msg-offline"), "error"); return; }
    var data = new FormData(form);
    var body = {
      email: String(data.get(form.querySelector("#rt-waitlist-email").name) || "").trim(),
      consent: form.querySelector("#rt-waitlist-consent").checked,
      website: String(data.get(form.querySelector("#rt-waitlist-website").name) || ""),
      source: String(data.get("source") || "")
    };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (reply) {
        if (response.ok) {
          // reply.confirm: the bundled service mailed a link to confirm (double opt-in).
          show(form, form.getAttribute(reply.confirm ? "data-rt-msg-check-inbox" : "data-rt-msg-success"), "success");
          form.reset();
        } else if (response.status === 429) {
          show(form, form.getAttribute("data-rt-msg-rate-limited"), "error");
        } else {
          var key = reply.field === "consent" ? "consent-missing" : "invalid-email";
          show(form, reply.error || form.getAttribute("data-rt-msg-" + key), "error", reply.field);
        }
      });
    }).catch(function () {
      show(form, form.getAttribute(navigator.onLine === false ? "data-rt-msg-offline" : "data-rt-msg-unreachable"), "error");
    }).then(function () { button.disabled = false; });
  });
})();
