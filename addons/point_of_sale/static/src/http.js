// The page's one HTTP helper: fetch with a timeout. Addons get it as window.comptoirPos.http.
//
//   fetchWithTimeout(url, init, timeoutMs)  fetch(url, init), aborted after timeoutMs; a network
//       failure or the timeout throws Unreachable (`.timedOut` tells which). An abort through
//       init.signal (the caller gave up) rethrows the AbortError as is.
//   api(path, {method, json})  a JSON call to this server with the page's cookie:
//       {status, ok, body}; 401 throws SignedOut, no answer throws Unreachable.
// Every call to this page's own server says whether it got through ("pos:server" on the hub,
// {reachable, reason}): the page's status hears it from whichever module made the call.
import { emit } from "./hub.js";
import { catalogLocale } from "./i18n.js";

export const DEFAULT_TIMEOUT_MS = 10000;
/** Marks a text for `make i18n` without translating it (it is translated where shown). */
const N_ = (text) => text;

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
  const own = new URL(url, location.href).origin === location.origin;
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    // A 502/503/504 is a proxy saying the server behind it is not there.
    if (own) serverSeen(![502, 503, 504].includes(response.status), `HTTP ${response.status}`);
    return response;
  } catch (error) {
    if (outer && outer.aborted) throw error;
    // English here (the error's message); status.js shows them translated.
    const reason = timedOut ? N_("the server did not answer in time") : N_("cannot reach the server");
    if (own) serverSeen(false, reason);
    throw new Unreachable(reason, { timedOut });
  } finally {
    clearTimeout(timer);
    if (outer) outer.removeEventListener("abort", forward);
  }
}

let lastSeen = 0;
/** When this server last answered or failed (Date.now()), for the status' probe. */
export const serverLastSeen = () => lastSeen;

function serverSeen(reachable, reason) {
  lastSeen = Date.now();
  emit("pos:server", { reachable, reason: reachable ? null : reason });
}

export async function api(path, { method = "GET", json, timeoutMs } = {}) {
  const root = document.body.dataset.root || "";
  // The server's error messages in the till's language (its config's locale).
  const headers = { Accept: "application/json", "Accept-Language": catalogLocale().replace("_", "-") };
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
