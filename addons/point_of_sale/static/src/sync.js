// Pushes the outbox to POST /pos/orders in the background: one push at a time, right after a
// payment (kick()), and on a timer with exponential back-off plus jitter while anything is
// pending. Orders leave the outbox only when the server answers "created" or "duplicate";
// "rejected" ones stay, marked, for the "Needs attention" list. A push the server refuses whole
// (400, 413) is split until the one order it cannot take stands alone, and that one is marked
// refused: one order never holds back the others.

import { SignedOut, fetchWithTimeout } from "./http.js";
import { _t, catalogLocale } from "./i18n.js";

const BATCH = 50; // orders per request (the server takes at most 200)
const REQUEST_TIMEOUT_MS = 15000;

export { SignedOut };

export class Sync {
  /**
   * @param store      the Store
   * @param options    {baseDelay, maxDelay, beforePush(orders), onState(state), onResults(results)}
   */
  constructor(store, options) {
    this.store = store;
    this.baseDelay = options.baseDelay;
    this.maxDelay = options.maxDelay;
    this.beforePush = options.beforePush || (() => {});
    this.onState = options.onState || (() => {});
    this.onResults = options.onResults || (() => {});
    this.failures = 0;
    this.timer = null;
    this.running = null; // the promise of the push under way
    this.again = false;
    // "synced" | "pending" | "offline" | "signed-out" | "error"
    this.state = { status: "synced", pending: 0, rejected: 0, lastError: null, nextTry: null };
    window.addEventListener("online", () => this.kick());
    // A tablet waking up: try at once rather than at the end of a long back-off.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state.pending) this.kick();
    });
  }

  /** Push now (or right after the push under way). Resolves when that push is over. */
  kick() {
    this.cancelTimer();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pushAll().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
    return this.running;
  }

  cancelTimer() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The delay before the next try after `failures` failures: 2^n back-off, jittered. */
  delay() {
    const exponential = Math.min(this.maxDelay, this.baseDelay * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(exponential / 2 + Math.random() * (exponential / 2));
  }

  async counts() {
    const entries = await this.store.all("outbox");
    const rejected = entries.filter((e) => e.status === "rejected").length;
    return { pending: entries.length - rejected, rejected, entries };
  }

  async refreshState(status, lastError = null) {
    const { pending, rejected } = await this.counts();
    this.state = { status: pending ? status : "synced", pending, rejected, lastError,
                   nextTry: this.state.nextTry };
    this.onState(this.state);
    return this.state;
  }

  schedule(wait) {
    this.cancelTimer();
    this.state.nextTry = Date.now() + wait;
    this.timer = setTimeout(() => { this.timer = null; this.kick(); }, wait);
  }

  async pushAll() {
    const { pending, entries } = await this.counts();
    if (!pending) {
      this.failures = 0;
      this.state.nextTry = null;
      await this.refreshState("synced");
      return;
    }
    await this.refreshState(this.failures ? this.state.status : "pending", this.state.lastError);
    try {
      const waiting = entries.filter((e) => e.status !== "rejected")
        .sort((a, b) => (a.paid_at < b.paid_at ? -1 : a.paid_at > b.paid_at ? 1 : 0));
      for (let start = 0; start < waiting.length; start += BATCH) {
        await this.pushBatch(waiting.slice(start, start + BATCH));
      }
    } catch (error) {
      this.failures += 1;
      const status = error instanceof SignedOut ? "signed-out"
        : (error.offline || !navigator.onLine ? "offline" : "error");
      this.schedule(this.delay());
      await this.refreshState(status, error.message);
      return;
    }
    this.failures = 0;
    this.state.nextTry = null;
    const state = await this.refreshState("pending");
    // Orders paid during the push go at once (kick() sees `again`); anything else left over
    // (an answer without its result) is tried again on the timer.
    if (state.pending && !this.again) this.schedule(this.baseDelay);
  }

  async pushBatch(entries) {
    // Training tickets (training.py) go to their own route and chain, never to /pos/orders.
    const training = entries.filter((entry) => entry.order.training);
    if (training.length) {
      await this.pushTraining(training);
      entries = entries.filter((entry) => !entry.order.training);
      if (!entries.length) return;
    }
    // Copies: listeners of "pos:before-push" may add fields; the outbox keeps what was paid.
    const orders = entries.map((entry) => structuredClone(entry.order));
    this.beforePush(orders);
    const root = document.body.dataset.root || "";
    const response = await fetchWithTimeout(`${root}/pos/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "Accept-Language": catalogLocale().replace("_", "-") },
      credentials: "same-origin",
      body: JSON.stringify(orders),
    }, REQUEST_TIMEOUT_MS);
    if (response.status === 401) throw new SignedOut(_t("signed out: sign in again to send orders"));
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if ((response.status === 400 || response.status === 413) && body && body.error) {
      await this.refusedWhole(entries, body.error);
      return;
    }
    if (!response.ok || !body || !Array.isArray(body.results)) {
      const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
      throw new Error(_t("the server refused the push: {message}", { message }));
    }
    await this.store.applyResults(body.results);
    this.onResults(body.results);
  }

  async pushTraining(entries) {
    const root = document.body.dataset.root || "";
    const response = await fetchWithTimeout(`${root}/pos/config/${entries[0].config_id}/training/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "Accept-Language": catalogLocale().replace("_", "-") },
      credentials: "same-origin",
      body: JSON.stringify({ orders: entries.map((entry) => entry.order) }),
    }, REQUEST_TIMEOUT_MS);
    if (response.status === 401) throw new SignedOut(_t("signed out: sign in again to send orders"));
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    let results;
    if (response.ok && body && Array.isArray(body.results)) {
      results = body.results.map((result, index) => (result.status === "sealed"
        ? { uuid: entries[index].uuid, status: "created", number: result.number, link: result.link }
        : { uuid: entries[index].uuid, status: "rejected", error: result.error }));
    } else if (body && body.error && response.status < 500) {
      results = entries.map((entry) => ({ uuid: entry.uuid, status: "rejected", error: body.error }));
    } else {
      throw new Error(_t("the server refused the push: {message}", { message: `HTTP ${response.status}` }));
    }
    await this.store.applyResults(results);
    this.onResults(results);
  }

  /**
   * The server refused the whole request (400, or 413: too large, too many orders): what one
   * order holds is that order's refusal. Halves go again until the order the server cannot
   * take as it is stands alone; it is marked refused ("Needs attention") and the others are
   * sent. Retrying the same batch would fail for ever, and every order paid after it wait.
   */
  async refusedWhole(entries, error) {
    if (entries.length > 1) {
      const half = Math.ceil(entries.length / 2);
      await this.pushBatch(entries.slice(0, half));
      await this.pushBatch(entries.slice(half));
      return;
    }
    const results = [{ uuid: entries[0].uuid, status: "rejected", error }];
    await this.store.applyResults(results);
    this.onResults(results);
  }
}
