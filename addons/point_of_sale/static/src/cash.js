// Cash control at the till (cash_control.py): the header's Cash button opens a dialog to count
// the session's opening float (a total, or by denomination) and to record a cash in or a cash
// out with its reason; it lists the session's moves and the cash expected in the drawer.
// A move above the config's limit needs a manager: the server says so (approval_required).
// Every move has a uuid made here, so a retried request is stored once.
import { hub } from "./hub.js";
import { SignedOut, api } from "./http.js";
import * as money from "./money.js";
import { state } from "./state.js";
import { $, element, focusField, money2, toast } from "./ui.js";

const DENOMINATIONS = ["500", "200", "100", "50", "20", "10", "5", "2", "1", "0.50", "0.20",
  "0.10", "0.05", "0.02", "0.01"];

const cents = (text) => {
  if (text === null || text === undefined) return null;
  return money.cents(String(text).trim().replace(",", "."));
};
const shown = (text) => (text === null || text === undefined ? "—" : money2(cents(text)));
const errorText = (response, what) => (response.body && response.body.error
  ? response.body.error.message : `${what} failed (HTTP ${response.status})`);
const newUuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`);

let cash = null; // the session's cash as the server last said it
let busy = false;

function buildDialog() {
  const field = (id, label, props = {}) => [
    element("label", { for: id, className: "cash-field" }, label),
    element("input", { id, className: "cash-input", autocomplete: "off", ...props })];
  const kinds = element("div", { className: "payment-methods", role: "radiogroup", "aria-label": "Cash in or out" },
    ...[["in", "Cash in"], ["out", "Cash out"]].map(([kind, label]) => {
      const button = element("button", { type: "button", className: "secondary", role: "radio",
                                         dataset: { kind } }, label);
      button.setAttribute("aria-checked", String(kind === "out"));
      button.addEventListener("click", () => {
        for (const other of kinds.children) other.setAttribute("aria-checked", String(other === button));
      });
      return button;
    }));
  const denominations = element("div", { className: "cash-denominations", id: "cash-denominations", hidden: true },
    ...DENOMINATIONS.map((value) => element("label", {}, `${value} ×`,
      element("input", { className: "cash-count", inputMode: "numeric", autocomplete: "off",
                         dataset: { value }, "aria-label": `Count of ${value}` }))));
  denominations.addEventListener("input", () => {
    let total = 0;
    for (const input of denominations.querySelectorAll("input")) {
      const count = Number(input.value || 0);
      if (Number.isInteger(count) && count > 0) total += count * cents(input.dataset.value);
    }
    $("cash-float").value = money.formatCents(total);
  });
  const byDenomination = element("button", { type: "button", className: "ghost", id: "cash-by-denomination" },
    "Count by denomination");
  byDenomination.addEventListener("click", () => { denominations.hidden = !denominations.hidden; });
  const recordFloat = element("button", { type: "button", className: "primary", id: "cash-record-float" },
    "Record the float");
  recordFloat.addEventListener("click", () => record("float"));
  const recordMove = element("button", { type: "button", className: "primary", id: "cash-record-move" },
    "Record");
  recordMove.addEventListener("click", () => record(
    kinds.querySelector("[aria-checked=true]").dataset.kind));
  const close = element("button", { type: "button", className: "secondary", id: "cash-close" }, "Close");
  close.addEventListener("click", closeDialog);
  const dialog = element("div", { className: "overlay", id: "cash-dialog", hidden: true },
    element("div", { className: "dialog wide", role: "dialog", "aria-modal": "true", "aria-labelledby": "cash-title" },
      element("h2", { id: "cash-title" }, "Cash"),
      element("p", { className: "muted", id: "cash-expected", role: "status" }),
      element("section", { id: "cash-float-section", "aria-label": "Opening float" },
        element("h3", {}, "Opening float"),
        ...field("cash-float", "Float counted in the drawer", { inputMode: "decimal" }),
        byDenomination, denominations, recordFloat),
      element("section", { "aria-label": "Cash in or out" },
        element("h3", {}, "Cash in or out"), kinds,
        ...field("cash-amount", "Amount", { inputMode: "decimal" }),
        ...field("cash-reason", "Reason", { maxLength: 200 }),
        recordMove),
      element("ul", { className: "cash-moves", id: "cash-moves", "aria-label": "Cash moves" }),
      element("div", { className: "dialog-actions" }, close)));
  dialog.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDialog(); });
  document.body.append(dialog);
}

function render() {
  if (!cash) return;
  const floatCounted = cash.opening_float !== null;
  $("cash-float-section").hidden = floatCounted;
  $("cash-expected").textContent = `Expected in the drawer: ${shown(cash.expected_cash)} `
    + `(float ${shown(cash.opening_float || "0")} + cash sales ${shown(cash.cash_sales)} `
    + `− refunds ${shown(cash.cash_refunds)} + in ${shown(cash.cash_in)} − out ${shown(cash.cash_out)}). `
    + `A manager approves moves over ${shown(cash.approval_limit)}.`;
  const words = { float: "Opening float", in: "Cash in", out: "Cash out" };
  $("cash-moves").replaceChildren(...cash.moves.map((move) => element("li", { dataset: { kind: move.kind } },
    `${words[move.kind]} ${move.kind === "out" ? "−" : "+"}${shown(move.amount)}`,
    move.reason ? ` · ${move.reason}` : "",
    move.approved_by ? ` · approved by ${move.approved_by}` : "")));
  const button = $("cash-button");
  if (button) button.dataset.float = floatCounted ? "counted" : "missing";
}

async function load() {
  const session = state.data && state.data.session;
  if (!session) return false;
  try {
    const response = await api(`/pos/session/${session.id}/cash`);
    if (!response.ok) { toast(errorText(response, "Reading the cash"), "error"); return false; }
    cash = response.body;
    render();
    return true;
  } catch (error) {
    toast(error instanceof SignedOut ? "Sign in again to count the cash."
      : `Cash control needs the server: ${error.message}`, "error");
    return false;
  }
}

export async function openCash() {
  if (!$("cash-dialog")) buildDialog();
  if (!(await load())) return;
  $("cash-dialog").hidden = false;
  focusField(cash.opening_float === null ? "cash-float" : "cash-amount");
}

function closeDialog() {
  $("cash-dialog").hidden = true;
}

async function record(kind) {
  if (busy) return;
  const session = state.data.session;
  const body = { uuid: newUuid(), kind };
  if (kind === "float") {
    const counted = [...$("cash-denominations").querySelectorAll("input")]
      .filter((input) => !$("cash-denominations").hidden && Number(input.value) > 0)
      .map((input) => ({ value: input.dataset.value, count: Number(input.value) }));
    if (counted.length) body.denominations = counted;
    else body.amount = $("cash-float").value.trim().replace(",", ".");
  } else {
    body.amount = $("cash-amount").value.trim().replace(",", ".");
    body.reason = $("cash-reason").value;
  }
  busy = true;
  try {
    const response = await api(`/pos/session/${session.id}/cash`, { method: "POST", json: body });
    if (!response.ok) { toast(errorText(response, "Recording the cash"), "error"); return; }
    cash = response.body;
    render();
    const words = { float: "Opening float", in: "Cash in", out: "Cash out" };
    toast(`${words[kind]} of ${shown(response.body.move.amount)} recorded.`);
    if (kind !== "float") { $("cash-amount").value = ""; $("cash-reason").value = ""; }
    hub.dispatchEvent(new CustomEvent("pos:cash-move", { detail: structuredClone(response.body.move) }));
  } catch (error) {
    toast(error instanceof SignedOut ? "Sign in again to record cash."
      : `Not recorded (the server is needed): ${error.message}`, "error");
  } finally {
    busy = false;
  }
}

hub.addEventListener("pos:loaded", () => {
  if (!state.canSell || !state.data.session || $("cash-button")) return;
  const button = element("button", { type: "button", className: "header-button", id: "cash-button" }, "Cash");
  button.title = "Opening float, cash in and cash out";
  button.addEventListener("click", openCash);
  $("sync-indicator").before(button);
});
