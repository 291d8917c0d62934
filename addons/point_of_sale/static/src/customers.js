// Customers at the till: the order's customer button opens a dialog to search customers (name,
// phone or e-mail: on the server, or among those this till holds when it is offline), choose
// one, create one or change a customer's phone or e-mail. Creating and editing need the server
// (it creates the customer from the template customer, customers.py): offline, the dialog says
// so and the order goes on without. Customers created or found here join the page's data (and
// its offline copy), so that tabs and receipts show their names. A customer created by mistake
// can be cancelled from the list while the page lives ("Cancel creation": the server deletes it,
// or on an autonomous till queues its deletion for the central server).
import { SignedOut, Unreachable, api } from "./http.js";
import { setCustomer } from "./sell.js";
import { configId, currentOrder, state } from "./state.js";
import { _t } from "./i18n.js";
import { $, element, toast } from "./ui.js";

const SEARCH_DELAY_MS = 150;
const offlineCreate = () => _t("Creating a customer needs the connection to the server, and this till is offline. Try again when it is back; the order can be paid without a customer.");
const offlineEdit = () => _t("Changing a customer needs the connection to the server, and this till is offline. Try again when it is back.");
const signedOut = () => _t("You are signed out: sign in again, then try again.");
const httpError = (status) => _t("The server answered HTTP {status}; try again.", { status });

let searchTimer = null;
let searchRun = 0;
let editing = null; // null: a new customer; else the customer being changed
const createdHere = new Set(); // ids of the customers created from this page (cancellable)

function field(id, label, attributes = {}) {
  return element("div", { className: "edit-field" }, element("label", { for: id }, label),
    element("input", { id, autocomplete: "off", ...attributes }));
}

function buildDialog() {
  const search = element("input", { type: "search", id: "customer-search", autocomplete: "off",
    placeholder: _t("Name, phone or e-mail"), "aria-label": _t("Search customers") });
  const list = element("div", { id: "customer-list-view" },
    search,
    element("p", { className: "help", id: "customer-note", role: "status" }),
    element("ul", { className: "customer-results", id: "customer-results", "aria-label": _t("Customers") }),
    element("div", { className: "dialog-actions" },
      element("button", { type: "button", className: "secondary", id: "customer-none" }, _t("No customer")),
      element("button", { type: "button", className: "secondary", id: "customer-new" }, _t("New customer")),
      element("button", { type: "button", className: "primary", id: "customer-close" }, _t("Close"))));
  const form = element("form", { id: "customer-form", hidden: true, noValidate: true },
    element("h3", { id: "customer-form-title" }, _t("New customer")),
    field("customer-form-name", _t("Name"), { required: true, maxLength: 128 }),
    field("customer-form-phone", _t("Phone"), { type: "tel", maxLength: 32, inputMode: "tel" }),
    field("customer-form-email", _t("E-mail"), { type: "email", maxLength: 128 }),
    element("p", { className: "form-error", id: "customer-form-error", role: "alert", hidden: true }),
    element("div", { className: "dialog-actions" },
      element("button", { type: "button", className: "secondary", id: "customer-form-cancel" }, _t("Cancel")),
      element("button", { type: "submit", className: "primary", id: "customer-form-save" }, _t("Save"))));
  const dialog = element("div", { className: "overlay", id: "customer-dialog", hidden: true },
    element("div", { className: "dialog wide", role: "dialog", "aria-modal": "true",
                     "aria-labelledby": "customer-title" },
      element("h2", { id: "customer-title" }, _t("Customer")), list, form));
  document.body.append(dialog);
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(search.value), SEARCH_DELAY_MS);
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      if (!form.hidden) showList();
      else closeDialog();
    }
  });
  $("customer-close").addEventListener("click", closeDialog);
  $("customer-none").addEventListener("click", () => choose(null));
  $("customer-new").addEventListener("click", () => showForm(null));
  $("customer-form-cancel").addEventListener("click", showList);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
}

/** Wire the customer button; called once the page's data is loaded. */
export function initCustomers() {
  if (!$("customer-dialog")) buildDialog();
  $("customer-button").addEventListener("click", openDialog);
}

function openDialog() {
  if (!currentOrder()) return;
  $("customer-dialog").hidden = false;
  showList();
  $("customer-search").value = "";
  runSearch("");
  $("customer-search").focus();
}

function closeDialog() {
  $("customer-dialog").hidden = true;
  clearTimeout(searchTimer);
  $("customer-button").focus();
}

function showList() {
  $("customer-form").hidden = true;
  $("customer-list-view").hidden = false;
  $("customer-search").focus();
}

function showForm(customer) {
  editing = customer;
  $("customer-form-title").textContent = customer ? _t("Change {name}", { name: customer.name }) : _t("New customer");
  const name = $("customer-form-name");
  name.value = customer ? customer.name : $("customer-search").value.trim();
  name.disabled = Boolean(customer);
  $("customer-form-phone").value = customer ? customer.phone || "" : "";
  $("customer-form-email").value = customer ? customer.email || "" : "";
  $("customer-list-view").hidden = true;
  $("customer-form").hidden = false;
  showFormError(navigator.onLine === false ? (customer ? offlineEdit() : offlineCreate()) : "");
  (customer ? $("customer-form-phone") : name).focus();
}

function showFormError(message) {
  const box = $("customer-form-error");
  box.textContent = message;
  box.hidden = !message;
}

/** The customers this till holds (the page's data) that match `text`, as the server would. */
export function localMatches(partners, text, limit = 20) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const digits = text.replace(/[\s.\-/()]/g, "");
  const phone = /^\+?\d{3,}$/.test(digits);
  return partners.filter((p) => !p.is_customer_template && (
    words.every((word) => `${p.name} ${p.email || ""} ${p.phone || ""}`.toLowerCase().includes(word))
    || (phone && (p.phone || "").replace(/[\s.\-/()]/g, "").includes(digits))))
    .sort((a, b) => a.name.localeCompare(b.name)).slice(0, limit);
}

async function runSearch(text) {
  const run = ++searchRun;
  let found = null;
  let note = "";
  try {
    const response = await api(`/pos/customers?q=${encodeURIComponent(text.trim().slice(0, 100))}`);
    if (response.ok && response.body && Array.isArray(response.body.customers)) {
      found = response.body.customers;
      found.forEach(remember);
    } else {
      note = response.body?.error?.message || _t("The server answered HTTP {status}.", { status: response.status });
    }
  } catch (error) {
    if (error instanceof SignedOut) note = _t("You are signed out: sign in again to search the server.");
    else if (!(error instanceof Unreachable)) throw error;
    else note = _t("Offline: searching the customers this till knows.");
  }
  if (run !== searchRun) return; // a newer search answered first
  if (found === null) found = localMatches(state.data.partners || [], text);
  $("customer-note").textContent = note || (found.length ? "" : _t("No customer matches “{text}”.", { text: text.trim() }));
  renderResults(found);
}

function renderResults(customers) {
  const current = currentOrder()?.partner_id;
  $("customer-results").replaceChildren(...customers.map((customer) => {
    const pick = element("button", { type: "button", className: "customer-pick",
                                     "aria-pressed": String(customer.id === current) },
      element("strong", {}, customer.name),
      element("span", { className: "muted" }, [customer.phone, customer.email].filter(Boolean).join(" · ")));
    pick.addEventListener("click", () => choose(customer));
    const edit = element("button", { type: "button", className: "ghost",
                                     "aria-label": _t("Change {name}", { name: customer.name }) }, _t("Edit"));
    edit.addEventListener("click", () => showForm(customer));
    const actions = [pick, edit];
    if (createdHere.has(customer.id)) {
      const cancel = element("button", { type: "button", className: "ghost",
                                         "aria-label": _t("Cancel the creation of {name}", { name: customer.name }) }, _t("Cancel creation"));
      cancel.addEventListener("click", () => abandon(customer));
      actions.push(cancel);
    }
    return element("li", { dataset: { customerId: String(customer.id) } }, ...actions);
  }));
}

function choose(customer) {
  if (customer) remember(customer);
  setCustomer(customer ? customer.id : null);
  closeDialog();
}

/** Keep a customer in the page's data and its offline copy (replacing an older copy). */
function remember(customer) {
  const partners = state.data.partners || (state.data.partners = []);
  const index = partners.findIndex((p) => p.id === customer.id);
  if (index >= 0) partners[index] = { ...partners[index], ...customer };
  else partners.push(customer);
  saveData();
}

let saving = null;
function saveData() {
  // One write at a time, the last one winning: searches may remember many customers at once.
  if (saving) { saving.again = true; return; }
  saving = { again: false };
  const key = `data:${configId}`;
  (async () => {
    do {
      saving.again = false;
      const cached = await state.store.getCached(key);
      if (cached) await state.store.setCached(key, { ...cached, data: { ...cached.data, partners: state.data.partners } });
    } while (saving.again);
  })().catch((error) => console.warn("could not keep the customers offline", error))
    .finally(() => { saving = null; });
}

async function save() {
  const button = $("customer-form-save");
  const values = { config_id: configId, phone: $("customer-form-phone").value.trim(),
                   email: $("customer-form-email").value.trim() };
  if (!editing) {
    values.name = $("customer-form-name").value.trim();
    if (!values.name) { showFormError(_t("A customer needs a name.")); $("customer-form-name").focus(); return; }
    for (const key of ["phone", "email"]) if (!values[key]) delete values[key];
  }
  button.disabled = true;
  try {
    const path = editing ? `/pos/customers/${editing.id}` : "/pos/customers";
    const response = await api(path, { method: "POST", json: values });
    if (response.ok && response.body && response.body.customer) {
      const customer = response.body.customer;
      toast(editing ? _t("{name} is changed", { name: customer.name }) : _t("{name} is created", { name: customer.name }));
      if (editing) {
        remember(customer);
        showList();
        runSearch($("customer-search").value);
      } else {
        createdHere.add(customer.id);
        choose(customer);
      }
      return;
    }
    const error = response.body && response.body.error;
    showFormError(error && error.code === "needs_server" ? (editing ? offlineEdit() : offlineCreate())
      : error ? error.message : httpError(response.status));
  } catch (error) {
    if (error instanceof Unreachable) showFormError(editing ? offlineEdit() : offlineCreate());
    else if (error instanceof SignedOut) showFormError(signedOut());
    else throw error;
  } finally {
    button.disabled = false;
  }
}

/** The cashier cancels a customer created here by mistake: gone from the server (or queued for
 * the central server on an autonomous till), from this page and from the order. */
async function abandon(customer) {
  try {
    const response = await api(`/pos/customers/${customer.id}/abandon`,
                               { method: "POST", json: { config_id: configId } });
    if (!response.ok) {
      toast(response.body?.error?.message || httpError(response.status), "error");
      return;
    }
  } catch (error) {
    if (error instanceof Unreachable) { toast(_t("Cancelling a creation needs the connection to the server; try again when it is back."), "error"); return; }
    if (error instanceof SignedOut) { toast(signedOut(), "error"); return; }
    throw error;
  }
  createdHere.delete(customer.id);
  state.data.partners = (state.data.partners || []).filter((p) => p.id !== customer.id);
  saveData();
  if (currentOrder()?.partner_id === customer.id) setCustomer(null);
  toast(_t("The creation of {name} is cancelled", { name: customer.name }));
  runSearch($("customer-search").value);
}
