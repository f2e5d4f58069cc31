/* Offline use (README, "Offline and installing"; the worker is publish/sw.js, written at build
   as sw.js at the site's base).

   - Registers the worker once the page has loaded and the browser is idle, so it never competes
     with the first paint; only when the page's manifest link says the build wrote one
     (data-rt-worker: not under `mkdocs serve`), never on file:. A failed registration (a
     host without sw.js) is quiet. Under `mkdocs serve` it unregisters a worker a built site
     left on the same address.
   - When a new build's worker takes over a page loaded under the previous one (controllerchange
     while the page already had a worker), the page's next navigation is a full load: a link
     click is caught in the capture phase, before Material's instant navigation, and becomes
     location.assign; back and forward reload. Otherwise the old page could mix in the new
     build's files. The first worker of a visit takes over a page of its own build, so instant
     navigation carries on.
   - The "Keep worksheets PDFs offline" button (docs/worksheets/index.md) asks the worker to keep
     the PDFs, and says how it went in its role="status" region. Hidden without JavaScript, and
     until a worker controls the page (so never where service workers do not run).
   - For tests and the curious: window.rtOffline = {supported, build, ready, status(), keepPdfs()};
     `ready` resolves with the worker's status once one controls the page, or is active for it
     (null when there is none), `build` is the build id of that worker. */
(function () {
  "use strict";
  if (window.rtOffline) return;
  var container = navigator.serviceWorker;
  var scope = window.__md_scope instanceof URL ? window.__md_scope : new URL(".", location.href);
  var link = document.querySelector("link[rel=manifest][data-rt-worker]");
  var api = window.rtOffline = {
    supported: !!(container && window.caches && location.protocol !== "file:" && link),
    build: null,
    ready: null,
    status: status,
    keepPdfs: keepPdfs
  };
  var registration = null;

  if (!api.supported) {
    api.ready = Promise.resolve(null);
    if (container && !link && location.protocol !== "file:") {
      container.getRegistration(scope.href).then(function (found) {
        if (found) found.unregister();
      }).catch(function () {});
    }
    return;
  }

  function whenIdle(callback) {
    function idle() {
      if (window.requestIdleCallback) window.requestIdleCallback(callback, { timeout: 5000 });
      else setTimeout(callback, 200);
    }
    if (document.readyState === "complete") idle();
    else window.addEventListener("load", idle, { once: true });
  }

  function controlled() {
    return new Promise(function (resolve) {
      if (container.controller) return resolve();
      container.addEventListener("controllerchange", function () { resolve(); }, { once: true });
    });
  }

  function worker() {
    return container.controller || (registration && registration.active);
  }

  /* Ask the worker; progress messages go to onProgress, the answer resolves the promise. */
  function ask(message, onProgress) {
    var target = worker();
    if (!target) return Promise.reject(new Error("no service worker"));
    return new Promise(function (resolve, reject) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        var data = event.data || {};
        if (data.type === "progress") { if (onProgress) onProgress(data); }
        else if (data.type === "error") reject(data);
        else resolve(data);
      };
      target.postMessage(message, [channel.port2]);
    });
  }

  function status() {
    return worker() ? ask({ type: "status" }) : Promise.resolve(null);
  }

  function keepPdfs(onProgress) {
    return api.ready.then(function () { return ask({ type: "keep-pdfs" }, onProgress); });
  }

  var registered = new Promise(function (resolve) {
    whenIdle(function () {
      container.register(new URL("sw.js", scope).href, { scope: scope.pathname }).then(function (found) {
        registration = found;
        resolve(found);
      }, function () { resolve(null); });
    });
  });

  api.ready = registered.then(function (found) {
    if (!found) return null;
    // A page loaded without its worker (a forced reload) still has the registration's active one.
    if (found.active && !container.controller) {
      return status().then(function (answer) { api.build = answer && answer.build; return answer; },
                           function () { return null; });
    }
    return new Promise(function (resolve) {
      var installing = found.installing || found.waiting;
      if (installing && !container.controller) {
        installing.addEventListener("statechange", function () {
          if (installing.state === "redundant" && !container.controller && !found.active) resolve(null);
        });
      }
      controlled().then(status).then(function (answer) {
        api.build = answer && answer.build;
        resolve(answer);
      }, function () { resolve(null); });
    });
  });

  /* A new build's worker took over a page loaded under another one. */
  var hadController = !!container.controller;
  var fullLoad = false;
  container.addEventListener("controllerchange", function () {
    if (hadController) {
      fullLoad = true;
      document.documentElement.setAttribute("data-rt-offline-updated", "");
    }
    hadController = true;
    status().then(function (answer) { api.build = answer && answer.build; }, function () {});
  });
  document.addEventListener("click", function (event) {
    if (!fullLoad || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var anchor = event.target.closest && event.target.closest("a[href]");
    if (!anchor || anchor.hasAttribute("download") || (anchor.target && anchor.target !== "_self")) return;
    var url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin) return;
    if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    location.assign(url.href);
  }, true);
  window.addEventListener("popstate", function () {
    if (fullLoad) location.reload();
  });

  /* "Keep worksheets PDFs offline" */
  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function say(box, text) {
    box.querySelector("[data-rt-offline-pdfs-status]").textContent = text;
  }

  function kept(answer) {
    return answer && answer.pdfs && answer.pdfs.files > 0 && answer.pdfs.kept === answer.pdfs.files;
  }

  function keptText(answer) {
    return "Saved on this device: the " + answer.pdfs.files + " PDFs (" + megabytes(answer.pdfs.bytes) +
      ") open without a connection.";
  }

  /* Shown once a worker controls the page, so the button always works. It sits at the end of
     the page: appearing late, it moves nothing the reader is looking at. */
  function setup() {
    document.querySelectorAll("[data-rt-offline-pdfs]").forEach(function (box) {
      if (box.hasAttribute("data-rt-offline-ready")) return;
      box.setAttribute("data-rt-offline-ready", "");
      api.ready.then(function (answer) {
        if (!answer) return;
        box.hidden = false;
        return status().then(function (now) {
          if (kept(now)) say(box, keptText(now));
        });
      }).catch(function () {});
    });
  }
  if (window.document$) window.document$.subscribe(setup); else setup();

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-rt-offline-pdfs-button]");
    if (!button) return;
    var box = button.closest("[data-rt-offline-pdfs]");
    var bar = box.querySelector("[data-rt-offline-pdfs-progress]");
    // aria-disabled, not disabled: a disabled button would lose the keyboard's focus.
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    say(box, "Saving the worksheet PDFs on this device…");
    bar.value = 0;
    bar.hidden = false;
    keepPdfs(function (progress) {
      bar.max = progress.total;
      bar.value = progress.done;
    }).then(function (answer) {
      say(box, keptText(answer));
    }, function (problem) {
      var saved = problem && problem.kept ? " (" + problem.kept + " are saved)" : "";
      say(box, "Not all the PDFs could be saved" + saved + ". Saving them needs a connection: " +
        "check it and press the button again.");
    }).then(function () {
      bar.hidden = true;
      button.removeAttribute("aria-disabled");
    });
  });
})();
