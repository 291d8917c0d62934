// Who is at the till: the header's cashier button names them; tapping it switches to another
// cashier of this till with their PIN, without reloading the page or touching the orders on
// screen. Each paid order carries the cashier's login (sealed with the ticket, staff.py).
//
// Online, the server checks the PIN (POST /pos/config/<id>/cashier: it counts wrong tries and
// locks). When the server cannot be reached, the page checks it against what the till holds:
// the verifier the server made for this till (HMAC-SHA256 keyed with PBKDF2-SHA256 of the PIN,
// of "comptoir-pin:<config id>", WebCrypto), counting wrong tries itself in localStorage with
// the same policy (data.pin_policy).
import { hub } from "./hub.js";
import { _t } from "./i18n.js";
import { Unreachable, api } from "./http.js";
import * as money from "./money.js";
import { addReceiptSection } from "./receipt.js";
import { configId, state } from "./state.js";
import { $, element, focusField, toast } from "./ui.js";

const CURRENT_KEY = `comptoir.cashier.${configId}`;
const triesKey = (userId) => `comptoir.pin-tries.${configId}.${userId}`;
let chosen = null; // the cashier whose PIN is being typed

const cashiers = () => (state.data && state.data.cashiers) || [];
const policy = () => (state.data && state.data.pin_policy) || { max_failures: 5, lock_seconds: 300 };

function setCashier(cashier) {
  state.cashier = cashier ? { id: cashier.id, login: cashier.login, role: cashier.role } : null;
  try {
    sessionStorage.setItem(CURRENT_KEY, JSON.stringify(state.cashier));
  } catch { /* private mode: the header still says it */ }
  const button = $("cashier-button");
  if (button) {
    button.textContent = state.cashier ? state.cashier.login : _t("Cashier");
    button.dataset.cashier = state.cashier ? state.cashier.login : "";
  }
  document.body.dataset.cashier = state.cashier ? state.cashier.login : "";
  hub.dispatchEvent(new CustomEvent("pos:cashier", { detail: state.cashier }));
}

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
const bytes = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));

/** HMAC-SHA256 of `text` keyed with PBKDF2-SHA256 of `pin` (the salt and iterations of
 * `cashier`'s PIN): hex (WebCrypto; secure contexts only). */
async function signedWithPin(cashier, pin, text) {
  const subtle = globalThis.crypto && crypto.subtle;
  if (!subtle) throw new Error(_t("This page cannot check PINs offline (it needs HTTPS)."));
  const { salt, iterations } = cashier.pin;
  const base = await subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
  const key = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: bytes(salt), iterations }, base, 256);
  const mac = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await subtle.sign("HMAC", mac, new TextEncoder().encode(text)));
}

/** Whether `pin` matches this till's verifier of `cashier`. */
async function matchesHere(cashier, pin) {
  return (await signedWithPin(cashier, pin, `comptoir-pin:${configId}`)) === cashier.pin.verifier;
}

function readTries(userId) {
  try {
    return JSON.parse(localStorage.getItem(triesKey(userId))) || { failures: 0, lockedUntil: 0 };
  } catch {
    return { failures: 0, lockedUntil: 0 };
  }
}

const writeTries = (userId, tries) => localStorage.setItem(triesKey(userId), JSON.stringify(tries));

/** The offline check, with this till's own count of wrong tries: {ok} or {code, message}. */
async function checkHere(cashier, pin) {
  if (!cashier.pin) return { code: "no_pin", message: _t("This cashier has no PIN yet: a manager sets one on the admin's Staff page.") };
  const tries = readTries(cashier.id);
  const now = Date.now();
  if (tries.lockedUntil > now) {
    return { code: "pin_locked", message: _t("Too many wrong PINs: locked for {seconds} more seconds, or until a manager sets a new PIN.", { seconds: Math.ceil((tries.lockedUntil - now) / 1000) }) };
  }
  if (/^[0-9]{4,8}$/.test(pin) && await matchesHere(cashier, pin)) {
    writeTries(cashier.id, { failures: 0, lockedUntil: 0 });
    return { ok: true };
  }
  const { max_failures: max, lock_seconds: lock } = policy();
  const failures = tries.failures + 1;
  if (failures >= max) {
    writeTries(cashier.id, { failures: 0, lockedUntil: now + lock * 1000 });
    return { code: "pin_locked", message: _t("Too many wrong PINs: locked for {seconds} seconds, or until a manager sets a new PIN.", { seconds: lock }) };
  }
  writeTries(cashier.id, { failures, lockedUntil: 0 });
  return { code: "wrong_pin", message: _t("Wrong PIN ({left} tries left before it locks).", { left: max - failures }) };
}

/** The PIN of `cashier` checked by the server, or here when it cannot be reached: {ok} or
 * {code, message}. Exported for approvals (a manager's PIN). */
export async function verifyPin(cashier, pin, { path = `/pos/config/${configId}/cashier`, extra = {} } = {}) {
  try {
    const response = await api(path, { method: "POST", json: { user_id: cashier.id, pin, ...extra }, timeoutMs: 4000 });
    if (response.ok) return { ok: true, body: response.body };
    const error = response.body && response.body.error;
    return { code: error ? error.code : "error", message: error ? error.message : _t("The PIN could not be checked (HTTP {status}).", { status: response.status }) };
  } catch (error) {
    if (!(error instanceof Unreachable)) throw error;
    const result = await checkHere(cashier, pin);
    return result.ok ? { ok: true, offline: true } : result;
  }
}

function showError(message) {
  const box = $("cashier-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function choose(cashier) {
  chosen = cashier;
  for (const button of $("cashier-list").children) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.userId) === cashier.id));
  }
  $("cashier-pin-row").hidden = false;
  $("cashier-pin").value = "";
  showError("");
  focusField("cashier-pin");
}

async function submitPin(event) {
  event.preventDefault();
  if (!chosen) return;
  const button = $("cashier-submit");
  button.disabled = true;
  try {
    const result = await verifyPin(chosen, $("cashier-pin").value.trim());
    if (!result.ok) {
      showError(result.message);
      $("cashier-pin").value = "";
      focusField("cashier-pin");
      return;
    }
    setCashier(chosen);
    closeDialog();
    toast(_t("{login} is at the till.", { login: chosen.login }));
  } catch (error) {
    showError(error.message || String(error));
  } finally {
    button.disabled = false;
  }
}

function buildDialog() {
  const form = element("form", { className: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "cashier-title" },
    element("h2", { id: "cashier-title" }, _t("Switch cashier")),
    element("div", { className: "payment-methods", id: "cashier-list", role: "group", "aria-label": _t("Cashiers") }),
    element("div", { id: "cashier-pin-row", hidden: true },
      element("label", { for: "cashier-pin", className: "cash-field" }, _t("PIN")),
      element("input", { id: "cashier-pin", className: "cash-input", type: "password", inputMode: "numeric",
                         autocomplete: "off", maxLength: 8 })),
    element("p", { className: "error", id: "cashier-error", role: "alert", hidden: true }),
    element("div", { className: "dialog-actions" },
      element("button", { type: "button", className: "secondary", id: "cashier-cancel" }, _t("Cancel")),
      element("button", { type: "submit", className: "primary", id: "cashier-submit" }, _t("Switch"))));
  form.addEventListener("submit", submitPin);
  const overlay = element("div", { className: "overlay", id: "cashier-dialog", hidden: true }, form);
  overlay.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDialog(); });
  document.body.append(overlay);
  $("cashier-cancel").addEventListener("click", closeDialog);
}

function openDialog() {
  if (!$("cashier-dialog")) buildDialog();
  const list = $("cashier-list");
  list.replaceChildren(...cashiers().map((cashier) => {
    const button = element("button", { type: "button", className: "secondary", dataset: { userId: String(cashier.id) } },
      cashier.login);
    button.addEventListener("click", () => choose(cashier));
    return button;
  }));
  if (!cashiers().length) showError(_t("No cashier is allowed on this till yet: an admin allows them on the Users page."));
  else showError("");
  chosen = null;
  $("cashier-pin-row").hidden = true;
  $("cashier-dialog").hidden = false;
}

function closeDialog() {
  const dialog = $("cashier-dialog");
  if (dialog) dialog.hidden = true;
  chosen = null;
}

addReceiptSection((receipt, entry) => (entry && entry.order && entry.order.cashier
  ? [[_t("Cashier"), entry.order.cashier]] : null));

hub.addEventListener("pos:loaded", () => {
  if ($("cashier-button")) return;
  const button = element("button", { type: "button", className: "header-button", id: "cashier-button" });
  button.title = _t("Switch cashier");
  button.addEventListener("click", openDialog);
  $("sync-indicator").before(button);
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(CURRENT_KEY));
  } catch { kept = null; }
  const signedIn = state.data.signed_in;
  const known = (who) => who && (cashiers().some((c) => c.id === who.id) || (signedIn && signedIn.id === who.id));
  setCashier(known(kept) ? kept : signedIn);
});

// -- a manager's approval at the till ------------------------------------------------------------

const APPROVAL_WORDS = () => ({
  closing: _t("closing the session"), refund: _t("a refund"), discount: _t("this discount"),
  price_override: _t("a price change"), delete_order: _t("deleting an order that has lines"),
  cash_out: _t("a cash out"), cash_in: _t("a cash in"),
});

/** Ask a manager of this till for their PIN to approve `action` (the server checks it):
 * resolves {user_id, pin}, or null when cancelled. `message`: why it is asked again. */
export function askApproval(action, message = "") {
  const managers = cashiers().filter((c) => c.role === "manager" || c.role === "admin");
  return new Promise((resolve) => {
    let picked = managers.length === 1 ? managers[0] : null;
    const pin = element("input", { id: "approval-pin", className: "cash-input", type: "password",
                                   inputMode: "numeric", autocomplete: "off", maxLength: 8 });
    const list = element("div", { className: "payment-methods", role: "group", "aria-label": _t("Managers") },
      ...managers.map((manager) => {
        const button = element("button", { type: "button", className: "secondary", dataset: { userId: String(manager.id) } },
          manager.login);
        button.setAttribute("aria-pressed", String(picked === manager));
        button.addEventListener("click", () => {
          picked = manager;
          for (const other of list.children) other.setAttribute("aria-pressed", String(other === button));
          focusField("approval-pin");
        });
        return button;
      }));
    const error = element("p", { className: "error", id: "approval-error", role: "alert", hidden: !message }, message);
    const finish = (value) => { overlay.remove(); resolve(value); };
    const form = element("form", { className: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "approval-title" },
      element("h2", { id: "approval-title" }, _t("Manager approval")),
      element("p", {}, _t("A manager of this till approves {what}.", { what: APPROVAL_WORDS()[action] || action })),
      managers.length ? list : element("p", { className: "error" }, _t("No manager of this till has a PIN: a manager signs in to do it.")),
      element("label", { for: "approval-pin", className: "cash-field" }, _t("Manager's PIN")), pin, error,
      element("div", { className: "dialog-actions" },
        element("button", { type: "button", className: "secondary", id: "approval-cancel" }, _t("Cancel")),
        element("button", { type: "submit", className: "primary", id: "approval-submit" }, _t("Approve"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!picked) {
        error.textContent = _t("Choose the manager who approves.");
        error.hidden = false;
        return;
      }
      finish({ user_id: picked.id, pin: pin.value.trim() });
    });
    const overlay = element("div", { className: "overlay", id: "approval-dialog" }, form);
    overlay.addEventListener("keydown", (event) => { if (event.key === "Escape") finish(null); });
    document.body.append(overlay);
    form.querySelector("#approval-cancel").addEventListener("click", () => finish(null));
    focusField("approval-pin");
  });
}

/** Codes of a refusal that a manager's PIN answers (close.js, cash.js...). */
export const NEEDS_APPROVAL = ["approval_required", "manager_only", "wrong_pin", "pin_locked"];

/** A manager's approval of `action` at this till, kept by the server with `extra` (order_uuid,
 * session_id, details): none asked when the page's signed-in user is a manager of the till;
 * else a manager's PIN, asked again while it is wrong. Offline, the PIN is checked against
 * what the till holds (not recorded then). Resolves the approval, or null (cancelled, locked). */
export async function requireApproval(action, extra = {}) {
  let approval = null;
  let message = "";
  for (;;) {
    let response;
    try {
      response = await api(`/pos/config/${configId}/approval`, {
        method: "POST", json: { action, ...extra, ...(approval ? { approval } : {}) }, timeoutMs: 4000 });
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      return approveHere(action, message, extra.order_uuid);
    }
    if (response.ok) return response.body.approval;
    const error = (response.body && response.body.error) || {};
    if (!NEEDS_APPROVAL.includes(error.code) || error.code === "pin_locked") {
      toast(error.message || _t("Not approved (HTTP {status}).", { status: response.status }), "error");
      return null;
    }
    message = approval ? error.message : "";
    approval = await askApproval(action, message);
    if (!approval) return null;
  }
}

/** Offline: the page's signed-in manager approves (the push, signed in, says so), else a
 * manager's PIN checked here. For an order, the PIN also signs its uuid and the action (the
 * `proof` the server checks with the order: order_approvals.py), so the approval reaches the
 * server with the order and is recorded there. */
async function approveHere(action, message, orderUuid) {
  const signedIn = state.data && state.data.signed_in;
  if (signedIn && (signedIn.role === "manager" || signedIn.role === "admin")) {
    return { action, approver: signedIn.login, via: "signed_in", offline: true };
  }
  for (;;) {
    const approval = await askApproval(action, message);
    if (!approval) return null;
    const manager = cashiers().find((c) => c.id === approval.user_id);
    const result = await checkHere(manager, approval.pin);
    if (result.ok) {
      const proof = orderUuid
        ? await signedWithPin(manager, approval.pin, `comptoir-approval:${configId}:${orderUuid}:${action}`) : null;
      return { action, approver: manager.login, via: "pin", offline: true, user_id: manager.id, proof,
               approved_at: new Date().toISOString() };
    }
    if (result.code === "pin_locked") {
      toast(result.message, "error");
      return null;
    }
    message = result.message;
  }
}

/** What of `order` needs a manager at payment: a refund, a line discount above the config's
 * limit, a line price other than its product's. */
export function actionsToApprove(order, refund, data = state.data) {
  const limit = BigInt(Math.round(((data.pin_policy || {}).discount_approval_percent ?? 100) * 100));
  const prices = new Map((data.products || []).map((p) => [p.id, p.price]));
  const actions = [];
  if (refund) actions.push("refund");
  if (order.lines.some((line) => (money.parsePercent(line.discount) ?? 0n) > limit)) actions.push("discount");
  if (!refund && order.lines.some((line) => prices.has(line.product_id)
      && money.cents(line.price_unit) !== money.cents(prices.get(line.product_id)))) actions.push("price_override");
  return actions;
}

/** Before paying `order`: each approval it needs (actionsToApprove), asked once and kept on the
 * order (`approvals`, their uuids with the ticket on the server). False when one is refused. */
export async function approveOrder(order, refund) {
  order.approvals = order.approvals || [];
  for (const action of actionsToApprove(order, refund)) {
    if (order.approvals.some((a) => a.action === action)) continue;
    const approved = await requireApproval(action, {
      order_uuid: order.uuid, session_id: order.session_id,
      details: { reference: order.reference, cashier: state.cashier ? state.cashier.login : null } });
    if (!approved) return false;
    order.approvals.push({ action, approver: approved.approver, uuid: approved.uuid || null,
                           ...(approved.proof ? { user_id: approved.user_id, proof: approved.proof,
                                                  approved_at: approved.approved_at } : {}) });
  }
  return true;
}
