/* Rebuilding Trust under `mkdocs serve` (an editor's preview): no offline worker. The pages do
   not register one here; this file exists for a browser that visited a built site on the same
   address before (`make serve` and `make dev` share a port) and still has its worker, which
   would go on answering with the built pages. At its next update check the browser installs
   this one, which deletes the site's offline caches, unregisters itself and reloads the open
   pages from the preview server. publish/offline.py writes it as sw.js. */
"use strict";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const prefix = "rt-offline:" + new URL(self.registration.scope).pathname + ":";
    for (const name of await caches.keys()) if (name.startsWith(prefix)) await caches.delete(name);
    await self.registration.unregister();
    for (const client of await self.clients.matchAll({ type: "window" })) client.navigate(client.url);
  })());
});
