// The receipt screen after a payment (printable), and on to the next order.
import * as money from "./money.js";
import { percentText } from "./order.js";
import { newOrder } from "./sell.js";
import { state } from "./state.js";
import { $, element, focusField, money2, showScreen } from "./ui.js";

export function showReceipt(entry) {
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
          discount ? ` · −${percentText(discount)} %` : ""));
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

export async function nextOrder() {
  state.receiptEntry = null;
  showScreen("sell");
  await newOrder();
  focusField("search");
}
