// The payment screen: cash received (keypad, quick amounts), the change, and the payment itself:
// the paid order moves from open_orders to the outbox in one transaction, then is pushed.
import { emit } from "./hub.js";
import * as money from "./money.js";
import * as model from "./order.js";
import { showReceipt } from "./receipt.js";
import { renderTabs } from "./sell.js";
import { configId, currentOrder, state } from "./state.js";
import { $, element, focusField, money2, showScreen, toast } from "./ui.js";

function paymentAmounts() {
  const order = currentOrder();
  const total = money.orderTotals(order.lines).total;
  const text = $("cash-input").value.trim();
  const paid = text === "" ? 0 : money.cents(text);
  return { order, total, paid };
}

export function openPayment() {
  const order = currentOrder();
  if (!order || !model.orderValid(order) || !state.canSell) return;
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

export function renderPayment() {
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

export function keypad(key) {
  const input = $("cash-input");
  if (key === "C") input.value = "";
  else if (key === "Backspace") input.value = input.value.slice(0, -1);
  else if (key === ".") { if (!input.value.includes(".")) input.value = `${input.value || "0"}.`; }
  else input.value += key;
  renderPayment();
}

let validating = false;
export async function validatePayment() {
  if (validating) return;
  const { order, total, paid } = paymentAmounts();
  if (!order || paid === null || paid < total || !model.orderValid(order)) return;
  validating = true;
  try {
    const now = new Date();
    const partner = order.partner_id ? state.data.partners.find((p) => p.id === order.partner_id) : null;
    const wire = model.toWire(order, paid, now);
    const entry = {
      uuid: order.uuid,
      config_id: configId,
      order: wire,
      status: "pending",
      paid_at: now.toISOString(),
      receipt: model.receipt(order, { configName: state.data.config.name, config: state.data.config,
                                      sessionName: state.data.session.name,
                                      partnerName: partner ? partner.name : null, paid, now }),
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
