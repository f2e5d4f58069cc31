/* The course under `mkdocs serve` (an editor's preview): no offline worker. The pages do
   not register one here; this file exists for a browser that visited a built site on the same
   address before (`make serve` and `make dev` share a port) and still has its worker, which
   would go on answering with the built pages. At its next update check the browser installs
   this one, which deletes the site's offline caches and unregisters itself. It answers no
   request, so from then on every request goes to the preview server: the next page opened is
   fresh. (It reloads no page itself: a built page that registers workers would register it
   again, and reload again.) publish/offline.py writes it as sw.js. */
"use strict";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const prefix = "rt-offline:" + new URL(self.registration.scope).pathname + ":";
    for (const name of await caches.keys()) if (name.startsWith(prefix)) await caches.delete(name);
    await self.registration.unregister();
  })());
});
