/* Search on demand: Material's search worker and index are fetched when the reader first
   reaches for search, not on every page load.

   Material's bundle, as it starts, creates its search worker (`new Worker(config.search)`) and
   requests search/search_index.json (an XMLHttpRequest), on every page of a first visit,
   though most readers never search; the index grows with every section and worksheet. This
   script runs just before the bundle (overrides/main.html's loader runs it first) and holds
   both back until the reader focuses the search box (by pointer, Tab or Material's shortcut
   keys) or opens search (the header's button or its label):

   - `new Worker(url)` for the search worker's URL returns a stand-in with the same interface
     (postMessage, addEventListener, terminate) that creates the real worker then, passing on
     the messages sent to it meanwhile and every message back.
   - The index request's send() waits until then; Material's own code then carries on as if the
     network had been slow. Other workers and requests are not touched.

   Material keeps a query typed while the index loads and runs it when the worker says it is
   ready (mountSearchQuery waits for the ready message), so the first query is never lost.
   Meanwhile the results say "Initializing search" (Material's text) and are aria-busy; if the
   index cannot be fetched (offline, never searched before), they say so instead of waiting
   for ever. <html data-rt-search> is "idle", "loading", "ready" or "failed" (for tests and CSS).

   Under file: Material loads the index its own way (a script, on demand already): nothing is
   changed there. */
(function () {
  "use strict";
  var root = document.documentElement;
  var config;
  try {
    config = JSON.parse(document.getElementById("__config").textContent);
  } catch (error) {
    return;
  }
  if (!config.search || !document.forms.namedItem("search") || location.protocol === "file:") return;

  var here = location.href;
  var workerUrl = new URL(config.search, here).href;
  var indexUrl = new URL("search/search_index.json", new URL(config.base, here)).href;
  var started = false;
  var waiting = [];
  var READY = 1; // Material's SearchMessageType.READY

  function result() {
    return document.querySelector("[data-md-component=search-result]");
  }

  function state(value) {
    root.setAttribute("data-rt-search", value);
    var region = result();
    if (region) {
      if (value === "loading") region.setAttribute("aria-busy", "true");
      else region.removeAttribute("aria-busy");
    }
  }

  function start() {
    if (started) return;
    started = true;
    state("loading");
    var run = waiting;
    waiting = [];
    run.forEach(function (callback) { callback(); });
  }

  function whenStarted(callback) {
    if (started) callback();
    else waiting.push(callback);
  }

  function failed() {
    state("failed");
    var meta = document.querySelector("[data-md-component=search-result] .md-search-result__meta");
    if (meta) meta.textContent = "Search could not be loaded. It needs a connection the first time; please try again when you are online.";
  }

  /* --- the worker --------------------------------------------------------------------- */

  var RealWorker = window.Worker;
  if (RealWorker) {
    var Deferred = function (url, options) {
      if (new URL(String(url), location.href).href !== workerUrl) return new RealWorker(url, options);
      var stand = new EventTarget();
      var real = null;
      var queued = [];
      var ended = false;
      stand.onmessage = null;
      stand.onerror = null;
      stand.postMessage = function () {
        if (real) real.postMessage.apply(real, arguments);
        else queued.push(arguments);
      };
      stand.terminate = function () {
        ended = true;
        if (real) real.terminate();
      };
      whenStarted(function () {
        if (ended) return;
        real = new RealWorker(url, options);
        real.addEventListener("message", function (event) {
          if (event.data && event.data.type === READY) state("ready");
          var copy = new MessageEvent("message", { data: event.data });
          if (typeof stand.onmessage === "function") stand.onmessage(copy);
          stand.dispatchEvent(copy);
        });
        real.addEventListener("error", function (event) {
          var copy = new ErrorEvent("error", { message: event.message });
          if (typeof stand.onerror === "function") stand.onerror(copy);
          stand.dispatchEvent(copy);
        });
        queued.splice(0).forEach(function (args) { real.postMessage.apply(real, args); });
      });
      return stand;
    };
    Deferred.prototype = RealWorker.prototype;
    window.Worker = Deferred;
  }

  /* --- the index ---------------------------------------------------------------------- */

  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  var INDEX = typeof Symbol === "function" ? Symbol("rt-search-index") : "__rtSearchIndex";
  XMLHttpRequest.prototype.open = function (method, url) {
    this[INDEX] = String(method).toUpperCase() === "GET" && new URL(String(url), location.href).href === indexUrl;
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var request = this;
    var args = arguments;
    if (!request[INDEX]) return send.apply(request, args);
    request.addEventListener("loadend", function () {
      if (!(request.status >= 200 && request.status < 300)) failed();
    });
    whenStarted(function () { send.apply(request, args); });
  };

  /* --- what starts it ----------------------------------------------------------------- */

  /* Focus in the search box (a click, Tab, Material's shortcut keys), or a press on what opens
     search (the header's button, by pointer or by keyboard, or its label). Tabbing past the
     button is not reaching for search. */
  function reaching(selector) {
    return function (event) {
      if (event.target instanceof Element && event.target.closest(selector)) start();
    };
  }
  state("idle");
  document.addEventListener("focusin", reaching("form[name=search]"), true);
  document.addEventListener("pointerdown", reaching("form[name=search], [data-rt-search-open], label[for=__search]"), true);
  document.addEventListener("click", reaching("[data-rt-search-open], label[for=__search]"), true);
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "__search" && event.target.checked) start();
  }, true);
})();
