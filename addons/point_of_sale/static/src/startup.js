// Start-up: open the device's store, load the data (server, else the offline cache), log in on
// the session, restore the open orders, wire the page's events, then "pos:loaded".
import { loaded as announceLoaded, emit, hub } from "./hub.js";
import { SignedOut, Unreachable, api } from "./http.js";
import { reference } from "./order.js";
import { closePayment, keypad, openPayment, renderPayment, validatePayment } from "./payment.js";
import { initCustomers } from "./customers.js";
import { wirePastOrders } from "./past_orders.js";
import { nextOrder } from "./receipt.js";
import {
  deleteCurrentOrder, newOrder, onSearchKey, renderCategories, renderProducts, saveOrder,
  selectOrder,
} from "./sell.js";
import { body, configId, loginUrl, setting, state } from "./state.js";
import {
  probeServer, refreshAttention, renderAttention, renderSync, updateBanner, watchBus, watchServer,
  watchStatusDetail,
} from "./status.js";
import { Store } from "./store.js";
import { Sync } from "./sync.js";
import { _t, ngettext } from "./i18n.js";
import { $, focusField, numberText, showMessage, showScreen, toast, watchOverflow } from "./ui.js";

function showSignedOut() {
  showMessage(_t("You are signed out"),
    _t("Sign in again to use this till. Paid orders stay on this device until they are sent."),
    [{ label: _t("Sign in"), href: loginUrl() }]);
}

async function loadData() {
  const key = `data:${configId}`;
  try {
    const response = await api(`/pos/config/${configId}/data`);
    if (response.ok && response.body && Array.isArray(response.body.products)) {
      await state.store.setCached(key, { data: response.body, at: new Date().toISOString() });
      return { data: response.body, source: "server" };
    }
    const error = response.body && response.body.error;
    if (response.status === 404 || response.status === 403) {
      showMessage(_t("This till cannot start"), error ? error.message
        : _t("The server answered HTTP {status}.", { status: response.status }));
      return null;
    }
    console.warn("POS data:", response.status, error);
  } catch (error) {
    if (error instanceof SignedOut) {
      showSignedOut();
      return null;
    }
    if (!(error instanceof Unreachable)) throw error;
  }
  const cached = await state.store.getCached(key);
  if (cached) {
    state.cachedAt = cached.at;
    return { data: cached.data, source: "cache" };
  }
  showMessage(_t("Cannot reach the server"),
    _t("This till has never loaded its products, so it cannot sell offline yet. Connect it to the network once, then reload."),
    [{ label: _t("Try again"), onClick: () => location.reload() }]);
  return null;
}

async function logIn(session, source) {
  const key = `login:${session.id}`;
  if (source === "server") {
    try {
      const response = await api(`/pos/session/${session.id}/login`, { method: "POST", json: {} });
      if (response.ok && response.body && Number.isInteger(response.body.login_number)) {
        await state.store.setCached(key, response.body.login_number);
        return response.body.login_number;
      }
    } catch (error) {
      if (error instanceof SignedOut) throw error;
    }
  }
  // Offline: the login number of the last page load on this device (its sequence goes on).
  return (await state.store.getCached(key)) ?? session.login_number ?? 0;
}

const SERVICE_WORKER_CHECK_MS = 15 * 60 * 1000;

/** The service worker keeps what an offline reload needs (static/sw.js); the page asks it to
 * keep this page and its assets now, and asks the browser for a newer worker (an addon was
 * installed) every quarter of an hour and whenever the network comes back. */
function registerServiceWorker() {
  const url = body.dataset.serviceWorker;
  const root = body.dataset.root || "";
  if (!url || !("serviceWorker" in navigator) || !window.isSecureContext) {
    body.dataset.offlineReload = "unavailable";
    return;
  }
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "precached") {
      body.dataset.offlineVersion = event.data.version;
      body.dataset.offlineReload = "ready";
    }
  });
  const precache = (worker) => worker?.postMessage({ type: "precache", urls: [location.href,
    ...[...document.querySelectorAll("script[src], link[rel=stylesheet][href]")].map((n) => n.src || n.href)] });
  // A newer worker (an addon was installed) took over: it keeps this page in its new cache too.
  navigator.serviceWorker.addEventListener("controllerchange",
    () => precache(navigator.serviceWorker.controller));
  navigator.serviceWorker.register(root + url, { scope: `${root}/pos/` }).then(async (registration) => {
    const ready = await navigator.serviceWorker.ready;
    precache(ready.active || navigator.serviceWorker.controller);
    const update = () => registration.update().catch(() => {});
    setInterval(update, SERVICE_WORKER_CHECK_MS);
    window.addEventListener("online", update);
  }).catch((error) => {
    body.dataset.offlineReload = "unavailable";
    console.info(`POS: no service worker (${error.message}); reloading needs the server`);
  });
}

function wireEvents() {
  $("new-order").addEventListener("click", () => { if (state.canSell) { showScreen("sell"); newOrder(); } });
  $("delete-order").addEventListener("click", deleteCurrentOrder);
  $("search").addEventListener("input", (event) => {
    state.search = event.target.value.trim();
    renderProducts();
  });
  $("search").addEventListener("keydown", onSearchKey);
  $("pay-button").addEventListener("click", () => openPayment());
  $("payment-back").addEventListener("click", closePayment);
  $("cash-input").addEventListener("input", renderPayment);
  $("cash-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); validatePayment(); }
    if (event.key === "Escape") closePayment();
  });
  hub.addEventListener("pos:loaded", () => {
    const separator = $("keypad").querySelector('[data-key="."]');
    if (separator) separator.textContent = numberText(".");
  });
  $("keypad").addEventListener("click", (event) => {
    const key = event.target.closest("button")?.dataset.key;
    if (key) keypad(key);
  });
  $("validate-payment").addEventListener("click", validatePayment);
  $("print-receipt").addEventListener("click", () => window.print());
  $("next-order").addEventListener("click", nextOrder);
  $("attention-button").addEventListener("click", () => {
    renderAttention();
    $("attention-dialog").hidden = false;
    $("attention-close").focus();
  });
  $("attention-close").addEventListener("click", () => { $("attention-dialog").hidden = true; });
  $("block-reload").addEventListener("click", () => location.reload());
  wirePastOrders();
  watchOverflow($("order-tabs"));
  watchOverflow($("categories"));
  window.addEventListener("online", () => renderSync(state.sync ? state.sync.state : { status: "synced", pending: 0 }));
  window.addEventListener("offline", () => renderSync(state.sync ? state.sync.state : { status: "offline", pending: 0 }));
  // A barcode scanner types into whatever has focus: send its keys to the right field.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement
        || target instanceof HTMLTextAreaElement) return;
    if (!$("confirm-dialog").hidden || !$("block-dialog").hidden || !$("attention-dialog").hidden
        || document.querySelector("#customer-dialog:not([hidden])")) return;
    if (state.screen === "sell") $("search").focus();
    else if (state.screen === "payment" && /[\d.,]/.test(event.key)) $("cash-input").focus();
  });
}

function startSync() {
  state.sync = new Sync(state.store, {
    baseDelay: setting("push_retry_ms", "pushRetryMs", 1000),
    maxDelay: Math.max(setting("push_retry_ms", "pushRetryMs", 1000),
                       setting("push_retry_max_ms", "pushRetryMaxMs", 30000)),
    beforePush: (orders) => emit("pos:before-push", { orders }),
    onState: renderSync,
    onResults: (results) => {
      state.serverBack = true;
      emit("pos:pushed", { results });
      const rejected = results.filter((r) => r.status === "rejected");
      if (rejected.length) {
        toast(ngettext("{n} order was refused by the server: see Needs attention",
          "{n} orders were refused by the server: see Needs attention", rejected.length), "error");
      }
    },
  });
}

/** Open orders of this till survive reloads; those of an older session move to this one. */
async function restoreOpenOrders(session) {
  const stored = (await state.store.all("open_orders"))
    .filter((order) => order.config_id === configId)
    .sort((a, b) => (a.opened_at < b.opened_at ? -1 : 1));
  for (const order of stored) {
    if (order.session_id !== session.id && !order.lines.length) {
      // An empty order of an older session is nothing to carry over: no leftover tab.
      await state.store.delete("open_orders", order.uuid);
      continue;
    }
    if (order.session_id !== session.id && !order.origin) {
      order.session_id = session.id;
      order.login_number = state.loginNumber;
      order.sequence_number = await state.store.nextSequence(session.id, session.sequence_number || 0);
      order.own_sequence = order.sequence_number;
      order.reference = reference(session.id, state.loginNumber, order.sequence_number);
      saveOrder(order);
    }
    state.orders.push(order);
  }
}

/** The till's session is closed: say so to a cashier; a signed-in manager may open one here. */
function showNoSession(data, source) {
  const name = data.config.name;
  const actions = [];
  if (source === "server") {
    actions.push({ label: _t("Open a session"), onClick: async (event) => {
      event.target.disabled = true;
      try {
        const response = await api(`/pos/config/${configId}/open-session`, { method: "POST", json: {} });
        if (response.ok) { location.reload(); return; }
        toast(response.body && response.body.error ? response.body.error.message
          : _t("The session could not be opened (HTTP {status})", { status: response.status }), "error");
      } catch (error) {
        if (error instanceof SignedOut) { showSignedOut(); return; }
        toast(_t("The session could not be opened: {error}", { error: _t(error.message) }), "error");
      }
      event.target.disabled = false;
    } });
  }
  actions.push({ label: _t("Check again"), onClick: () => location.reload(), secondary: true });
  showMessage(_t("{name} is closed", { name }),
    _t("There is no open session for {name}, so this till cannot take orders. A manager can open one here or from the admin; then tap Check again. Paid orders stay on this till and are sent as usual.", { name }),
    actions);
}

export async function start() {
  wireEvents();
  if (!Number.isInteger(configId)) {
    showMessage(_t("This till cannot start"), _t("The page has no POS config id."));
    return;
  }
  try {
    state.store = await Store.open();
  } catch (error) {
    showMessage(_t("This browser cannot keep orders"),
      _t("IndexedDB is not available ({error}); a till needs it to sell offline. Leave private browsing, or use another browser.",
         { error: error.message || error }));
    return;
  }
  watchServer({ probeMs: setting("server_check_ms", "serverCheckMs", 10000) });
  watchBus();
  watchStatusDetail({ retry: async () => {
    await probeServer();
    const bus = window.comptoirPos.longpolling && window.comptoirPos.longpolling.bus;
    if (bus && bus.running) bus.ping();
    if (state.sync) await state.sync.kick();
  } });
  registerServiceWorker();
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }
  startSync();

  const loaded = await loadData();
  state.sync.kick(); // whatever the outbox holds goes, even when this page cannot sell
  if (!loaded) return;
  const { data, source } = loaded;
  state.data = data;
  state.source = source;
  // Training mode (docs/fiscal.md): the whole page says it.
  document.body.classList.toggle("training", Boolean(data.training));
  document.body.dataset.trainingLabel = _t("TRAINING");

  const session = data.session;
  $("session-name").textContent = session ? session.name : "";
  if (!session || session.state !== "opened") {
    showNoSession(data, source);
    return;
  }
  try {
    state.loginNumber = await logIn(session, source);
  } catch (error) {
    if (error instanceof SignedOut) { showSignedOut(); return; }
    throw error;
  }
  state.canSell = true;
  await restoreOpenOrders(session);

  initCustomers();
  renderCategories();
  renderProducts();
  showScreen("sell");
  if (state.orders.length) selectOrder(state.orders[state.orders.length - 1].uuid);
  else await newOrder();
  updateBanner();
  renderSync(state.sync.state);
  refreshAttention();
  body.dataset.ready = "true";
  announceLoaded(data);
  focusField("search");
}

export function fatal(error) {
  console.error(error);
  showMessage(_t("The point of sale stopped"),
    _t("{error}. Reload the page; paid orders are kept on this device.", { error: error.message || error }),
    [{ label: _t("Reload"), onClick: () => location.reload() }]);
}
