// The order model: pure functions over plain order objects (no DOM, no storage), so that they
// run under node's test runner too (tests/js/). Amounts in cents, as money.js.
//
// An open order: {uuid, config_id, session_id, login_number, sequence_number, reference,
//   opened_at, partner_id, lines: [{id, product_id, name, qty, price_unit, discount, tax_rate}],
//   next_line_id, state: "open", byline?}
import { _t } from "./i18n.js";
import * as money from "./money.js";

const pad = (number, width) => String(number).padStart(width, "0");

/** "Order SSSSS-LLL-NNNN": session, login number, sequence. */
export function reference(sessionId, loginNumber, sequence) {
  return `Order ${pad(sessionId, 5)}-${pad(loginNumber, 3)}-${pad(sequence, 4)}`;
}

/** "#0007": an order's number as its tab shows it. */
/** A reference as the till shows it: the stored "Order 00001-001-0003" or "Refund of ..." (the
 * order's identity, the same on every till and on the server) in the till's language. */
export function shownReference(reference) {
  const text = String(reference ?? "");
  if (text.startsWith("Refund of ")) {
    return _t("Refund of {reference}", { reference: shownReference(text.slice(10)) });
  }
  const word = _t("Order");
  return text.startsWith("Order ") ? `${word} ${text.slice(6)}` : text;
}

export const shortNumber = (sequence) => `#${pad(sequence, 4)}`;

export function makeUuid(cryptoApi = globalThis.crypto) {
  if (cryptoApi.randomUUID) return cryptoApi.randomUUID();
  // Plain-HTTP pages (no secure context) have getRandomValues but not randomUUID.
  const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newOrder({ uuid, configId, session, loginNumber, sequence, now = new Date() }) {
  return {
    uuid,
    config_id: configId,
    session_id: session.id,
    login_number: loginNumber,
    sequence_number: sequence,
    reference: reference(session.id, loginNumber, sequence),
    opened_at: now.toISOString(),
    partner_id: null,
    lines: [],
    next_line_id: 1,
    state: "open",
  };
}

/** The next line id, unique across tills and logins (several tills may add lines to one order). */
export function nextLineId(order, configId, loginNumber) {
  return `${configId}.${loginNumber}.${order.next_line_id++}`;
}

/** Add one of `product`: one more on its plain line (same price, no discount), else a new line. */
export function addProduct(order, product, lineId) {
  let line = order.lines.find((l) => l.product_id === product.id && l.price_unit === product.price
    && money.parsePercent(l.discount) === 0n);
  if (line) {
    const qty = money.parseQty(line.qty);
    line.qty = money.formatQty(money.formatScaled(qty + 1000n, 3));
  } else {
    line = { id: lineId(), product_id: product.id, name: product.name, qty: "1",
             price_unit: product.price, discount: "0", tax_rate: product.tax_rate || "0" };
    order.lines.push(line);
  }
  return line;
}

/** An order can be paid: at least one line, every line a positive quantity and a valid price. */
export function orderValid(order) {
  return order.lines.length > 0 && order.lines.every((line) => {
    const qty = money.parseQty(line.qty);
    const discount = money.parsePercent(line.discount);
    return qty !== null && qty > 0n && money.cents(line.price_unit) !== null
      && discount !== null && discount <= 10000n;
  });
}

// `origin`: the name of the till that started an order from elsewhere (its number is that
// till's, shown with its name: "Bar #0002").
export const FIELDS_FROM_ELSEWHERE = ["reference", "sequence_number", "partner_id", "byline", "origin"];

/** Take an order that comes from another till into `order` (its lines, and the fields above). */
export function mergeIncoming(order, incoming) {
  for (const key of FIELDS_FROM_ELSEWHERE) {
    if (incoming[key] !== undefined) order[key] = incoming[key];
  }
  order.lines = incoming.lines.map((line) => ({ ...line }));
  return order;
}

/** The order as POST /pos/orders takes it, paid at `now` with `payments` ({method, amount:
 * "12.50"}, as payment_rules.wirePayments makes them), or `payments` cents in cash. A refund
 * names the order it refunds, and each line the line it takes back. */
export function toWire(order, payments, now = new Date()) {
  const total = money.orderTotals(order.lines).total;
  return {
    uuid: order.uuid,
    session_id: order.session_id,
    created_at: now.toISOString(),
    reference: order.reference,
    // Another till's number is not this session's: it must not move this till's numbering.
    sequence_number: order.origin ? null : order.sequence_number,
    ...(order.partner_id ? { partner_id: order.partner_id } : {}),
    lines: order.lines.map((line) => {
      const discount = money.parsePercent(line.discount);
      return {
        product_id: line.product_id,
        qty: money.formatQty(line.qty),
        price_unit: money.formatCents(money.cents(line.price_unit)),
        ...(discount ? { discount: money.formatScaled(discount, 2) } : {}),
        ...(line.refunded_line_index !== undefined ? { refunded_line_index: line.refunded_line_index } : {}),
      };
    }),
    payments: Array.isArray(payments) ? payments
      : payments > 0 ? [{ method: "cash", amount: money.formatCents(payments) }] : [],
    amount_total: money.formatCents(total),
    ...(order.refunded_order_uuid ? { refunded_order_uuid: order.refunded_order_uuid } : {}),
    ...(order.cashier ? { cashier: order.cashier } : {}),
    ...approvalsWire(order.approvals),
  };
}

/** The managers' approvals the server checks with the order (order_approvals.py): those it
 * recorded (their uuid), and those given offline with a manager's PIN (its proof). */
function approvalsWire(approvals) {
  const sent = (approvals || []).filter((a) => a.uuid || a.proof).map((a) => (a.uuid
    ? { action: a.action, uuid: a.uuid }
    : { action: a.action, user_id: a.user_id, proof: a.proof, approved_at: a.approved_at }));
  return sent.length ? { approvals: sent } : {};
}

/** What the receipt shows, kept with the paid order in the outbox: everything it prints,
 * the config's header, currency and locale included, as they were when the order was paid (a
 * reprint shows the same). `payments`: [{method, amount (cents), name?}], by default `paid` in
 * cash. `extra_lines`: [[label, value]] other modules print below the payments (receipt.js). */
export function receipt(order, { configName, sessionName, partnerName = null, paid, payments = null,
                                 config = {}, now = new Date() }) {
  const totals = money.orderTotals(order.lines);
  return {
    config_name: configName,
    session_name: sessionName,
    shop_name: config.shop_name || "",
    shop_address: config.shop_address || "",
    vat_number: config.vat_number || "",
    locale: config.locale || "",
    currency_code: config.currency_code || "",
    prices_include_tax: config.prices_include_tax !== false,
    reference: order.reference,
    number: order.sequence_number ? shortNumber(order.sequence_number) : "",
    date: now.toISOString(),
    partner_name: partnerName,
    lines: order.lines.map((line) => {
      const amounts = money.lineAmounts(line);
      return {
        name: line.name, qty: money.formatQty(line.qty), price_unit: line.price_unit,
        tax_rate: line.tax_rate ?? "0", discount: line.discount,
        subtotal: amounts.subtotal, total: amounts.total,
      };
    }),
    taxes: money.taxesByRate(order.lines).map(({ rate, base, tax }) => (
      { rate: money.formatScaled(rate, 2), base, tax })),
    untaxed: totals.untaxed, tax: totals.tax, total: totals.total, paid, change: paid - totals.total,
    payments: payments || (paid > 0 ? [{ method: "cash", amount: paid }] : []),
    extra_lines: [],
  };
}

/** A percentage as people write it: "12.50" -> "12.5", "10.00" -> "10". */
export const percentText = (scaled) => money.formatScaled(scaled, 2).replace(/\.?0+$/, "");
