// Cash control at the till (cash_control.py): the header's Cash button opens a dialog to count
// the session's opening float (a total, or by denomination) and to record a cash in or a cash
// out with its reason; it lists the session's moves and the cash expected in the drawer.
// A move above the config's limit needs a manager: the server says so (approval_required) and
// the page asks a manager of the till for their PIN (staff.js askApproval), then sends again.
// Every move has a uuid made here, so a retried request is stored once.
import { hub } from "./hub.js";
import { _t } from "./i18n.js";
import { SignedOut, api } from "./http.js";
import * as money from "./money.js";
import { NEEDS_APPROVAL, askApproval } from "./staff.js";
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
  ? response.body.error.message : _t("{what} failed (HTTP {status})", { what, status: response.status }));
const newUuid = () => (crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now().toString(16)}-${Math.random().toString(16).slice(2)}`);

const moveWords = () => ({ float: _t("Opening float"), in: _t("Cash in"), out: _t("Cash out") });

let cash = null; // the session's cash as the server last said it
let busy = false;

function buildDialog() {
  const field = (id, label, props = {}) => [
    element("label", { for: id, className: "cash-field" }, label),
    element("input", { id, className: "cash-input", autocomplete: "off", ...props })];
  const kinds = element("div", { className: "payment-methods", role: "radiogroup", "aria-label": _t("Cash in or out") },
    ...[["in", _t("Cash in")], ["out", _t("Cash out")]].map(([kind, label]) => {
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
                         dataset: { value }, "aria-label": _t("Count of {value}", { value }) }))));
  denominations.addEventListener("input", () => {
    let total = 0;
    for (const input of denominations.querySelectorAll("input")) {
      const count = Number(input.value || 0);
      if (Number.isInteger(count) && count > 0) total += count * cents(input.dataset.value);
    }
    $("cash-float").value = money.formatCents(total);
  });
  const byDenomination = element("button", { type: "button", className: "ghost", id: "cash-by-denomination" },
    _t("Count by denomination"));
  byDenomination.addEventListener("click", () => { denominations.hidden = !denominations.hidden; });
  const recordFloat = element("button", { type: "button", className: "primary", id: "cash-record-float" },
    _t("Record the float"));
  recordFloat.addEventListener("click", () => record("float"));
  const recordMove = element("button", { type: "button", className: "primary", id: "cash-record-move" },
    _t("Record"));
  recordMove.addEventListener("click", () => record(
    kinds.querySelector("[aria-checked=true]").dataset.kind));
  const close = element("button", { type: "button", className: "secondary", id: "cash-close" }, _t("Close"));
  close.addEventListener("click", closeDialog);
  const dialog = element("div", { className: "overlay", id: "cash-dialog", hidden: true },
    element("div", { className: "dialog wide", role: "dialog", "aria-modal": "true", "aria-labelledby": "cash-title" },
      element("h2", { id: "cash-title" }, _t("Cash")),
      element("p", { className: "muted", id: "cash-expected", role: "status" }),
      element("section", { id: "cash-float-section", "aria-label": _t("Opening float") },
        element("h3", {}, _t("Opening float")),
        ...field("cash-float", _t("Float counted in the drawer"), { inputMode: "decimal" }),
        byDenomination, denominations, recordFloat),
      element("section", { "aria-label": _t("Cash in or out") },
        element("h3", {}, _t("Cash in or out")), kinds,
        ...field("cash-amount", _t("Amount"), { inputMode: "decimal" }),
        ...field("cash-reason", _t("Reason"), { maxLength: 200 }),
        recordMove),
      element("ul", { className: "cash-moves", id: "cash-moves", "aria-label": _t("Cash moves") }),
      element("div", { className: "dialog-actions" }, close)));
  dialog.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDialog(); });
  document.body.append(dialog);
}

function render() {
  if (!cash) return;
  const floatCounted = cash.opening_float !== null;
  $("cash-float-section").hidden = floatCounted;
  $("cash-expected").textContent = _t("Expected in the drawer: {expected} (float {float} + cash sales "
    + "{sales} − refunds {refunds} + in {in} − out {out}). A manager approves moves over {limit}.", {
    expected: shown(cash.expected_cash), float: shown(cash.opening_float || "0"),
    sales: shown(cash.cash_sales), refunds: shown(cash.cash_refunds), in: shown(cash.cash_in),
    out: shown(cash.cash_out), limit: shown(cash.approval_limit) });
  const words = moveWords();
  $("cash-moves").replaceChildren(...cash.moves.map((move) => element("li", { dataset: { kind: move.kind } },
    `${words[move.kind]} ${move.kind === "out" ? "−" : "+"}${shown(move.amount)}`,
    move.reason ? ` · ${move.reason}` : "",
    move.approved_by ? ` · ${_t("approved by {name}", { name: move.approved_by })}` : "")));
  const button = $("cash-button");
  if (button) button.dataset.float = floatCounted ? "counted" : "missing";
}

async function load() {
  const session = state.data && state.data.session;
  if (!session) return false;
  try {
    const response = await api(`/pos/session/${session.id}/cash`);
    if (!response.ok) { toast(errorText(response, _t("Reading the cash")), "error"); return false; }
    cash = response.body;
    render();
    return true;
  } catch (error) {
    toast(error instanceof SignedOut ? _t("Sign in again to count the cash.")
      : _t("Cash control needs the server: {error}", { error: error.message }), "error");
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
    let response = await api(`/pos/session/${session.id}/cash`, { method: "POST", json: body });
    // Above the limit and not a manager here: a manager of the till approves with their PIN.
    while (!response.ok && response.body && response.body.error
           && NEEDS_APPROVAL.includes(response.body.error.code) && response.body.error.code !== "pin_locked") {
      const code = response.body.error.code;
      const first = code === "approval_required" || code === "manager_only";
      const approval = await askApproval(kind === "in" ? "cash_in" : "cash_out",
                                         first ? "" : response.body.error.message);
      if (!approval) return;
      response = await api(`/pos/session/${session.id}/cash`, { method: "POST", json: { ...body, approval } });
    }
    if (!response.ok) { toast(errorText(response, _t("Recording the cash")), "error"); return; }
    cash = response.body;
    render();
    toast(_t("{move} of {amount} recorded.", { move: moveWords()[kind], amount: shown(response.body.move.amount) }));
    if (kind !== "float") { $("cash-amount").value = ""; $("cash-reason").value = ""; }
    hub.dispatchEvent(new CustomEvent("pos:cash-move", { detail: structuredClone(response.body.move) }));
  } catch (error) {
    toast(error instanceof SignedOut ? _t("Sign in again to record cash.")
      : _t("Not recorded (the server is needed): {error}", { error: error.message }), "error");
  } finally {
    busy = false;
  }
}

hub.addEventListener("pos:loaded", () => {
  if (!state.canSell || !state.data.session || $("cash-button")) return;
  const button = element("button", { type: "button", className: "header-button", id: "cash-button" }, _t("Cash"));
  button.title = _t("Opening float, cash in and cash out");
  button.addEventListener("click", openCash);
  $("sync-indicator").before(button);
});
