// The past-orders screen: this session's orders, any order found by its reference or the barcode
// of its receipt, viewed, reprinted and refunded (all or some lines).
//
// The till remembers what it was paid (IndexedDB cache "history:<config id>", the newest
// HISTORY_MAX), so that offline it still lists, shows, reprints and refunds the orders it holds;
// online the server's answer (GET /pos/config/<id>/orders[/<uuid>]) adds the others and says
// what is left to refund after every till's refunds. A refund is a new order with negative
// quantities naming the order and lines it takes back; it is paid back on the payment screen
// and goes through the outbox like a sale; the server refuses it past what was sold.
import { SignedOut, api } from "./http.js";
import { hub } from "./hub.js";
import * as money from "./money.js";
import * as model from "./order.js";
import { openPayment } from "./payment.js";
import { showReceipt } from "./receipt.js";
import { configId, state } from "./state.js";
import { formatter } from "./format.js";
import { _t, pgettext } from "./i18n.js";
import { $, element, focusField, money2, numberText, showScreen, toast } from "./ui.js";

const pricesWithTax = () => state.data.config.prices_include_tax !== false;

const tillLocale = () => formatter(state.data && state.data.config).locale;

const HISTORY_MAX = 300;
const historyKey = () => `history:${configId}`;
const BARCODE = /^(\d{5})(\d{3})(\d{4})$/;

let saving = Promise.resolve();
let shown = null; // the order on the detail panel (a view, see below)

// -- the till's memory of paid orders ----------------------------------------------------------

export async function tillHistory() {
  return (await state.store.getCached(historyKey())) || [];
}

function remember(entry) {
  saving = saving.then(async () => {
    const kept = (await tillHistory()).filter((e) => e.uuid !== entry.uuid);
    kept.unshift({ uuid: entry.uuid, paid_at: entry.paid_at, order: entry.order, receipt: entry.receipt });
    await state.store.setCached(historyKey(), kept.slice(0, HISTORY_MAX));
  }).catch((error) => console.error("could not remember the paid order", error));
  return saving;
}

/** A paid order as the screen shows it, from the till's memory. `refunds` are the till's
 * entries that refund it. */
function viewFromTill(entry, refunds) {
  const wire = entry.order;
  const taken = new Map(); // line index -> quantity refunded (thousandths)
  for (const refund of refunds) {
    for (const line of refund.order.lines) {
      const qty = money.parseQty(String(line.qty).replace("-", "")) ?? 0n;
      taken.set(line.refunded_line_index, (taken.get(line.refunded_line_index) ?? 0n) + qty);
    }
  }
  return {
    source: "till",
    uuid: wire.uuid, reference: wire.reference, created_at: wire.created_at,
    total: entry.receipt.total,
    partner_id: wire.partner_id ?? null,
    refunded_order_uuid: wire.refunded_order_uuid || null,
    refunded_order_reference: entry.receipt.refunded_order_reference || null,
    lines: wire.lines.map((line, index) => {
      const sold = money.parseQty(String(line.qty)) ?? 0n;
      const product = state.data.products.find((p) => p.id === line.product_id);
      const refunded = taken.get(index) ?? 0n;
      return { index, product_id: line.product_id, name: entry.receipt.lines[index]?.name || product?.name || `#${line.product_id}`,
               qty: String(line.qty),
               price_unit: line.price_unit, discount: line.discount || "0",
               tax_rate: product ? product.tax_rate : "0",
               refunded: refunded, refundable: wire.refunded_order_uuid ? 0n : (sold > refunded ? sold - refunded : 0n) };
    }),
    receipt: entry.receipt,
  };
}

function viewFromServer(order) {
  return {
    source: "server",
    uuid: order.uuid, reference: order.reference, created_at: order.created_at,
    total: signedCents(order.amount_total),
    partner_id: order.partner_id,
    refunded_order_uuid: order.refunded_order_uuid,
    refunded_order_reference: order.refunded_order_reference,
    lines: order.lines.map((line) => ({
      index: line.index, product_id: line.product_id, name: line.name, qty: line.qty,
      price_unit: line.price_unit, discount: line.discount, tax_rate: line.tax_rate,
      refunded: money.parseQty(line.refunded_qty) ?? 0n,
      refundable: money.parseQty(line.refundable_qty) ?? 0n,
    })),
    server: order,
  };
}

function signedCents(text) {
  const value = String(text);
  return value.startsWith("-") ? -money.cents(value.slice(1)) : money.cents(value);
}

/** The receipt of an order the till does not hold, from the server's copy. */
function receiptFromServer(order) {
  return {
    config_name: state.data.config.name, session_name: order.session_name,
    reference: order.reference, date: order.created_at, partner_name: order.partner_name,
    lines: order.lines.map((line) => ({ name: line.name, qty: line.qty, price_unit: line.price_unit,
                                        discount: line.discount, total: signedCents(line.price_subtotal_incl) })),
    untaxed: signedCents(order.amount_untaxed), tax: signedCents(order.amount_tax),
    total: signedCents(order.amount_total), paid: signedCents(order.amount_paid),
    change: signedCents(order.amount_return),
    payments: order.payments.map((p) => ({ name: p.name, amount: signedCents(p.amount) })),
    refunded_order_reference: order.refunded_order_reference,
    ticket: order.ticket || null, // the ledger's number and link (ticket.js prints them)
  };
}

// -- finding orders ----------------------------------------------------------------------------

function matches(entry, q) {
  const text = q.toLowerCase();
  const barcode = BARCODE.exec(q);
  const reference = entry.order.reference || "";
  return entry.uuid === q || reference.toLowerCase().includes(text)
    || (barcode && reference === `Order ${barcode[1]}-${barcode[2]}-${barcode[3]}`);
}

async function findOrders(q) {
  const local = (await tillHistory()).filter((entry) => (q ? matches(entry, q)
    : entry.order.session_id === state.data.session.id));
  const found = new Map(local.map((entry) => [entry.uuid, {
    uuid: entry.uuid, reference: entry.order.reference, created_at: entry.order.created_at,
    total: entry.receipt.total, refund: Boolean(entry.order.refunded_order_uuid), held: true }]));
  let note = "";
  try {
    const query = q ? `?q=${encodeURIComponent(q)}` : "";
    const response = await api(`/pos/config/${configId}/orders${query}`);
    if (response.ok) {
      for (const order of response.body.orders) {
        found.set(order.uuid, { uuid: order.uuid, reference: order.reference, created_at: order.created_at,
                                total: signedCents(order.amount_total), refund: Boolean(order.refunded_order_uuid),
                                held: found.has(order.uuid) });
      }
    } else {
      note = response.body && response.body.error ? response.body.error.message
        : _t("The server answered HTTP {status}.", { status: response.status });
    }
  } catch (error) {
    if (error instanceof SignedOut) note = _t("Signed out: sign in again to search the server.");
    else note = _t("Offline: these are the orders this till holds.");
  }
  const orders = [...found.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  return { orders, note };
}

async function showList(q = "") {
  const { orders, note } = await findOrders(q);
  $("orders-note").textContent = note || (orders.length ? "" : q ? _t("No order matches “{q}”.", { q })
    : _t("No order paid in this session yet."));
  $("orders-list").replaceChildren(...orders.map((order) => {
    const button = element("button", { type: "button", className: "past-order",
      dataset: { uuid: order.uuid }, "aria-pressed": String(shown?.uuid === order.uuid) },
    element("span", { className: "past-order-reference" }, model.shownReference(order.reference)),
    element("span", { className: "muted" }, new Date(order.created_at).toLocaleTimeString(tillLocale())),
    order.refund ? element("span", { className: "badge" }, pgettext("noun", "Refund")) : null,
    element("strong", {}, money2(order.total)));
    button.addEventListener("click", () => showOrder(order.uuid));
    return element("li", {}, button);
  }));
}

async function showOrder(uuid) {
  const history = await tillHistory();
  const held = history.find((e) => e.uuid === uuid);
  let view = null;
  try {
    const response = await api(`/pos/config/${configId}/orders/${encodeURIComponent(uuid)}`);
    if (response.ok) view = viewFromServer(response.body);
  } catch (error) {
    if (!held) toast(_t("This order is not on this till and the server cannot be reached: {error}", { error: _t(error.message) }), "error");
  }
  if (held) {
    const tillView = viewFromTill(held, history.filter((e) => e.order.refunded_order_uuid === uuid));
    if (view) {
      // The server's counts, less this till's refunds it has not received yet.
      const pending = new Set((await state.store.all("outbox")).map((e) => e.uuid));
      const unsent = history.filter((e) => e.order.refunded_order_uuid === uuid && pending.has(e.uuid));
      const lessUnsent = viewFromTill(held, unsent);
      view.lines.forEach((line, index) => {
        const left = line.refundable - (lessUnsent.lines[index].refunded);
        line.refundable = left > 0n ? left : 0n;
      });
      view.receipt = held.receipt;
    } else {
      view = tillView;
    }
  }
  if (!view) return;
  shown = view;
  renderDetail();
  for (const button of $("orders-list").querySelectorAll(".past-order")) {
    button.setAttribute("aria-pressed", String(button.dataset.uuid === uuid));
  }
}

// -- the detail panel: view, reprint, refund -------------------------------------------------

function renderDetail() {
  const view = shown;
  const box = $("order-detail");
  if (!view) {
    box.replaceChildren(element("p", { className: "muted" }, _t("Choose an order to see it, reprint it or refund it.")));
    return;
  }
  const canRefund = !view.refunded_order_uuid && view.lines.some((l) => l.refundable > 0n) && state.canSell;
  const inputs = new Map();
  const rows = view.lines.map((line) => {
    const cells = [
      element("td", {}, line.name),
      element("td", { className: "num" }, numberText(money.formatQty(line.qty))),
      // The unit price as the cards show it: with tax unless the config says without.
      element("td", { className: "num col-price" }, money2(money.unitPrice(line, pricesWithTax()) ?? 0)),
      element("td", { className: "num" }, line.refunded ? numberText(money.formatQty(money.formatScaled(line.refunded, 3))) : ""),
    ];
    if (canRefund) {
      const max = numberText(money.formatQty(money.formatScaled(line.refundable, 3)));
      const input = element("input", { className: "refund-qty", value: "0", inputMode: "decimal",
        autocomplete: "off", "aria-label": _t("Refund quantity of {name} (at most {max})", { name: line.name, max }) });
      input.addEventListener("input", () => checkRefund());
      input.addEventListener("focus", () => input.select());
      inputs.set(line.index, { input, line, max });
      cells.push(element("td", {}, line.refundable > 0n ? input : element("span", { className: "muted" }, "—"),
                         line.refundable > 0n ? element("span", { className: "muted" }, " " + _t("of {max}", { max })) : null));
    }
    return element("tr", { dataset: { index: String(line.index) } }, ...cells);
  });
  const problem = element("p", { className: "refund-problem", id: "refund-problem", role: "alert" });
  const reprint = element("button", { type: "button", className: "secondary big" }, _t("Reprint"));
  reprint.addEventListener("click", () => reprintOrder(view));
  const actions = [reprint];
  let refundButton = null;
  if (canRefund) {
    const all = element("button", { type: "button", className: "secondary big" }, _t("Refund all"));
    all.addEventListener("click", () => {
      for (const { input, max } of inputs.values()) input.value = max;
      checkRefund();
    });
    refundButton = element("button", { type: "button", className: "primary big", id: "refund-button", disabled: true }, _t("Refund"));
    refundButton.addEventListener("click", () => {
      const wanted = checkRefund();
      if (wanted) startRefund(view, wanted);
    });
    actions.push(all, refundButton);
  }
  function checkRefund() {
    const wanted = [];
    let message = "";
    for (const { input, line, max } of inputs.values()) {
      const qty = money.parseQty(input.value || "0");
      const bad = qty === null || qty > line.refundable;
      input.setAttribute("aria-invalid", String(bad));
      if (qty === null) message = _t("{name}: type a quantity", { name: line.name });
      else if (qty > line.refundable) message = _t("{name}: only {max} left to refund", { name: line.name, max });
      else if (qty > 0n) wanted.push({ line, qty });
    }
    problem.textContent = message;
    refundButton.disabled = Boolean(message) || !wanted.length;
    return message || !wanted.length ? null : wanted;
  }
  box.replaceChildren(
    element("header", {},
      element("h3", {}, model.shownReference(view.reference)),
      element("p", { className: "muted" }, new Date(view.created_at).toLocaleString(tillLocale()),
              view.source === "till" ? _t(" · held by this till") : ""),
      view.refunded_order_reference ? element("p", {},
        _t("Refund of {reference}", { reference: model.shownReference(view.refunded_order_reference) })) : null),
    element("table", { className: "detail-lines" },
      element("thead", {}, element("tr", {},
        ...[_t("Product"), _t("Qty"), _t("Unit price"), _t("Refunded"), ...(canRefund ? [_t("Refund")] : [])]
          .map((h, index) => element("th", index === 2 ? { className: "col-price" } : {}, h)))),
      element("tbody", {}, ...rows)),
    element("p", { className: "detail-total" }, _t("Total") + " ", element("strong", {}, money2(view.total))),
    problem,
    element("div", { className: "detail-actions" }, ...actions));
}

// Duplicates (docs/fiscal.md): the server numbers each copy of a ticket and seals it in its
// journal; a reprint made while the server is out of reach is queued here and sent later.
const duplicatesKey = () => `duplicates:${configId}`;

function queuedDuplicates() {
  try {
    const queued = JSON.parse(localStorage.getItem(duplicatesKey()) || "[]");
    return Array.isArray(queued) ? queued : [];
  } catch {
    return [];
  }
}

async function sendDuplicate(uuid, printedAt) {
  const response = await api(`/pos/config/${configId}/orders/${encodeURIComponent(uuid)}/duplicate`,
                             { method: "POST", json: { printed_at: printedAt }, timeoutMs: 4000 });
  // 404: an order printed offline that has not reached the server yet: keep it queued.
  if (response.status === 404) return { retry: true };
  return response.ok ? response.body : { refused: true };
}

export async function sendQueuedDuplicates() {
  const left = [];
  for (const item of queuedDuplicates()) {
    try {
      const answer = await sendDuplicate(item.uuid, item.printed_at);
      if (answer.retry) left.push(item);
    } catch {
      left.push(item);  // still out of reach
    }
  }
  localStorage.setItem(duplicatesKey(), JSON.stringify(left));
}

async function reprintOrder(view) {
  const receipt = view.receipt || (view.server ? receiptFromServer(view.server) : null);
  if (!receipt) return;
  showReceipt({ uuid: view.uuid, receipt });
  const printedAt = new Date().toISOString();
  let label = null;
  try {
    await sendQueuedDuplicates();
    const answer = await sendDuplicate(view.uuid, printedAt);
    if (answer.copy) label = _t("DUPLICATE No. {copy}", { copy: answer.copy });
    else if (answer.refused) label = _t("DUPLICATE");
  } catch (error) {
    if (error instanceof SignedOut) throw error;
  }
  if (!label) {
    localStorage.setItem(duplicatesKey(), JSON.stringify(
      [...queuedDuplicates(), { uuid: view.uuid, printed_at: printedAt }]));
    label = _t("DUPLICATE (number pending)");
  }
  const status = $("receipt-status");
  status.textContent = label;
  status.classList.add("duplicate");
  // On the printed receipt itself, in large letters above the shop's header.
  $("receipt").prepend(element("p", { className: "receipt-duplicate" }, label));
  try {
    window.print();
  } catch (error) {
    console.warn("printing failed", error);
  }
}

window.addEventListener("online", () => { sendQueuedDuplicates().catch(() => {}); });

function startRefund(view, wanted) {
  const session = state.data.session;
  const refund = model.newOrder({ uuid: model.makeUuid(), configId, session,
                                  loginNumber: state.loginNumber, sequence: 0 });
  // Numbered when paid back (payment.js), so a refund given up skips no number.
  refund.sequence_number = null;
  refund.reference = `Refund of ${view.reference}`;
  refund.partner_id = view.partner_id || null;
  refund.refunded_order_uuid = view.uuid;
  refund.refunded_order_reference = view.reference;
  refund.lines = wanted.map(({ line, qty }, position) => ({
    id: `refund.${position + 1}`, product_id: line.product_id, name: line.name,
    qty: `-${money.formatQty(money.formatScaled(qty, 3))}`, price_unit: line.price_unit,
    discount: line.discount, tax_rate: line.tax_rate, refunded_line_index: line.index,
  }));
  openPayment(refund);
}

export function openPastOrders() {
  if (!state.data || !state.data.session) return;
  shown = null;
  renderDetail();
  showScreen("orders");
  $("orders-search").value = "";
  focusField("orders-search");
  return showList();
}

export function wirePastOrders() {
  hub.addEventListener("pos:order-paid", (event) => remember(event.detail.entry));
  hub.addEventListener("pos:loaded", () => { $("past-orders-button").hidden = false; });
  $("past-orders-button").addEventListener("click", openPastOrders);
  $("orders-back").addEventListener("click", () => showScreen("sell"));
  let timer = null;
  $("orders-search").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => showList(event.target.value.trim()), 300);
  });
  $("orders-search").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(timer);
    const q = event.target.value.trim();
    showList(q).then(async () => {
      const first = $("orders-list").querySelector(".past-order");
      if (first && $("orders-list").children.length === 1) await showOrder(first.dataset.uuid);
    });
  });
}
