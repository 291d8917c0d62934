// The payment screen: the config's payment methods, one or several payments (split), the amount
// of the selected one (keypad, quick amounts), the change, and the payment itself: the paid order
// moves from open_orders to the outbox in one transaction, then is pushed. A refund (from the
// past-orders screen) is paid back the same way, with amounts shown as positive.
import { emit, hub } from "./hub.js";
import * as money from "./money.js";
import * as model from "./order.js";
import { paymentStatus, suggestedAmount, wirePayments } from "./payment_rules.js";
import { showReceipt } from "./receipt.js";
import { renderTabs } from "./sell.js";
import { approveOrder } from "./staff.js";
import { configId, currentOrder, state } from "./state.js";
import { _t, pgettext } from "./i18n.js";
import { $, element, focusField, money2, numberText, showScreen, toast } from "./ui.js";

// Data cached by a till before payment methods existed: the server's built-in two.
const BUILT_IN_METHODS = [
  { code: "cash", name: _t("Cash"), gives_change: true },
  { code: "card", name: _t("Card"), gives_change: false },
];

export const paymentMethods = () => (state.data && state.data.payment_methods) || BUILT_IN_METHODS;
const methodOf = (code) => paymentMethods().find((m) => m.code === code) || { code, name: code };

// {order, refund, payments: [{id, method, amount (cents, signed; null: not typed)}], selected,
//  seenTotal (the total the cashier was shown and acknowledged), changed ({from, to, remote}
//  while the order changed under the payment and the cashier has not acknowledged it)}
let paying = null;
let nextPaymentId = 1;

function orderTotal() {
  return money.orderTotals(paying.order.lines).total;
}

function selectedPayment() {
  return paying.payments.find((p) => p.id === paying.selected) || null;
}

function addPayment(method) {
  const blank = paying.payments.find((p) => p.amount === null);
  if (blank) {
    blank.method = method.code; // an empty payment just changes method
    paying.selected = blank.id;
  } else {
    const due = suggestedAmount(orderTotal(), paying.payments);
    const payment = { id: nextPaymentId++, method: method.code,
                      amount: (paying.refund ? due < 0 : due > 0) ? due : null };
    paying.payments.push(payment);
    paying.selected = payment.id;
  }
  showSelectedAmount();
  renderPayment({ fromInput: false });
  focusField("cash-input");
}

function showSelectedAmount() {
  const payment = selectedPayment();
  $("cash-input").value = payment && payment.amount !== null
    ? numberText(money.formatCents(Math.abs(payment.amount))) : "";
}

/** Open the payment screen for `order` (the order on screen, or a refund). */
export function openPayment(order = currentOrder()) {
  const refund = Boolean(order && order.refunded_order_uuid);
  if (!order || !state.canSell || (!refund && !model.orderValid(order))) return;
  const total = money.orderTotals(order.lines).total;
  const methods = paymentMethods();
  const first = methods.find((m) => m.gives_change) || methods[0];
  paying = { order, refund, payments: [], selected: null, seenTotal: total, changed: null };
  const payment = { id: nextPaymentId++, method: first.code, amount: refund ? total : null };
  paying.payments.push(payment);
  paying.selected = payment.id;
  $("payment-title").textContent = refund ? pgettext("noun", "Refund") : _t("Payment");
  $("payment-due-label").textContent = refund ? _t("To pay back") : _t("To pay");
  $("payment-reference").textContent = refund
    ? _t("Refund of {reference}", { reference: model.shownReference(order.refunded_order_reference) })
    : model.shownReference(order.reference);
  $("payment-methods").replaceChildren(...methods.map((method) => {
    const button = element("button", { type: "button", className: "secondary method",
      dataset: { method: method.code } }, method.name);
    button.addEventListener("click", () => addPayment(method));
    return button;
  }));
  showSelectedAmount();
  showScreen("payment");
  renderPayment({ fromInput: false });
  focusField("cash-input");
}

/** The order being paid (null when the payment screen is not open). */
export const payingOrder = () => (paying ? paying.order : null);

function renderLines(total) {
  $("payment-lines").replaceChildren(...paying.payments.map((payment) => {
    const method = methodOf(payment.method);
    const selected = payment.id === paying.selected;
    const pick = element("button", { type: "button", className: "payment-line-pick",
      "aria-pressed": String(selected), dataset: { method: payment.method } },
    element("span", {}, method.name),
    element("strong", {}, payment.amount === null ? "—" : money2(Math.abs(payment.amount))));
    pick.addEventListener("click", () => {
      paying.selected = payment.id;
      showSelectedAmount();
      renderPayment({ fromInput: false });
      focusField("cash-input");
    });
    const remove = element("button", { type: "button", className: "ghost danger-text",
      "aria-label": _t("Remove the {method} payment", { method: method.name }) }, "×");
    remove.addEventListener("click", () => {
      paying.payments = paying.payments.filter((p) => p.id !== payment.id);
      if (paying.selected === payment.id) {
        paying.selected = paying.payments.length ? paying.payments[paying.payments.length - 1].id : null;
      }
      showSelectedAmount();
      renderPayment({ fromInput: false });
    });
    return element("li", { className: selected ? "selected" : "" }, pick, paying.payments.length > 1 ? remove : null);
  }));
  const selected = selectedPayment();
  const method = selected ? methodOf(selected.method) : null;
  let label = _t("Amount");
  if (method) {
    label = paying.refund ? _t("{method} paid back", { method: method.name })
      : _t("{method} received", { method: method.name });
  }
  $("cash-label").textContent = label;
  $("cash-input").disabled = !selected;
  const others = paying.payments.filter((p) => p !== selected).reduce((sum, p) => sum + (p.amount ?? 0), 0);
  const left = Math.abs(total - others);
  const quick = selected && !paying.refund && method.gives_change
    ? money.cashSuggestions(left) : selected ? [left] : [];
  $("quick-cash").replaceChildren(...quick.map((amount, index) => {
    const button = element("button", { type: "button", className: "secondary" },
      index === 0 && amount === left ? _t("Exact") : money2(amount));
    button.addEventListener("click", () => {
      $("cash-input").value = numberText(money.formatCents(amount));
      renderPayment();
    });
    return button;
  }));
}

/** Redraw the payment screen; by default the typed amount goes to the selected payment first. */
export function renderPayment({ fromInput = true } = {}) {
  if (!paying) return;
  const total = orderTotal();
  // The amount shown is always the order's own: it changes as soon as the order does.
  $("payment-total").textContent = money2(Math.abs(total));
  renderChangeNotice();
  const selected = selectedPayment();
  const text = $("cash-input").value.trim();
  const typed = text === "" ? null : money.cents(text);
  const typedValid = text === "" || typed !== null;
  if (fromInput && selected) {
    selected.amount = typed === null ? null : (paying.refund ? -typed : typed);
  }
  renderLines(total);
  $("cash-input").setAttribute("aria-invalid", String(!typedValid));
  const status = paymentStatus(total, typedPayments(), paymentMethods());
  const box = $("change-box");
  if (!typedValid) {
    box.dataset.state = "invalid";
    $("change-label").textContent = _t("Type an amount, e.g. 20 or 12.50");
    $("change-amount").textContent = "";
  } else if (status.problem) {
    box.dataset.state = "invalid";
    $("change-label").textContent = status.problem;
    $("change-amount").textContent = "";
  } else if (status.change > 0 || (status.valid && !paying.refund)) {
    box.dataset.state = "change";
    $("change-label").textContent = _t("Change");
    $("change-amount").textContent = money2(status.change);
  } else {
    box.dataset.state = status.valid ? "change" : "due";
    $("change-label").textContent = paying.refund ? _t("Left to pay back") : _t("Remaining");
    $("change-amount").textContent = money2(status.remaining);
  }
  const reason = blockedReason(total, status, typedValid);
  const validate = $("validate-payment");
  validate.disabled = reason !== null;
  $("validate-reason").textContent = reason || "";
  $("validate-reason").hidden = reason === null;
  validate.title = reason || "";
}

/** Why Validate cannot be tapped (in words), or null when it can. */
function blockedReason(total, status, typedValid) {
  const amount = money2(Math.abs(total));
  if (paying.changed) return _t("The total is now {amount}: tap “{button}” first.", { amount, button: seenLabel() });
  if (!paying.refund && !model.orderValid(paying.order)) {
    return paying.order.lines.length ? _t("A line of this order has no valid quantity or price: go back and fix it.")
      : _t("This order has no lines any more: go back to add some.");
  }
  if (!typedValid) return _t("Type an amount, e.g. 20 or 12.50.");
  if (status.problem) return `${status.problem}.`.replace(/\.\.$/, ".");
  if (!status.valid) {
    const remaining = money2(status.remaining);
    return paying.refund ? _t("{amount} still to pay back.", { amount: remaining })
      : _t("{amount} still to pay.", { amount: remaining });
  }
  if (total > 0 && status.paid === 0) return _t("Type the amount received.");
  return null;
}

const seenLabel = () => _t("New total seen");

/** The notice over the amounts while the order changed under the payment. */
function renderChangeNotice() {
  const box = $("payment-changed");
  const change = paying.changed;
  box.hidden = !change;
  if (!change) { box.replaceChildren(); return; }
  const seen = element("button", { type: "button", className: "primary", id: "payment-changed-seen" },
    seenLabel());
  seen.addEventListener("click", acknowledgeChange);
  box.replaceChildren(
    element("p", {}, element("strong", {}, change.remote ? _t("This order changed on another till")
      : _t("This order changed")),
    _t(": the total went from {from} to {to}. Tell the customer the new total and check the amounts.",
       { from: money2(Math.abs(change.from)), to: money2(Math.abs(change.to)) })),
    paying.order.byline ? element("p", { className: "muted" }, paying.order.byline) : null,
    seen);
}

function acknowledgeChange() {
  if (!paying) return;
  paying.seenTotal = orderTotal();
  paying.changed = null;
  renderPayment({ fromInput: false });
  focusField("cash-input");
}

/** The order being paid changed (another till, the server's merge, an addon): the screen shows
 * the new total at once, and Validate waits until the cashier has seen it. Paid or removed
 * elsewhere: this payment is given up. */
hub.addEventListener("pos:order-changed", (event) => {
  const order = event.detail;
  if (!paying || paying.refund || !order || order.uuid !== paying.order.uuid) return;
  if (order.state === "paid" && !order.remote) return; // paid here: validatePayment's own event
  if (order.deleted || order.state === "paid") {
    const reference = model.shownReference(paying.order.reference);
    paying = null;
    showScreen("sell");
    toast(_t("{reference} ended on another till while it was being paid here: nothing was taken for it on this till.", { reference }), "error");
    return;
  }
  const total = orderTotal();
  if (total !== paying.seenTotal) {
    paying.changed = { from: paying.changed ? paying.changed.from : paying.seenTotal, to: total,
                       remote: Boolean(order.remote) };
  } else {
    paying.changed = null; // changed back to what the cashier saw
  }
  renderPayment({ fromInput: false });
});

/** The payments with an amount (one added and left empty is not a payment). */
const typedPayments = () => paying.payments.filter((p) => p.amount !== null);

export function closePayment() {
  const refund = paying && paying.refund;
  paying = null;
  showScreen(refund ? "orders" : "sell");
}

export function keypad(key) {
  const input = $("cash-input");
  if (key === "C") input.value = "";
  else if (key === "Backspace") input.value = input.value.slice(0, -1);
  else if (key === "." || key === ",") {
    // One separator, the locale's (either key, either character typed, is taken: money.js).
    if (!/[.,]/.test(input.value)) input.value = `${input.value || "0"}${numberText(".")}`;
  }
  else input.value += key;
  renderPayment();
}

let validating = false;
export async function validatePayment() {
  if (validating || !paying || $("validate-payment").disabled) return;
  const { order, refund } = paying;
  const total = orderTotal();
  const payments = typedPayments();
  const status = paymentStatus(total, payments, paymentMethods());
  // Never a total the cashier was not shown.
  if (paying.changed || total !== paying.seenTotal) return;
  if (!status.valid || (!refund && !model.orderValid(order))) return;
  validating = true;
  try {
    // A refund, a discount above the config's limit, a changed price: a manager approves first.
    if (!(await approveOrder(order, Boolean(refund)))) return;
    if (refund && !order.sequence_number) {
      // A refund takes its number when it is paid back (past_orders.js).
      const session = state.data.session;
      order.sequence_number = await state.store.nextSequence(session.id, session.sequence_number || 0);
      order.reference = model.reference(session.id, order.login_number, order.sequence_number);
    }
    const now = new Date();
    const partner = order.partner_id ? state.data.partners.find((p) => p.id === order.partner_id) : null;
    if (state.cashier) order.cashier = state.cashier.login; // sealed with the ticket (staff.js)
    const wire = model.toWire(order, wirePayments(payments, money.formatCents), now);
    // Training mode (docs/fiscal.md): sealed apart by the server, never a real sale.
    if (state.data.training) wire.training = true;
    const receipt = model.receipt(order, {
      configName: state.data.config.name, config: state.data.config,
      sessionName: state.data.session.name, partnerName: partner ? partner.name : null,
      paid: status.paid, now,
      payments: payments.map((p) => ({ method: p.method, name: methodOf(p.method).name, amount: p.amount })),
    });
    receipt.change = status.change;
    if (state.data.training) receipt.training = true;
    if (refund) receipt.refunded_order_reference = order.refunded_order_reference;
    const entry = {
      uuid: order.uuid,
      config_id: configId,
      order: wire,
      status: "pending",
      paid_at: now.toISOString(),
      receipt,
    };
    try {
      await state.store.movePaidOrder(entry);
    } catch (error) {
      console.error(error);
      toast(_t("The payment could not be saved on this till: {error}", { error: error.message || error }), "error");
      return;
    }
    // Saved: from here on the order is paid, whatever happens on screen.
    state.sync.kick();
    paying = null;
    if (!refund) {
      state.orders = state.orders.filter((o) => o.uuid !== order.uuid);
      state.currentUuid = null;
    }
    order.state = "paid";
    state.receiptEntry = { ...entry, sale: !refund };
    renderTabs();
    showReceipt(entry);
    if (!refund) emit("pos:order-changed", structuredClone(order));
    emit("pos:order-paid", { order: structuredClone(wire), entry: structuredClone(entry) });
  } finally {
    validating = false;
  }
}
