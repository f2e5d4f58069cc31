/* The offline service worker. publish/offline.py writes it as sw.js at the
   site's root with this build's manifest in place of the marker line below: every file the
   offline course needs (URL relative to the site's base -> SHA-256 of its bytes), and the PDFs,
   which are kept only when the reader asks.

   Install: this build's files go into a cache named after the build. A file whose hash an
   earlier build's cache already holds is copied from there; any other is fetched (revalidated,
   `cache: "no-cache"`) and its SHA-256 checked against the manifest. One mismatch (a server
   half-way through a deploy, a proxy's page) fails the install: the previous worker and its
   complete cache stay, and the browser tries again at its next update check. So a cache never
   holds two builds. Activate: takes over at once (skipWaiting, clients.claim) and deletes the
   older caches; the PDFs, if kept, were brought up to this build in the same way during install.
   Search (MANIFEST.later: Material's search worker and index), which the pages fetch only when
   the reader first reaches for search, is fetched at install too, with the rest of the course:
   the install runs once the first visit is idle (offline.js), outside the first load's budget,
   so search works offline after a first visit even if the reader never searched online. A page
   that fetches it before the install has kept it gets it from the network, and the worker keeps
   it then if its SHA-256 is this build's.
   Fetch: same-origin GETs under the scope only. A file of this build is answered from its cache
   (`x/index.html` as `x/`, queries ignored); anything else goes to the network; a page that is
   not cached, asked for offline, gets the offline page (503). POSTs and /api/ are never touched.
   A page loaded under the previous build does a full load on its next navigation
   (overrides/assets/js/offline.js), so it never mixes in this build's files. */
"use strict";

/* @rt-manifest */

const SCOPE = self.registration.scope;
const PREFIX = "rt-offline:" + new URL(SCOPE).pathname + ":";
const CACHE = PREFIX + "build:" + MANIFEST.build;
const PDF_CACHE = PREFIX + "pdfs:" + MANIFEST.build;
const HASH = "x-rt-sha256";
const PARALLEL = 6;
const absolute = (url) => new URL(url, SCOPE).href;
const FILES = new Map(Object.entries(MANIFEST.files).map(([url, hash]) => [absolute(url), hash]));
const PDFS = new Map(Object.entries(MANIFEST.pdfs).map(([url, hash]) => [absolute(url), hash]));
const LATER = new Map(Object.entries(MANIFEST.later).map(([url, hash]) => [absolute(url), hash]));
const API = new URL("api/", SCOPE).pathname;

async function ours() {
  return (await caches.keys()).filter((name) => name.startsWith(PREFIX));
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/* A response to keep: decoded, with its hash. */
function keepable(response, body, hash) {
  const headers = new Headers(response.headers);
  headers.delete("content-encoding"); // the browser decoded it already
  headers.delete("content-length");
  headers.set(HASH, hash);
  return new Response(body, { status: 200, statusText: "OK", headers });
}

/* A file of this build from the network, checked against its hash. */
async function download(url, hash) {
  const response = await fetch(url, { cache: "no-cache", credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const body = await response.arrayBuffer();
  const found = hex(await crypto.subtle.digest("SHA-256", body));
  if (found !== hash) throw new Error(`${url}: not this build's file (SHA-256 ${found}, expected ${hash})`);
  return keepable(response, body, hash);
}

/* Fill cache `name` with `wanted` (absolute URL -> hash): copies from `sources` (cache names)
   when one holds the same bytes, downloads the rest; drops what is not wanted, except what
   `keep` (URL -> hash) holds with that hash. */
async function fill(name, wanted, sources, progress, keep = new Map()) {
  const cache = await caches.open(name);
  const others = await Promise.all(sources.filter((source) => source !== name).map((source) => caches.open(source)));
  const queue = Array.from(wanted);
  let done = 0;
  let fetched = 0;
  async function one([url, hash]) {
    const present = await cache.match(url);
    if (!present || present.headers.get(HASH) !== hash) {
      let copy = null;
      for (const other of others) {
        const found = await other.match(url);
        if (found && found.headers.get(HASH) === hash) { copy = found; break; }
      }
      if (!copy) fetched += 1;
      await cache.put(url, copy || await download(url, hash));
    }
    done += 1;
    if (progress) progress(done, wanted.size);
  }
  async function worker() {
    while (queue.length) await one(queue.shift());
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  for (const request of await cache.keys()) {
    if (wanted.has(request.url)) continue;
    const kept = keep.has(request.url) && (await cache.match(request)).headers.get(HASH) === keep.get(request.url);
    if (!kept) await cache.delete(request);
  }
  return fetched;
}

const isPdfCache = (name) => name.startsWith(PREFIX + "pdfs:");

async function pdfsKept() {
  if (!(await caches.has(PDF_CACHE))) return 0;
  const cache = await caches.open(PDF_CACHE);
  const keys = await cache.keys();
  return keys.filter((request) => PDFS.has(request.url)).length;
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const previous = await ours();
    try {
      await fill(CACHE, new Map([...FILES, ...LATER]), previous);
      if (previous.some(isPdfCache)) await fill(PDF_CACHE, PDFS, previous.filter(isPdfCache));
    } catch (error) {
      await caches.delete(CACHE);
      await caches.delete(PDF_CACHE);
      throw error;
    }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await ours()) if (name !== CACHE && name !== PDF_CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function offlinePage() {
  const page = await caches.match(absolute(MANIFEST.offlinePage), { cacheName: CACHE });
  if (!page) return Response.error();
  return new Response(page.body, { status: 503, statusText: "Service Unavailable", headers: page.headers });
}

async function network(request) {
  try {
    return await fetch(request);
  } catch (error) {
    if (request.mode === "navigate") return offlinePage();
    throw error;
  }
}

async function cached(cacheName, key, request) {
  const hit = await caches.match(key, { cacheName });
  return hit || network(request);
}

/* Search: from the cache, else from the network, kept if it is this build's. */
async function kept(key, request) {
  const hit = await caches.match(key, { cacheName: CACHE });
  if (hit) return hit;
  const response = await network(request);
  if (!response.ok || response.type !== "basic") return response;
  const body = await response.clone().arrayBuffer();
  const hash = LATER.get(key);
  if (hex(await crypto.subtle.digest("SHA-256", body)) === hash) {
    const cache = await caches.open(CACHE);
    await cache.put(key, keepable(response, body, hash));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.href.startsWith(SCOPE) || url.pathname.startsWith(API)) return;
  url.search = "";
  url.hash = "";
  if (url.pathname.endsWith("/index.html")) url.pathname = url.pathname.slice(0, -"index.html".length);
  const key = url.href;
  if (FILES.has(key)) {
    event.respondWith(cached(CACHE, key, request));
  } else if (LATER.has(key)) {
    event.respondWith(kept(key, request));
  } else if (PDFS.has(key)) {
    event.respondWith(cached(PDF_CACHE, key, request));
  } else if (request.mode === "navigate") {
    // `x` for the page `x/`: the server would redirect; offline, this does.
    if (FILES.has(key + "/")) event.respondWith(Response.redirect(key + "/" + new URL(request.url).search, 301));
    else event.respondWith(network(request));
  }
});

/* Messages from the pages (offline.js), each with a MessagePort for the answers:
   {type: "status"} -> {type: "status", build, files, pdfs: {files, bytes, kept}};
   {type: "keep-pdfs"} -> {type: "progress", done, total}…, then {type: "done", …status} or
   {type: "error", message}. */
async function status() {
  return {
    type: "status",
    build: MANIFEST.build,
    files: FILES.size,
    pdfs: { files: PDFS.size, bytes: MANIFEST.pdfBytes, kept: await pdfsKept() },
  };
}

self.addEventListener("message", (event) => {
  const port = event.ports && event.ports[0];
  const data = event.data || {};
  if (!port) return;
  if (data.type === "status") {
    event.waitUntil(status().then((answer) => port.postMessage(answer)));
  } else if (data.type === "keep-pdfs") {
    event.waitUntil((async () => {
      try {
        const sources = (await ours()).filter(isPdfCache);
        await fill(PDF_CACHE, PDFS, sources, (done, total) => port.postMessage({ type: "progress", done, total }));
        port.postMessage({ ...(await status()), type: "done" });
      } catch (error) {
        port.postMessage({ type: "error", message: String(error && error.message || error), kept: await pdfsKept() });
      }
    })());
  }
});
