// The POS page's service worker: lets a till reload /pos/ui/<id> while the server is out of reach,
// with every addon the page had.
//
// GET /pos/sw.js puts `self.COMPTOIR_POS_OFFLINE = {version, assets}` before this source
// (point_of_sale/offline.py): the page's modules and every asset installed addons register for
// the page, whatever their path. The cache is named after `version`, which changes when an addon
// is installed, upgraded or removed, or a file changes: the browser then installs this worker
// anew, which fills a new cache (install) and drops the older ones (activate), keeping the pages.
//
// Network first, cache as the fallback, for GET requests of the page itself (/pos/ui/...) and of
// those assets (and anything under /pos/static/); everything else (the JSON API, the admin) is
// left alone. The page sends {type: "precache", urls} once it has loaded: the page itself and
// what it loaded are cached again, then the worker answers {type: "precached", version, count}.
// A service worker's scope is at most the folder of its script, so it must be served as
// /pos/sw.js (scope /pos/), not only as /pos/static/sw.js.

const OFFLINE = self.COMPTOIR_POS_OFFLINE || { version: "unversioned", assets: [] };
const PREFIX = "comptoir-pos-";
const CACHE = PREFIX + OFFLINE.version;
const NAVIGATION_TIMEOUT_MS = 4000;
const ASSETS = new Set(OFFLINE.assets.map((href) => new URL(href, self.location.origin).href));

function isPage(url) {
  return url.origin === self.location.origin && url.pathname.startsWith("/pos/ui/");
}

function cacheable(url) {
  return url.origin === self.location.origin
    && (isPage(url) || ASSETS.has(url.href) || url.pathname.startsWith("/pos/static/"));
}

async function remember(request, response) {
  // Only a real page or file: not a redirect to the login form, not an error page.
  if (response && response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

/** Fetch and keep each of `hrefs`; one that fails (offline, 404) leaves the others be. */
async function keep(hrefs) {
  let count = 0;
  await Promise.all([...hrefs].map(async (href) => {
    try {
      const response = await fetch(href, { credentials: "same-origin", cache: "no-cache" });
      await remember(new Request(href, { credentials: "same-origin" }), response);
      if (response.ok) count += 1;
    } catch {
      // Offline already: what is cached stays.
    }
  }));
  return count;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

async function networkFirst(request, page) {
  try {
    const fetching = fetch(request);
    const response = await (page ? withTimeout(fetching, NAVIGATION_TIMEOUT_MS) : fetching);
    return await remember(request, response);
  } catch (error) {
    const cache = await caches.open(CACHE);
    // The page is cached without its query (?push_retry_ms=...), under its path.
    const cached = await cache.match(request, { ignoreSearch: page });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(keep(ASSETS).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const name of await caches.keys()) {
      if (!name.startsWith(PREFIX) || name === CACHE) continue;
      // The pages of the older cache stay reloadable until they are fetched again.
      const older = await caches.open(name);
      for (const request of await older.keys()) {
        if (isPage(new URL(request.url)) && !(await cache.match(request))) {
          await cache.put(request, await older.match(request));
        }
      }
      await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!cacheable(url)) return;
  event.respondWith(networkFirst(request, isPage(url)));
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type !== "precache" || !Array.isArray(message.urls)) return;
  event.waitUntil((async () => {
    const hrefs = new Set(ASSETS);
    for (const href of message.urls) {
      const url = new URL(href, self.location.origin);
      if (cacheable(url)) hrefs.add(url.href);
    }
    const count = await keep(hrefs);
    if (event.source) event.source.postMessage({ type: "precached", version: OFFLINE.version, count });
  })());
});
