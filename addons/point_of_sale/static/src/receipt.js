// The receipt screen after a payment (printable), and on to the next order.
//
// The receipt prints what `order.receipt()` kept when the order was paid (so a reprint is the
// same), in the config's currency and locale of that moment (format.js): the shop header, the
// order's number and reference, the lines, the taxes per rate, the totals, the payments and the
// change. Other modules add lines below the payments, in the "receipt-extra" section:
//   - data: rows [[label, value], ...] in `entry.receipt.extra_lines`, kept with the order;
//   - code: `addReceiptSection((receipt, entry) => rows or nodes)`, asked at every render;
// then call `refreshReceipt()` if the receipt is on screen when their data arrives.
import { formatter } from "./format.js";
import * as money from "./money.js";
import { newOrder, selectOrder } from "./sell.js";
import { currentOrder, state } from "./state.js";
import { _t } from "./i18n.js";
import { shownReference } from "./order.js";
import { $, element, focusField, showScreen } from "./ui.js";

const paymentNames = () => ({ cash: _t("Cash"), card: _t("Card") });
const sections = [];

/** `render(receipt, entry)` returns [[label, value], ...] or DOM nodes to print below the
 * payments of every receipt (e.g. a ticket number and a short link), or nothing. */
export function addReceiptSection(render) {
  sections.push(render);
}

const row = (label, value, className = "") => element("div", { className: `receipt-row ${className}` },
  element("span", {}, label), element("span", {}, value));

function extraRows(r, entry) {
  const rows = [...(r.extra_lines || [])];
  for (const render of sections) {
    try {
      const added = render(r, entry);
      if (added) rows.push(...added);
    } catch (error) {
      console.error("a receipt section failed", error);
    }
  }
  return rows.map((item) => (Array.isArray(item) ? row(item[0], item[1]) : item));
}

/** The receipt's article for a paid entry (its `receipt` as order.receipt() made it). */
/** The receipt with the config's settings where it has none (one rebuilt from the server's
 * copy of an order, or kept before the settings existed). */
function withSettings(receipt) {
  const config = (state.data && state.data.config) || {};
  const filled = { ...receipt };
  for (const key of ["shop_name", "shop_address", "vat_number", "locale", "currency_code",
                     "prices_include_tax"]) {
    if (filled[key] === undefined) filled[key] = config[key];
  }
  return filled;
}

/** The reference's 12 digits ("Order 00001-001-0003" -> "000010010003"), which the past-orders
 * search takes as typed or scanned; null for a reference of another form. */
export function barcodeDigits(reference) {
  const found = /(\d{5})-(\d{3})-(\d{4})$/.exec(reference || "");
  return found ? found.slice(1).join("") : null;
}

/** The reference as a Code 128 barcode (JsBarcode, jsbarcode.code128.min.js, loaded by the page
 * and kept offline with the other modules); nothing where the page has no barcode library. */
function barcode(reference) {
  const digits = barcodeDigits(reference);
  if (!digits || typeof document === "undefined" || !globalThis.JsBarcode) return null;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  globalThis.JsBarcode(svg, digits, { format: "CODE128C", height: 36, width: 1.6, margin: 0,
                                      fontSize: 12, background: "transparent" });
  return element("div", { className: "receipt-barcode", dataset: { digits } }, svg);
}

export function receiptContent(entry) {
  const r = withSettings(entry.receipt);
  const f = formatter({ locale: r.locale, currency_code: r.currency_code });
  const withTax = r.prices_include_tax !== false;
  const payments = r.payments || [{ method: "cash", amount: r.paid }];
  const extra = extraRows(r, entry);
  return [
    element("header", {},
      element("h2", { className: "receipt-shop" }, r.shop_name || r.config_name),
      r.shop_address ? element("p", { className: "receipt-address" }, r.shop_address) : null,
      r.vat_number ? element("p", { className: "receipt-vat" }, _t("VAT number {vat}", { vat: r.vat_number })) : null,
      r.number ? element("p", { className: "receipt-number" }, element("strong", {}, _t("Order {number}", { number: r.number }))) : null,
      element("p", { className: "receipt-reference" }, shownReference(r.reference)),
      r.refunded_order_reference ? element("p", { className: "receipt-refund" },
        _t("Refund of {reference}", { reference: shownReference(r.refunded_order_reference) })) : null,
      element("p", { className: "muted receipt-date" }, f.dateTime(r.date)),
      barcode(r.reference),
      r.partner_name ? element("p", {}, _t("Customer: {name}", { name: r.partner_name })) : null),
    element("ul", { className: "receipt-lines" }, ...r.lines.map((line) => {
      const discount = money.parsePercent(line.discount);
      const unit = money.unitPrice(line, withTax);
      const shown = withTax ? line.total : line.subtotal ?? line.total;
      return element("li", {},
        element("div", { className: "receipt-row" }, element("span", {}, line.name), element("span", {}, f.money(shown))),
        element("div", { className: "receipt-sub muted" },
          withTax ? `${f.decimalText(line.qty)} × ${f.money(unit ?? 0)}`
            : _t("{qty} × {price} excl. tax", { qty: f.decimalText(line.qty), price: f.money(unit ?? 0) }),
          discount ? ` · −${f.percent(discount)} %` : ""));
    })),
    element("div", { className: "receipt-totals" },
      row(_t("Total excl. tax"), f.money(r.untaxed)),
      ...(r.taxes || [{ rate: null, base: r.untaxed, tax: r.tax }]).map((t) => row(
        t.rate === null ? _t("Taxes")
          : _t("Tax {rate} % on {base}", { rate: f.percent(money.parsePercent(t.rate)), base: f.money(t.base) }),
        f.money(t.tax), "receipt-tax")),
      row(_t("Total"), f.money(r.total), "grand")),
    element("div", { className: "receipt-payments" },
      ...payments.map((p) => row(p.name || paymentNames()[p.method] || p.method, f.money(p.amount))),
      row(_t("Change"), f.money(r.change))),
    extra.length ? element("section", { className: "receipt-extra", id: "receipt-extra" }, ...extra) : null,
    element("footer", { className: "muted" }, _t("{session} · thank you!", { session: r.session_name })),
  ].filter(Boolean);
}

export function showReceipt(entry) {
  const r = withSettings(entry.receipt);
  const f = formatter({ locale: r.locale, currency_code: r.currency_code });
  $("receipt-status").textContent = r.refunded_order_reference ? _t("Refunded") : _t("Paid");
  $("receipt-status").classList.remove("duplicate");
  $("receipt-reference").textContent = r.number ? `${r.number} · ${shownReference(r.reference)}`
    : shownReference(r.reference);
  $("receipt-change").replaceChildren(
    element("span", {}, _t("Change")), element("strong", { id: "receipt-change-amount" }, f.money(r.change)));
  $("receipt").dataset.uuid = entry.uuid;
  $("receipt").lang = f.locale;
  $("receipt").replaceChildren(...receiptContent(entry));
  // A training ticket says so in large letters, above and below (docs/fiscal.md).
  if (r.training) {
    $("receipt").prepend(element("p", { className: "receipt-training" }, _t("TRAINING")));
    $("receipt").append(element("p", { className: "receipt-training" }, _t("TRAINING")));
  }
  showScreen("receipt");
  // Opened at its top ("Paid" in view): focusing the next step must not scroll it away.
  $("receipt-screen").scrollTop = 0;
  window.scrollTo(0, 0);
  $("next-order").focus({ preventScroll: true });
}

/** Render the receipt on screen again (a section's data arrived). */
export function refreshReceipt() {
  if (state.screen === "receipt" && state.receiptEntry) showReceipt(state.receiptEntry);
}

export async function nextOrder() {
  // After a sale, a fresh order of this till's. After a refund or a reprint, the order that was
  // on screen is still open: back to it (never an order another till selected meanwhile).
  const sale = Boolean(state.receiptEntry?.sale);
  state.receiptEntry = null;
  showScreen("sell");
  const open = sale ? null : currentOrder();
  if (open) selectOrder(open.uuid);
  else await newOrder({ reuseEmpty: true });
  focusField("search");
}
