/**
 * Comptoir point of sale: the page a till's staff uses (GET /pos/ui/<config id>).
 *
 * Plain ES modules, no build step. This module owns the page; money.js does the arithmetic (in
 * cents, as the server), store.js the IndexedDB ("outbox" of paid orders, open orders, cached
 * data), sync.js the background push, /pos/sw.js (static/sw.js) the offline reload.
 *
 * EXTENSION POINTS (for other addons' modules, added to the page by `register_assets("pos")`;
 * they run after this module, so `window.comptoirPos` exists when they do). See docs/pos_page.md.
 *
 *   window.comptoirPos is an EventTarget. Events (CustomEvent, payload in `event.detail`):
 *     "pos:loaded"         data ({config, session, products, partners, ...extend_pos_data keys}),
 *                          once selling can start (also when loaded from the offline cache).
 *     "pos:order-changed"  the open order that changed (lines, customer, created, deleted with
 *                          `deleted: true`, paid with `state: "paid"`).
 *     "pos:order-paid"     {order, entry}: the wire order and its outbox entry, right after payment.
 *     "pos:before-push"    {orders}: the wire orders about to be POSTed to /pos/orders; listeners
 *                          may add fields to each order (the outbox keeps the order as paid).
 *     "pos:pushed"         {results}: the server's answer to a push.
 *     "pos:sync"           {status: "synced"|"pending"|"offline"|"signed-out"|"error", pending,
 *                          rejected}: the sync indicator's state.
 *   Methods:
 *     ready                 a Promise of the data, resolved with "pos:loaded" (for late listeners)
 *     currentData()         the loaded data, or null before "pos:loaded"
 *     loginNumber()         this page's login number on the session (see POST .../login)
 *     currentOrder()        the open order on screen (a copy), or null
 *     openOrders()          copies of every open (unpaid) order of this till
 *     blockUi(message)      a blocking popup with a Reload button (e.g. the session was closed);
 *                           the till behind it takes no tap and no scan
 *     unblockUi()           remove it
 *     notify(message, kind) a short message at the bottom ("info" or "error")
 *     pushNow()             push the outbox now; a Promise that settles when that push is over
 *     outbox()              a Promise of the outbox entries ({uuid, order, status, error?, ...})
 *     syncState()           the sync indicator's state (as "pos:sync")
 *     addButton(label, onClick)  a button under the order; onClick(currentOrder()); returns it
 *     applyOrder(order)     create or replace an open order from elsewhere (another till):
 *                           {uuid, reference?, sequence_number?, partner_id?, byline?, lines};
 *                           "pos:order-changed" then carries `remote: true`
 *     dropOrder(uuid, message)  remove an open order that ended elsewhere (paid, deleted)
 *     patchOrder(uuid, fields)  set fields of an open order other than its lines (e.g. its
 *                           `byline`, shown under its reference, or an addon's bookkeeping);
 *                           saved, no event
 *
 * Settings (attributes of <body>, or query parameters that win over them):
 *   data-push-retry-ms / ?push_retry_ms=          first retry delay of a failed push (1000)
 *   data-push-retry-max-ms / ?push_retry_max_ms=  the back-off's cap (30000)
 *   data-service-worker                           the service worker's URL ("" to go without)
 */
import * as money from "./money.js";
import { Store } from "./store.js";
import { SignedOut, Sync } from "./sync.js";

const MODULES = ["./pos.js", "./money.js", "./store.js", "./sync.js", "./pos.css"];
const REQUEST_TIMEOUT_MS = 10000;

const body = document.body;
const root = body.dataset.root || "";
const configId = Number(body.dataset.configId);
const query = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

function setting(queryName, attribute, fallback) {
  for (const raw of [query.get(queryName), body.dataset[attribute]]) {
    const value = Number(raw);
    if (raw !== null && raw !== undefined && raw !== "" && Number.isFinite(value) && value > 0) {
      return value;
    }
  }
  return fallback;
}

const retryBase = setting("push_retry_ms", "pushRetryMs", 1000);
const retryMax = Math.max(retryBase, setting("push_retry_max_ms", "pushRetryMaxMs", 30000));

// -- state ----------------------------------------------------------------------------------

const state = {
  store: null,
  sync: null,
  data: null,
  source: null, // "server" | "cache"
  loginNumber: 0,
  canSell: false,
  orders: [], // open orders, oldest first
  currentUuid: null,
  selectedLineId: null,
  search: "",
  category: null,
  screen: "message",
  receiptEntry: null,
  attention: [],
};

function currentOrder() {
  return state.orders.find((order) => order.uuid === state.currentUuid) || null;
}

// -- the global object other addons use -----------------------------------------------------

class ComptoirPos extends EventTarget {
  constructor() {
    super();
    this.ready = new Promise((resolve) => { this._resolveReady = resolve; });
  }

  currentData() { return state.data; }
  loginNumber() { return state.loginNumber; }
  currentOrder() { const order = currentOrder(); return order ? structuredClone(order) : null; }
  openOrders() { return state.orders.map((order) => structuredClone(order)); }
  blockUi(message) { blockUi(message); }
  unblockUi() { unblockUi(); }
  notify(message, kind = "info") { toast(message, kind); }
  pushNow() { return state.sync ? state.sync.kick() : Promise.resolve(); }
  outbox() { return state.store ? state.store.all("outbox") : Promise.resolve([]); }
  syncState() { return state.sync ? { ...state.sync.state } : null; }

  applyOrder(order) { return applyOrder(order); }
  dropOrder(uuid, message) { return dropOrder(uuid, message); }
  patchOrder(uuid, fields) { patchOrder(uuid, fields); }

  addButton(label, onClick) {
    const button = element("button", { type: "button", className: "secondary big" }, label);
    button.addEventListener("click", () => onClick(this.currentOrder()));
    $("order-actions").insertBefore(button, $("pay-button"));
    return button;
  }
}

const pos = new ComptoirPos();
window.comptoirPos = pos;

function emit(name, detail) {
  try {
    pos.dispatchEvent(new CustomEvent(name, { detail }));
  } catch (error) {
    console.error(`comptoirPos: a "${name}" listener failed`, error);
  }
}

// -- small DOM helpers ----------------------------------------------------------------------

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria-") || key === "role" || key === "for") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let toastTimer = null;
function toast(message, kind = "info") {
  const box = $("toast");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 5000 : 2500);
}

function blockUi(message) {
  $("block-text").textContent = message;
  $("block-dialog").hidden = false;
  // Nothing behind the popup takes a sale, not even a barcode scanner's keys.
  const till = $("pos");
  if (till) till.inert = true;
  $("block-reload").focus();
}

function unblockUi() {
  $("block-dialog").hidden = true;
  const till = $("pos");
  if (till) till.inert = false;
}

function confirmDialog(message, okLabel = "OK") {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = message;
    $("confirm-ok").textContent = okLabel;
    dialog.hidden = false;
    $("confirm-cancel").focus();
    const finish = (answer) => {
      dialog.hidden = true;
      $("confirm-ok").onclick = $("confirm-cancel").onclick = null;
      resolve(answer);
    };
    $("confirm-ok").onclick = () => finish(true);
    $("confirm-cancel").onclick = () => finish(false);
  });
}

const money2 = (amount) => {
  const symbol = state.data && state.data.config && state.data.config.currency_symbol;
  const text = money.formatCents(amount);
  return symbol ? `${text} ${symbol}` : text;
};

const pad = (number, width) => String(number).padStart(width, "0");

// A mouse or a scanner's keyboard: focus the field. A touch screen: don't, or its on-screen
// keyboard pops up over the till (the keys of a scanner still reach the field, see wireEvents).
const finePointer = window.matchMedia ? window.matchMedia("(pointer: fine)").matches : true;
function focusField(id) {
  if (finePointer) $(id).focus();
}

function makeUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain-HTTP pages (no secure context) have getRandomValues but not randomUUID.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function loginUrl() {
  return `${root}/web/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

// -- HTTP -----------------------------------------------------------------------------------

class Offline extends Error {}

async function api(path, { method = "GET", json } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  let response;
  try {
    response = await fetch(root + path, {
      method,
      credentials: "same-origin",
      headers: json === undefined ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: controller.signal,
    });
  } catch (error) {
    throw new Offline(controller.signal.aborted ? "the server did not answer in time"
      : "cannot reach the server");
  } finally {
    clearTimeout(timer);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (response.status === 401) throw new SignedOut("signed out");
  return { status: response.status, ok: response.ok, body: payload };
}

// -- screens and messages -------------------------------------------------------------------

const SCREENS = ["message-screen", "sell-screen", "payment-screen", "receipt-screen"];

function showScreen(name) {
  state.screen = name;
  for (const id of SCREENS) $(id).hidden = id !== `${name}-screen`;
}

/** A full-page message instead of the till, with optional actions ({label, href|onClick}). */
function showMessage(title, text, actions = []) {
  $("message-title").textContent = title;
  const paragraph = $("message-text");
  paragraph.replaceChildren();
  // `code` spans: text between backquotes.
  text.split(/(`[^`]+`)/).forEach((part) => {
    paragraph.append(part.startsWith("`") && part.endsWith("`") && part.length > 1
      ? element("code", {}, part.slice(1, -1)) : part);
  });
  const box = $("message-actions");
  box.replaceChildren(...actions.map((action) => {
    if (action.href) return element("a", { className: "button primary big", href: action.href }, action.label);
    const button = element("button", { type: "button", className: "primary big" }, action.label);
    button.addEventListener("click", action.onClick);
    return button;
  }));
  showScreen("message");
}

function showSignedOut() {
  showMessage("You are signed out",
    "Sign in again to use this till. Paid orders stay on this device until they are sent.",
    [{ label: "Sign in", href: loginUrl() }]);
}

function showBanner(content) {
  const banner = $("banner");
  if (!content) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  banner.replaceChildren(...content);
  banner.hidden = false;
}

function updateBanner() {
  const signedOut = state.sync && state.sync.state.status === "signed-out";
  if (signedOut && state.screen !== "message") {
    showBanner(["You are signed out: paid orders wait on this till until you ",
                element("a", { href: loginUrl() }, "sign in again"), "."]);
  } else if (state.source === "cache" && state.canSell && state.serverBack) {
    const reload = element("button", { type: "button", className: "link" }, "reload");
    reload.addEventListener("click", () => location.reload());
    showBanner(["The server is back: ", reload,
                " when convenient to get the latest products and prices."]);
  } else if (state.source === "cache" && state.canSell) {
    showBanner(["Working offline with the products and prices loaded ",
                state.cachedAt ? new Date(state.cachedAt).toLocaleString() : "earlier",
                ". Paid orders are kept on this till and sent when the server is back."]);
  } else {
    showBanner(null);
  }
}

// -- the sync indicator and "Needs attention" -----------------------------------------------

function renderSync(syncState) {
  const indicator = $("sync-indicator");
  let status = syncState.status;
  if (!navigator.onLine && status === "synced") status = "offline";
  let text;
  if (status === "synced") text = "synced";
  else if (status === "offline") text = syncState.pending ? `offline · pending ${syncState.pending}` : "offline";
  else if (status === "signed-out") text = `signed out · pending ${syncState.pending}`;
  else if (status === "error") text = `pending ${syncState.pending} · retrying`;
  else text = `pending ${syncState.pending}`;
  indicator.dataset.state = status;
  $("sync-text").textContent = text;
  indicator.title = syncState.lastError
    ? `${syncState.lastError}${syncState.nextTry ? ` — next try at ${new Date(syncState.nextTry).toLocaleTimeString()}` : ""}`
    : "";
  updateBanner();
  emit("pos:sync", { ...syncState, status });
  refreshAttention();
}

async function refreshAttention() {
  if (!state.store) return;
  const entries = await state.store.all("outbox");
  state.attention = entries.filter((entry) => entry.status === "rejected")
    .sort((a, b) => (a.paid_at < b.paid_at ? -1 : 1));
  const button = $("attention-button");
  button.hidden = state.attention.length === 0;
  $("attention-count").textContent = String(state.attention.length);
  if (!$("attention-dialog").hidden) renderAttention();
}

function renderAttention() {
  const list = $("attention-list");
  if (!state.attention.length) {
    list.replaceChildren(element("li", { className: "empty" }, "Nothing needs attention."));
    return;
  }
  list.replaceChildren(...state.attention.map((entry) => {
    const retry = element("button", { type: "button", className: "secondary" }, "Send again");
    retry.addEventListener("click", async () => {
      entry.status = "pending";
      delete entry.error;
      await state.store.put("outbox", entry);
      await refreshAttention();
      state.sync.kick();
    });
    const discard = element("button", { type: "button", className: "danger" }, "Discard");
    discard.addEventListener("click", async () => {
      const sure = await confirmDialog(`Discard ${entry.order.reference}? The server will never `
        + "receive this paid order; record it by hand first.", "Discard");
      if (!sure) return;
      await state.store.delete("outbox", entry.uuid);
      await refreshAttention();
      state.sync.kick();
    });
    const error = entry.error || {};
    return element("li", { className: "attention-item", dataset: { uuid: entry.uuid } },
      element("div", { className: "attention-main" },
        element("strong", {}, entry.order.reference),
        element("span", { className: "muted" },
          ` ${money2(money.cents(entry.order.amount_total) || 0)} · paid ${new Date(entry.paid_at).toLocaleString()}`),
        element("p", { className: "attention-error" },
          error.message || "rejected", error.code ? element("code", {}, ` (${error.code})`) : null)),
      element("div", { className: "attention-actions" }, retry, discard));
  }));
}

// -- orders ---------------------------------------------------------------------------------

function reference(sessionId, loginNumber, sequence) {
  return `Order ${pad(sessionId, 5)}-${pad(loginNumber, 3)}-${pad(sequence, 4)}`;
}

function saveOrder(order) {
  state.store.put("open_orders", order).catch((error) => {
    console.error("could not save the open order", error);
    toast("This till could not save the order on the device", "error");
  });
}

function orderChanged(order, { save = true } = {}) {
  if (save) saveOrder(order);
  emit("pos:order-changed", structuredClone(order));
}

async function newOrder() {
  const session = state.data.session;
  const sequence = await state.store.nextSequence(session.id, session.sequence_number || 0);
  const order = {
    uuid: makeUuid(),
    config_id: configId,
    session_id: session.id,
    login_number: state.loginNumber,
    sequence_number: sequence,
    reference: reference(session.id, state.loginNumber, sequence),
    opened_at: new Date().toISOString(),
    partner_id: null,
    lines: [],
    next_line_id: 1,
    state: "open",
  };
  state.orders.push(order);
  selectOrder(order.uuid);
  orderChanged(order);
  return order;
}

// Line ids are unique across tills and logins (several tills may add lines to one shared order).
function nextLineId(order) {
  return `${configId}.${state.loginNumber}.${order.next_line_id++}`;
}

const ORDER_FIELDS_FROM_ELSEWHERE = ["reference", "sequence_number", "partner_id", "byline"];

function applyOrder(incoming) {
  let order = state.orders.find((o) => o.uuid === incoming.uuid);
  if (!order) {
    if (!state.canSell) return null;
    const session = state.data.session;
    order = { uuid: incoming.uuid, config_id: configId, session_id: session.id,
              login_number: state.loginNumber, sequence_number: 0,
              reference: `Order ${String(incoming.uuid).slice(0, 8)}`,
              opened_at: incoming.opened_at || new Date().toISOString(), partner_id: null,
              lines: [], next_line_id: 1, state: "open" };
    state.orders.push(order);
  }
  for (const key of ORDER_FIELDS_FROM_ELSEWHERE) {
    if (incoming[key] !== undefined) order[key] = incoming[key];
  }
  order.lines = incoming.lines.map((line) => ({ ...line }));
  if (order.uuid === state.currentUuid) {
    if (!order.lines.some((line) => line.id === state.selectedLineId)) {
      state.selectedLineId = order.lines.length ? order.lines[order.lines.length - 1].id : null;
    }
    renderSell({ editor: true });
  } else if (!currentOrder()) {
    selectOrder(order.uuid);
  } else {
    renderTabs();
  }
  saveOrder(order);
  emit("pos:order-changed", { ...structuredClone(order), remote: true });
  return structuredClone(order);
}

async function dropOrder(uuid, message) {
  const index = state.orders.findIndex((o) => o.uuid === uuid);
  if (index < 0) return false;
  const [order] = state.orders.splice(index, 1);
  await state.store.delete("open_orders", uuid);
  emit("pos:order-changed", { ...structuredClone(order), deleted: true, remote: true });
  if (message) toast(message);
  if (state.currentUuid === uuid) {
    if (state.orders.length) selectOrder(state.orders[Math.max(0, index - 1)].uuid);
    else if (state.screen === "sell") await newOrder();
    else state.currentUuid = null;
  }
  renderTabs();
  return true;
}

function patchOrder(uuid, fields) {
  const order = state.orders.find((o) => o.uuid === uuid);
  if (!order) return;
  const { lines, uuid: _uuid, ...rest } = fields;
  Object.assign(order, rest);
  saveOrder(order);
  if (uuid === state.currentUuid) renderOrder();
  else renderTabs();
}

function selectOrder(uuid) {
  state.currentUuid = uuid;
  const order = currentOrder();
  state.selectedLineId = order && order.lines.length ? order.lines[order.lines.length - 1].id : null;
  renderSell({ editor: true });
}

async function deleteCurrentOrder() {
  const order = currentOrder();
  if (!order) return;
  if (order.lines.length) {
    const sure = await confirmDialog(`Delete ${order.reference} and its ${order.lines.length} `
      + `line${order.lines.length > 1 ? "s" : ""}?`, "Delete");
    if (!sure) return;
  }
  const index = state.orders.indexOf(order);
  state.orders.splice(index, 1);
  await state.store.delete("open_orders", order.uuid);
  emit("pos:order-changed", { ...structuredClone(order), deleted: true });
  if (!state.orders.length) await newOrder();
  else selectOrder(state.orders[Math.max(0, index - 1)].uuid);
}

function addProduct(product) {
  const order = currentOrder();
  if (!order || !state.canSell) return;
  let line = order.lines.find((l) => l.product_id === product.id && l.price_unit === product.price
    && money.parsePercent(l.discount) === 0n);
  if (line) {
    const qty = money.parseQty(line.qty);
    line.qty = money.formatQty(money.formatScaled(qty + 1000n, 3));
  } else {
    line = { id: nextLineId(order), product_id: product.id, name: product.name, qty: "1",
             price_unit: product.price, discount: "0", tax_rate: product.tax_rate || "0" };
    order.lines.push(line);
  }
  state.selectedLineId = line.id;
  renderSell({ editor: true, flashLine: line.id });
  orderChanged(order);
}

function orderValid(order) {
  return order.lines.length > 0 && order.lines.every((line) => {
    const qty = money.parseQty(line.qty);
    const discount = money.parsePercent(line.discount);
    return qty !== null && qty > 0n && money.cents(line.price_unit) !== null
      && discount !== null && discount <= 10000n;
  });
}

// -- the sell screen ------------------------------------------------------------------------

function renderSell({ editor = false, flashLine = null } = {}) {
  renderOrder(flashLine);
  if (editor) renderEditor();
}

function renderTabs() {
  const tabs = $("order-tabs");
  tabs.replaceChildren(...state.orders.map((order) => {
    const totals = money.orderTotals(order.lines);
    const selected = order.uuid === state.currentUuid;
    const tab = element("button", {
      type: "button", className: "tab", role: "tab", "aria-selected": String(selected),
      dataset: { uuid: order.uuid }, title: order.reference,
    }, element("span", { className: "tab-number" }, `#${pad(order.sequence_number, 4)}`),
    element("span", { className: "tab-total" }, order.lines.length ? money2(totals.total) : "new"));
    tab.addEventListener("click", () => {
      showScreen("sell");
      selectOrder(order.uuid);
    });
    return tab;
  }));
  $("new-order").disabled = !state.canSell;
  $("new-order").hidden = !state.canSell;
}

function renderOrder(flashLine = null) {
  const order = currentOrder();
  if (!order) return;
  $("order-reference").textContent = order.reference;
  $("order-byline").textContent = order.byline || "";
  $("order-byline").hidden = !order.byline;
  const select = $("customer");
  if (String(select.value) !== String(order.partner_id ?? "")) select.value = String(order.partner_id ?? "");
  const list = $("order-lines");
  if (!order.lines.length) {
    list.replaceChildren(element("li", { className: "lines-empty" },
      element("span", { className: "big-icon", "aria-hidden": "true" }, "🛒"),
      "Tap a product or scan a barcode to start."));
  } else {
    list.replaceChildren(...order.lines.map((line) => {
      const amounts = money.lineAmounts(line);
      const discount = money.parsePercent(line.discount);
      const selected = line.id === state.selectedLineId;
      const button = element("button", {
        type: "button", className: `line${selected ? " selected" : ""}${flashLine === line.id ? " flash" : ""}`,
        "aria-pressed": String(selected), dataset: { lineId: String(line.id), productId: String(line.product_id) },
      },
      element("span", { className: "line-name" }, line.name),
      element("span", { className: "line-detail" },
        `${money.formatQty(line.qty)} × ${money2(money.cents(line.price_unit) ?? 0)}`,
        discount && discount > 0n ? element("span", { className: "badge" }, `−${money.formatScaled(discount, 2).replace(/\.?0+$/, "")} %`) : null),
      element("span", { className: "line-total" }, amounts ? money2(amounts.total) : "—"));
      button.addEventListener("click", () => {
        state.selectedLineId = line.id;
        renderSell({ editor: true });
      });
      return element("li", {}, button);
    }));
    const selected = list.querySelector(".line.selected");
    if (selected) selected.scrollIntoView({ block: "nearest" });
  }
  const totals = money.orderTotals(order.lines);
  $("total-untaxed").textContent = money2(totals.untaxed);
  $("total-tax").textContent = money2(totals.tax);
  $("total").textContent = money2(totals.total);
  $("pay-button").disabled = !state.canSell || !orderValid(order);
  $("pay-button").textContent = order.lines.length ? `Pay ${money2(totals.total)}` : "Pay";
  renderTabs();
}

function renderEditor() {
  const box = $("line-editor");
  const order = currentOrder();
  const line = order && order.lines.find((l) => l.id === state.selectedLineId);
  if (!line) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const field = (id, label, value, parse, apply) => {
    const input = element("input", { id, value, inputMode: "decimal", autocomplete: "off" });
    input.addEventListener("input", () => {
      const ok = parse(input.value);
      input.setAttribute("aria-invalid", String(!ok));
      if (ok) {
        apply(input.value);
        renderOrder();
        orderChanged(order);
      } else {
        $("pay-button").disabled = true;
      }
    });
    input.addEventListener("focus", () => input.select());
    return element("div", { className: "edit-field" }, element("label", { for: id }, label), input);
  };
  const qtyOk = (text) => { const qty = money.parseQty(text); return qty !== null && qty > 0n && qty <= 100000000n; };
  const priceOk = (text) => money.cents(text) !== null;
  const discountOk = (text) => { const d = money.parsePercent(text); return d !== null && d <= 10000n; };
  const qtyField = field("edit-qty", "Quantity", money.formatQty(line.qty), qtyOk,
    (text) => { line.qty = money.formatQty(text); });
  const qtyInput = qtyField.querySelector("input");
  const step = (delta) => {
    const qty = money.parseQty(qtyInput.value) ?? 0n;
    const next = qty + BigInt(delta) * 1000n;
    if (next <= 0n) return;
    qtyInput.value = money.formatQty(money.formatScaled(next, 3));
    qtyInput.dispatchEvent(new Event("input"));
  };
  const minus = element("button", { type: "button", className: "step", "aria-label": "Decrease quantity" }, "−");
  const plus = element("button", { type: "button", className: "step", "aria-label": "Increase quantity" }, "+");
  minus.addEventListener("click", () => step(-1));
  plus.addEventListener("click", () => step(1));
  const stepper = element("div", { className: "stepper" });
  qtyInput.before(stepper);
  stepper.append(minus, qtyInput, plus);
  const remove = element("button", { type: "button", className: "ghost danger-text remove-line" }, "Remove line");
  remove.addEventListener("click", () => {
    const index = order.lines.indexOf(line);
    order.lines.splice(index, 1);
    const neighbour = order.lines[Math.min(index, order.lines.length - 1)];
    state.selectedLineId = neighbour ? neighbour.id : null;
    renderSell({ editor: true });
    orderChanged(order);
  });
  box.replaceChildren(
    element("div", { className: "editor-title" }, element("strong", {}, line.name), remove),
    element("div", { className: "editor-fields" },
      qtyField,
      field("edit-price", "Unit price (tax excl.)", money.formatCents(money.cents(line.price_unit) ?? 0), priceOk,
        (text) => { line.price_unit = money.formatCents(money.cents(text)); }),
      field("edit-discount", "Discount %", money.formatScaled(money.parsePercent(line.discount) ?? 0n, 2).replace(/\.?0+$/, ""),
        discountOk, (text) => { line.discount = money.formatScaled(money.parsePercent(text), 2); })));
  box.hidden = false;
}

function renderCustomers() {
  const partners = (state.data.partners || []).filter((p) => !p.is_customer_template);
  $("customer").replaceChildren(element("option", { value: "" }, "No customer"),
    ...partners.map((p) => element("option", { value: String(p.id) }, p.name)));
}

function renderCategories() {
  const categories = [...new Set(state.data.products.map((p) => p.category).filter(Boolean))];
  const chip = (label, value) => {
    const button = element("button", { type: "button", className: "chip",
      "aria-pressed": String(state.category === value) }, label);
    button.addEventListener("click", () => {
      state.category = value;
      renderCategories();
      renderProducts();
    });
    return button;
  };
  $("categories").replaceChildren(chip("All", null), ...categories.map((c) => chip(c, c)));
}

function matchingProducts() {
  const words = state.search.toLowerCase().split(/\s+/).filter(Boolean);
  return state.data.products.filter((p) => {
    if (state.category && p.category !== state.category && !words.length) return false;
    const haystack = `${p.name} ${p.barcode || ""} ${p.category || ""}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

function renderProducts() {
  const products = matchingProducts();
  const grid = $("products");
  if (!products.length) {
    grid.replaceChildren(element("p", { className: "products-empty" },
      state.search ? `No product matches “${state.search}”.` : "No products."));
    return;
  }
  grid.replaceChildren(...products.map((product) => {
    const priceWithTax = money.lineAmounts({ qty: "1", price_unit: product.price, discount: "0",
                                              tax_rate: product.tax_rate });
    const card = element("button", {
      type: "button", className: "product", dataset: { productId: String(product.id), category: product.category || "" },
    },
    element("span", { className: "product-initial", "aria-hidden": "true" }, product.name.slice(0, 1)),
    element("span", { className: "product-name" }, product.name),
    element("span", { className: "product-price" }, money2(priceWithTax ? priceWithTax.total : 0)));
    card.addEventListener("click", () => addProduct(product));
    return card;
  }));
}

function onSearchKey(event) {
  if (event.key === "Escape") {
    event.target.value = "";
    state.search = "";
    renderProducts();
    return;
  }
  if (event.key !== "Enter") return;
  event.preventDefault();
  const code = event.target.value.trim();
  if (!code) return;
  const byBarcode = state.data.products.find((p) => p.barcode && p.barcode === code);
  const matches = byBarcode ? [byBarcode] : matchingProducts();
  if (matches.length === 1) {
    addProduct(matches[0]);
    event.target.value = "";
    state.search = "";
    renderProducts();
  } else if (/^\d{6,}$/.test(code)) {
    toast(`No product with barcode ${code}`, "error");
    event.target.select();
  } else {
    toast(matches.length ? `${matches.length} products match “${code}”: tap one`
      : `No product matches “${code}”`, "error");
  }
}

// -- payment and receipt --------------------------------------------------------------------

function paymentAmounts() {
  const order = currentOrder();
  const total = money.orderTotals(order.lines).total;
  const text = $("cash-input").value.trim();
  const paid = text === "" ? 0 : money.cents(text);
  return { order, total, paid };
}

function openPayment() {
  const order = currentOrder();
  if (!order || !orderValid(order) || !state.canSell) return;
  const total = money.orderTotals(order.lines).total;
  $("payment-reference").textContent = order.reference;
  $("payment-total").textContent = money2(total);
  $("cash-input").value = "";
  $("quick-cash").replaceChildren(...money.cashSuggestions(total).map((amount, index) => {
    const button = element("button", { type: "button", className: "secondary" },
      index === 0 && amount === total ? "Exact" : money2(amount));
    button.addEventListener("click", () => {
      $("cash-input").value = money.formatCents(amount);
      renderPayment();
    });
    return button;
  }));
  showScreen("payment");
  renderPayment();
  focusField("cash-input");
}

function renderPayment() {
  const { total, paid } = paymentAmounts();
  const valid = paid !== null;
  $("cash-input").setAttribute("aria-invalid", String(!valid));
  const box = $("change-box");
  if (!valid) {
    box.dataset.state = "invalid";
    $("change-label").textContent = "Type an amount, e.g. 20 or 12.50";
    $("change-amount").textContent = "";
  } else if (paid >= total) {
    box.dataset.state = "change";
    $("change-label").textContent = "Change";
    $("change-amount").textContent = money2(paid - total);
  } else {
    box.dataset.state = "due";
    $("change-label").textContent = "Remaining";
    $("change-amount").textContent = money2(total - paid);
  }
  $("validate-payment").disabled = !valid || paid < total || (total > 0 && paid === 0);
}

function keypad(key) {
  const input = $("cash-input");
  if (key === "C") input.value = "";
  else if (key === "Backspace") input.value = input.value.slice(0, -1);
  else if (key === ".") { if (!input.value.includes(".")) input.value = `${input.value || "0"}.`; }
  else input.value += key;
  renderPayment();
}

let validating = false;
async function validatePayment() {
  if (validating) return;
  const { order, total, paid } = paymentAmounts();
  if (!order || paid === null || paid < total || !orderValid(order)) return;
  validating = true;
  try {
    const now = new Date();
    const partner = order.partner_id ? state.data.partners.find((p) => p.id === order.partner_id) : null;
    const wire = {
      uuid: order.uuid,
      session_id: order.session_id,
      created_at: now.toISOString(),
      reference: order.reference,
      sequence_number: order.sequence_number,
      ...(order.partner_id ? { partner_id: order.partner_id } : {}),
      lines: order.lines.map((line) => ({
        product_id: line.product_id,
        qty: money.formatQty(line.qty),
        price_unit: money.formatCents(money.cents(line.price_unit)),
        ...(money.parsePercent(line.discount) ? { discount: money.formatScaled(money.parsePercent(line.discount), 2) } : {}),
      })),
      payments: paid > 0 ? [{ method: "cash", amount: money.formatCents(paid) }] : [],
      amount_total: money.formatCents(total),
    };
    const totals = money.orderTotals(order.lines);
    const entry = {
      uuid: order.uuid,
      config_id: configId,
      order: wire,
      status: "pending",
      paid_at: now.toISOString(),
      receipt: {
        config_name: state.data.config.name,
        session_name: state.data.session.name,
        reference: order.reference,
        date: now.toISOString(),
        partner_name: partner ? partner.name : null,
        lines: order.lines.map((line) => ({
          name: line.name, qty: money.formatQty(line.qty), price_unit: line.price_unit,
          discount: line.discount, total: money.lineAmounts(line).total,
        })),
        untaxed: totals.untaxed, tax: totals.tax, total, paid, change: paid - total,
      },
    };
    try {
      await state.store.movePaidOrder(entry);
    } catch (error) {
      console.error(error);
      toast(`The payment could not be saved on this till: ${error.message || error}`, "error");
      return;
    }
    // Saved: from here on the order is paid, whatever happens on screen.
    state.sync.kick();
    state.orders = state.orders.filter((o) => o.uuid !== order.uuid);
    state.currentUuid = null;
    order.state = "paid";
    state.receiptEntry = entry;
    renderTabs();
    showReceipt(entry);
    emit("pos:order-changed", structuredClone(order));
    emit("pos:order-paid", { order: structuredClone(wire), entry: structuredClone(entry) });
  } finally {
    validating = false;
  }
}

function showReceipt(entry) {
  const r = entry.receipt;
  $("receipt-status").textContent = "Paid";
  $("receipt-reference").textContent = r.reference;
  $("receipt-change").replaceChildren(
    element("span", {}, "Change"), element("strong", { id: "receipt-change-amount" }, money2(r.change)));
  const row = (label, value, className = "") => element("div", { className: `receipt-row ${className}` },
    element("span", {}, label), element("span", {}, value));
  $("receipt").dataset.uuid = entry.uuid;
  $("receipt").replaceChildren(
    element("header", {},
      element("h2", {}, r.config_name),
      element("p", {}, r.reference),
      element("p", { className: "muted" }, new Date(r.date).toLocaleString()),
      r.partner_name ? element("p", {}, `Customer: ${r.partner_name}`) : null),
    element("ul", { className: "receipt-lines" }, ...r.lines.map((line) => {
      const discount = money.parsePercent(line.discount);
      return element("li", {},
        element("div", { className: "receipt-row" }, element("span", {}, line.name), element("span", {}, money2(line.total))),
        element("div", { className: "receipt-sub muted" },
          `${line.qty} × ${money2(money.cents(line.price_unit))} excl. tax`,
          discount ? ` · −${money.formatScaled(discount, 2).replace(/\.?0+$/, "")} %` : ""));
    })),
    element("div", { className: "receipt-totals" },
      row("Untaxed", money2(r.untaxed)),
      row("Taxes", money2(r.tax)),
      row("Total", money2(r.total), "grand"),
      row("Cash", money2(r.paid)),
      row("Change", money2(r.change))),
    element("footer", { className: "muted" }, `${r.session_name} · thank you!`));
  showScreen("receipt");
  $("next-order").focus();
}

async function nextOrder() {
  state.receiptEntry = null;
  showScreen("sell");
  await newOrder();
  focusField("search");
}

// -- start ----------------------------------------------------------------------------------

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
      showMessage("This till cannot start", error ? error.message : `HTTP ${response.status}`);
      return null;
    }
    console.warn("POS data:", response.status, error);
  } catch (error) {
    if (error instanceof SignedOut) {
      showSignedOut();
      return null;
    }
    if (!(error instanceof Offline)) throw error;
  }
  const cached = await state.store.getCached(key);
  if (cached) {
    state.cachedAt = cached.at;
    return { data: cached.data, source: "cache" };
  }
  showMessage("Cannot reach the server",
    "This till has never loaded its products, so it cannot sell offline yet. Connect it to the "
    + "network once, then reload.", [{ label: "Try again", onClick: () => location.reload() }]);
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

function registerServiceWorker() {
  const url = body.dataset.serviceWorker;
  if (!url || !("serviceWorker" in navigator) || !window.isSecureContext) {
    body.dataset.offlineReload = "unavailable";
    return;
  }
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "precached") body.dataset.offlineReload = "ready";
  });
  navigator.serviceWorker.register(root + url, { scope: `${root}/pos/` }).then(async () => {
    const registration = await navigator.serviceWorker.ready;
    const urls = [location.href,
      ...[...document.querySelectorAll("script[src], link[rel=stylesheet][href]")].map((n) => n.src || n.href),
      ...MODULES.map((m) => new URL(m, import.meta.url).href)];
    (registration.active || navigator.serviceWorker.controller)?.postMessage({ type: "precache", urls });
  }).catch((error) => {
    body.dataset.offlineReload = "unavailable";
    console.info(`POS: no service worker (${error.message}); reloading needs the server`);
  });
}

function wireEvents() {
  $("new-order").addEventListener("click", () => { if (state.canSell) { showScreen("sell"); newOrder(); } });
  $("delete-order").addEventListener("click", deleteCurrentOrder);
  $("customer").addEventListener("change", (event) => {
    const order = currentOrder();
    if (!order) return;
    order.partner_id = event.target.value ? Number(event.target.value) : null;
    renderTabs();
    orderChanged(order);
  });
  $("search").addEventListener("input", (event) => {
    state.search = event.target.value.trim();
    renderProducts();
  });
  $("search").addEventListener("keydown", onSearchKey);
  $("pay-button").addEventListener("click", openPayment);
  $("payment-back").addEventListener("click", () => showScreen("sell"));
  $("cash-input").addEventListener("input", renderPayment);
  $("cash-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); validatePayment(); }
    if (event.key === "Escape") showScreen("sell");
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
  window.addEventListener("online", () => renderSync(state.sync ? state.sync.state : { status: "synced", pending: 0 }));
  window.addEventListener("offline", () => renderSync(state.sync ? state.sync.state : { status: "offline", pending: 0 }));
  // A barcode scanner types into whatever has focus: send its keys to the right field.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement
        || target instanceof HTMLTextAreaElement) return;
    if (!$("confirm-dialog").hidden || !$("block-dialog").hidden || !$("attention-dialog").hidden) return;
    if (state.screen === "sell") $("search").focus();
    else if (state.screen === "payment" && /[\d.,]/.test(event.key)) $("cash-input").focus();
  });
}

async function start() {
  wireEvents();
  if (!Number.isInteger(configId)) {
    showMessage("This till cannot start", "The page has no POS config id.");
    return;
  }
  try {
    state.store = await Store.open();
  } catch (error) {
    showMessage("This browser cannot keep orders",
      `IndexedDB is not available (${error.message || error}); a till needs it to sell offline. `
      + "Leave private browsing, or use another browser.");
    return;
  }
  registerServiceWorker();
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }
  state.sync = new Sync(state.store, {
    baseDelay: retryBase,
    maxDelay: retryMax,
    beforePush: (orders) => emit("pos:before-push", { orders }),
    onState: renderSync,
    onResults: (results) => {
      state.serverBack = true;
      emit("pos:pushed", { results });
      const rejected = results.filter((r) => r.status === "rejected");
      if (rejected.length) {
        toast(`${rejected.length} order${rejected.length > 1 ? "s were" : " was"} refused by the server: see Needs attention`, "error");
      }
    },
  });

  const loaded = await loadData();
  state.sync.kick(); // whatever the outbox holds goes, even when this page cannot sell
  if (!loaded) return;
  const { data, source } = loaded;
  state.data = data;
  state.source = source;

  const session = data.session;
  $("session-name").textContent = session ? session.name : "";
  if (!session || session.state !== "opened") {
    showMessage(`No open session for ${data.config.name}`,
      `No open session for ${data.config.name}: open one from the admin or with `
      + `\`core pos open ${data.config.id}\`.`,
      [{ label: "Check again", onClick: () => location.reload() }]);
    return;
  }
  try {
    state.loginNumber = await logIn(session, source);
  } catch (error) {
    if (error instanceof SignedOut) { showSignedOut(); return; }
    throw error;
  }
  state.canSell = true;

  // Open orders of this till survive reloads; those of an older session move to this one.
  const stored = (await state.store.all("open_orders"))
    .filter((order) => order.config_id === configId)
    .sort((a, b) => (a.opened_at < b.opened_at ? -1 : 1));
  for (const order of stored) {
    if (order.session_id !== session.id) {
      order.session_id = session.id;
      order.login_number = state.loginNumber;
      order.sequence_number = await state.store.nextSequence(session.id, session.sequence_number || 0);
      order.reference = reference(session.id, state.loginNumber, order.sequence_number);
      saveOrder(order);
    }
    state.orders.push(order);
  }

  renderCustomers();
  renderCategories();
  renderProducts();
  showScreen("sell");
  if (state.orders.length) selectOrder(state.orders[state.orders.length - 1].uuid);
  else await newOrder();
  updateBanner();
  renderSync(state.sync.state);
  body.dataset.ready = "true";
  emit("pos:loaded", data);
  pos._resolveReady(data);
  focusField("search");
}

// After every module of the page ran (the addons' too), so their listeners see "pos:loaded".
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => start().catch(fatal));
} else {
  start().catch(fatal);
}

function fatal(error) {
  console.error(error);
  showMessage("The point of sale stopped", `${error.message || error}. Reload the page; paid `
    + "orders are kept on this device.", [{ label: "Reload", onClick: () => location.reload() }]);
}
