// The page's one HTTP helper: fetch with a timeout. Addons get it as window.comptoirPos.http.
//
//   fetchWithTimeout(url, init, timeoutMs)  fetch(url, init), aborted after timeoutMs; a network
//       failure or the timeout throws Unreachable (`.timedOut` tells which). An abort through
//       init.signal (the caller gave up) rethrows the AbortError as is.
//   api(path, {method, json})  a JSON call to this server with the page's cookie:
//       {status, ok, body}; 401 throws SignedOut, no answer throws Unreachable.

export const DEFAULT_TIMEOUT_MS = 10000;

export class Unreachable extends Error {
  constructor(message, { timedOut = false } = {}) {
    super(message);
    this.name = "Unreachable";
    this.timedOut = timedOut;
    this.offline = true;
  }
}

export class SignedOut extends Error {
  constructor(message = "signed out") {
    super(message);
    this.name = "SignedOut";
  }
}

export async function fetchWithTimeout(url, init = {}, timeoutMs = DEFAULT_TIMEOUT_MS) {
  const controller = new AbortController();
  const outer = init.signal;
  const forward = () => controller.abort();
  if (outer) {
    if (outer.aborted) controller.abort();
    else outer.addEventListener("abort", forward, { once: true });
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  try {
    return await fetch(url, { ...init, signal: controller.signal });
  } catch (error) {
    if (outer && outer.aborted) throw error;
    throw new Unreachable(timedOut ? "the server did not answer in time" : "cannot reach the server",
                          { timedOut });
  } finally {
    clearTimeout(timer);
    if (outer) outer.removeEventListener("abort", forward);
  }
}

export async function api(path, { method = "GET", json, timeoutMs } = {}) {
  const root = document.body.dataset.root || "";
  const headers = { Accept: "application/json" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetchWithTimeout(root + path, {
    method, headers, credentials: "same-origin", cache: "no-store",
    body: json === undefined ? undefined : JSON.stringify(json),
  }, timeoutMs);
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (response.status === 401) throw new SignedOut();
  return { status: response.status, ok: response.ok, body: payload };
}
