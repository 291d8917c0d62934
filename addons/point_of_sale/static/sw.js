// The POS page's service worker: lets a till reload /pos/ui/<id> while the server is out of reach.
//
// Network first, cache as the fallback, for GET requests of the page itself (/pos/ui/...) and
// of its static files (/pos/static/...); everything else (the JSON API, the admin) is left alone.
// The page sends {type: "precache", urls} once it has loaded, so the files it loaded before this
// worker controlled it are cached too. A service worker's scope is at most the folder of its
// script, so it must be served as /pos/sw.js (scope /pos/), not only as /pos/static/sw.js.

const CACHE = "comptoir-pos-v1";
const NAVIGATION_TIMEOUT_MS = 4000;

function cacheable(url) {
  return url.origin === self.location.origin
    && (url.pathname.startsWith("/pos/ui/") || url.pathname.startsWith("/pos/static/"));
}

async function remember(request, response) {
  // Only a real page or file: not a redirect to the login form, not an error page.
  if (response && response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (error) => { clearTimeout(timer); reject(error); });
  });
}

async function networkFirst(request, isPage) {
  try {
    const fetching = fetch(request);
    const response = await (isPage ? withTimeout(fetching, NAVIGATION_TIMEOUT_MS) : fetching);
    return await remember(request, response);
  } catch (error) {
    const cache = await caches.open(CACHE);
    // The page is cached without its query (?push_retry_ms=...), under its path.
    const cached = await cache.match(request, { ignoreSearch: isPage });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("comptoir-pos-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!cacheable(url)) return;
  event.respondWith(networkFirst(request, url.pathname.startsWith("/pos/ui/")));
});

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type !== "precache" || !Array.isArray(message.urls)) return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const href of message.urls) {
      const url = new URL(href, self.location.origin);
      if (!cacheable(url)) continue;
      try {
        await remember(new Request(url.href, { credentials: "same-origin" }),
                       await fetch(url.href, { credentials: "same-origin" }));
      } catch {
        // Offline already: what is cached stays.
      }
    }
    if (event.source) event.source.postMessage({ type: "precached" });
  })());
});
