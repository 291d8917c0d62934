// Closing the session from the till, as a manager does: Close (in the header) shows what the
// session took so far and what else is still selling on it (the server's pos_session_open_tills
// hook), asks for the cash counted in the drawer, asks to confirm, then closes
// (POST /pos/session/<id>/close) and shows the session report the server sealed: totals per
// payment method and tax rate, refunds, orders, grand totals, counted / expected cash.
// Paid orders not yet on the server must go first: the closing is computed from what it holds.
import { emit, hub } from "./hub.js";
import { SignedOut, api } from "./http.js";
import * as money from "./money.js";
import { state } from "./state.js";
import { formatter } from "./format.js";
import { NEEDS_APPROVAL, askApproval } from "./staff.js";
import { _t, ngettext, pgettext } from "./i18n.js";
import { $, blockUi, confirmDialog, element, focusField, money2, showScreen, toast } from "./ui.js";

/** "-1.69" -> -169 (cents), null when it is not an amount. */
function signedCents(text) {
  if (text === null || text === undefined) return null;
  const value = String(text).trim().replace(",", ".");
  const negative = value.startsWith("-");
  const cents = money.cents(negative ? value.slice(1) : value);
  return cents === null ? null : (negative ? -cents : cents);
}

const amount = (text) => (text === null || text === undefined ? "—" : money2(signedCents(text)));
const signed = (text) => (signedCents(text) > 0 ? `+${amount(text)}` : amount(text));
const errorText = (response, what) => (response.body && response.body.error
  ? response.body.error.message : _t("{what} failed (HTTP {status})", { what, status: response.status }));

let session = null; // the session being closed, and its report so far
let closing = false;

export async function openClose() {
  session = state.data && state.data.session;
  if (!session || !state.canSell) return;
  // The closing counts what the server holds: send what is waiting first.
  await state.sync.kick();
  const { pending } = await state.sync.counts();
  if (pending) {
    toast(ngettext("{n} paid order is not on the server yet; closing waits until it is sent.",
      "{n} paid orders are not on the server yet; closing waits until they are sent.", pending), "error");
    return;
  }
  let response;
  try {
    response = await api(`/pos/session/${session.id}/report`);
  } catch (error) {
    toast(error instanceof SignedOut ? _t("Sign in again to close the session.")
      : _t("Closing needs the server: {error}", { error: _t(error.message) }), "error");
    return;
  }
  if (!response.ok) {
    toast(errorText(response, _t("Reading the session")), "error");
    return;
  }
  renderForm(response.body);
  showScreen("close");
  focusField("counted-cash");
}

function renderForm(report) {
  const unpaid = state.orders.filter((order) => order.lines.length).length;
  const warnings = [...(report.open_tills || [])];
  if (unpaid) {
    warnings.push(ngettext("{n} order on this till is not paid: it moves to the next session.",
      "{n} orders on this till are not paid: they move to the next session.", unpaid));
  }
  const input = element("input", { id: "counted-cash", className: "cash-input", inputMode: "decimal",
                                   autocomplete: "off", "aria-describedby": "cash-difference" });
  const difference = element("p", { id: "cash-difference", className: "cash-difference" });
  const closeButton = element("button", { type: "button", className: "danger big", id: "confirm-close" },
                              _t("Close session"));
  const update = () => {
    const counted = signedCents(input.value);
    const valid = input.value.trim() !== "" && counted !== null && counted >= 0;
    input.setAttribute("aria-invalid", String(input.value.trim() !== "" && !valid));
    closeButton.disabled = !valid || closing;
    if (!valid) {
      difference.textContent = _t("Expected in the drawer: {amount}", { amount: amount(report.expected_cash) });
      difference.dataset.state = "";
      return;
    }
    const delta = counted - signedCents(report.expected_cash);
    difference.dataset.state = delta === 0 ? "even" : delta > 0 ? "over" : "short";
    difference.textContent = _t("Expected {expected} · difference {difference}", {
      expected: amount(report.expected_cash), difference: `${delta > 0 ? "+" : ""}${money2(delta)}` });
  };
  input.addEventListener("input", update);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !closeButton.disabled) closeSession(input.value);
  });
  closeButton.addEventListener("click", () => closeSession(input.value));
  const back = element("button", { type: "button", className: "secondary big" }, _t("Back"));
  back.addEventListener("click", () => showScreen("sell"));
  $("close-card").replaceChildren(...present(
    element("h2", {}, _t("Close session {name}", { name: report.session.name })),
    element("p", { className: "muted", id: "close-summary" }, _t("{counts} · {amount} taken so far", {
      counts: counts(report), amount: amount(report.period_total) })),
    warnings.length ? element("ul", { className: "close-warnings", role: "alert" },
      ...warnings.map((text) => element("li", {}, text))) : null,
    element("p", { className: "muted", id: "expected-cash-parts" }, expectedParts(report)),
    element("label", { for: "counted-cash", className: "cash-field" }, _t("Cash counted in the drawer")),
    input,
    difference,
    element("div", { className: "payment-actions" }, back, closeButton)));
  update();
}

async function closeSession(text) {
  if (closing) return;
  const sure = await confirmDialog(_t("Close session {name} with {amount} counted? No till can sell on it afterwards.",
    { name: session.name, amount: amount(text) }), _t("Close session"));
  if (!sure) return;
  closing = true;
  state.closingHere = true;
  $("confirm-close").disabled = true;
  try {
    const counted = String(text).trim().replace(",", ".");
    let response = await api(`/pos/session/${session.id}/close`, {
      method: "POST", json: { counted_cash: counted } });
    // Not a manager here: a manager of the till approves with their PIN (staff.js).
    while (!response.ok && response.body && response.body.error
           && NEEDS_APPROVAL.includes(response.body.error.code) && response.body.error.code !== "pin_locked") {
      const first = response.body.error.code === "approval_required" || response.body.error.code === "manager_only";
      const approval = await askApproval("closing", first ? "" : response.body.error.message);
      if (!approval) return;
      response = await api(`/pos/session/${session.id}/close`, {
        method: "POST", json: { counted_cash: counted, approval } });
    }
    if (!response.ok) {
      toast(errorText(response, _t("Closing")), "error");
      return;
    }
    state.canSell = false;
    state.closedHere = true; // the page shows its own report; no "session closed" block over it
    renderReport(response.body);
    emit("pos:session-closed", { report: structuredClone(response.body) });
  } catch (error) {
    toast(error instanceof SignedOut ? _t("Sign in again to close the session.")
      : _t("The session was not closed: {error}", { error: _t(error.message) }), "error");
  } finally {
    closing = false;
    state.closingHere = false;
    if (!state.closedHere && state.blockedWhileClosing) blockUi(state.blockedWhileClosing);
    state.blockedWhileClosing = null;
    const button = $("confirm-close");
    if (button) button.disabled = false;
  }
}

/** The nodes given, without the absent ones (replaceChildren would write "null"). */
const present = (...nodes) => nodes.filter((node) => node !== null && node !== undefined && node !== false);

/** "2 sales · 1 refund": the report's order_count counts the refunds too. */
function counts(report) {
  const refunds = report.refund_count || 0;
  const sales = ngettext("{n} sale", "{n} sales", report.order_count - refunds);
  const refundWords = ngettext("{n} refund", "{n} refunds", refunds);
  return refunds ? `${sales} · ${refundWords}` : sales;
}

/** A tax rate of the report ("5.50") as the till writes it: "5,5 %" in fr-FR. */
const rateText = (rate) => `${formatter(state.data && state.data.config).percent(money.parsePercent(rate) ?? 0n)} %`;

/** A payment method's name on this till (the report has its code). */
function methodName(code) {
  const methods = (state.data && state.data.payment_methods) || [];
  const method = methods.find((m) => m.code === code);
  return method ? method.name : { cash: _t("Cash"), card: _t("Card") }[code] || code;
}

/** What the expected cash is made of (float + cash sales − refunds + in − out). */
function expectedParts(report) {
  return _t("Expected {expected} = float {float} + cash sales {sales} − refunds {refunds} + in {in} − out {out}", {
    expected: amount(report.expected_cash), float: amount(report.opening_float || "0"),
    sales: amount(report.cash_sales), refunds: amount(report.cash_refunds),
    in: amount(report.cash_in || "0"), out: amount(report.cash_out || "0") });
}

const moveWord = (kind) => ({ float: _t("Opening float"), in: _t("Cash in"), out: _t("Cash out") }[kind] || kind);

/** The session report as the server sealed it. */
export function renderReport(report) {
  const row = (label, value, className = "") => element("tr", { className },
    element("th", { scope: "row" }, label), element("td", {}, value));
  const table = (caption, head, rows) => element("table", { className: "report-table" },
    element("caption", {}, caption),
    element("thead", {}, element("tr", {}, ...head.map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...rows));
  const ticket = report.ticket && report.ticket.number
    ? _t("Closing sealed as ticket {number} · {link}", { number: report.ticket.number, link: report.ticket.link.slice(0, 10) }) : "";
  const done = element("button", { type: "button", className: "primary big", id: "close-done" }, _t("Done"));
  done.addEventListener("click", () => location.reload());
  const print = element("button", { type: "button", className: "secondary big" }, _t("Print"));
  print.addEventListener("click", () => window.print());
  $("close-card").replaceChildren(...present(
    element("h2", {}, _t("Session {name} closed", { name: report.session.name })),
    element("p", { className: "muted", id: "closing-ticket" }, ticket),
    element("table", { className: "report-table", id: "report-summary" }, element("tbody", {},
      row(_t("Sales"), String(report.order_count - (report.refund_count || 0))),
      row(_t("Refunds"), `${report.refund_count} · ${amount(report.refund_total)}`),
      row(_t("Period grand total"), amount(report.period_total), "grand"),
      row(_t("Perpetual grand total"), amount(report.perpetual_total)),
      row(_t("Opening float"), amount(report.opening_float || "0")),
      row(_t("Cash sales"), amount(report.cash_sales)),
      row(_t("Cash refunds"), amount(report.cash_refunds)),
      row(_t("Cash in"), amount(report.cash_in || "0")),
      row(_t("Cash out"), amount(report.cash_out || "0")),
      row(_t("Expected cash"), amount(report.expected_cash)),
      row(_t("Counted cash"), amount(report.counted_cash)),
      row(_t("Difference"), signed(report.cash_difference),
          signedCents(report.cash_difference) ? "difference" : ""))),
    element("p", { className: "cash-explanation", id: "cash-explanation" }, report.cash_explanation || ""),
    (report.cash_moves || []).length ? table(_t("Cash moves"), [_t("Move"), _t("Amount"), _t("Reason")],
      report.cash_moves.map((m) => element("tr", {}, element("td", {}, moveWord(m.kind)),
        element("td", {}, amount(m.amount)), element("td", {}, m.reason)))) : null,
    table(_t("Per payment method"), [_t("Method"), _t("Amount")], report.totals_by_method.map((m) =>
      element("tr", {}, element("td", {}, (report.method_names || {})[m.method] || methodName(m.method)),
              element("td", {}, amount(m.amount))))),
    table(_t("Per tax rate"), [_t("Rate"), _t("Untaxed"), _t("Tax"), _t("Total")], report.totals_by_tax.map((t) =>
      element("tr", {}, element("td", {}, rateText(t.tax_rate)), element("td", {}, amount(t.untaxed)),
              element("td", {}, amount(t.tax)), element("td", {}, amount(t.total))))),
    element("div", { className: "report-actions" }, print, done)));
  showScreen("close");
  $("close-session-button").hidden = true;
  $("new-order").hidden = true;
  $("order-tabs").hidden = true; // nothing is sold on a closed session
  $("close-screen").scrollTop = 0;
  done.focus({ preventScroll: true });
}

hub.addEventListener("pos:loaded", () => {
  if (!state.canSell || $("close-session-button")) return;
  const button = element("button", { type: "button", className: "header-button close-session",
                                     id: "close-session-button" }, pgettext("session", "Close"));
  button.title = _t("Close the session: count the cash, see the report");
  button.addEventListener("click", openClose);
  $("sync-indicator").before(button);
});
