// The sell screen: open orders (tabs), the order on screen with its lines and line editor, the
// customer, categories, the product grid, search and barcodes. Every change of an order is saved
// in IndexedDB and announced as "pos:order-changed".
import { traceCancellation } from "./cancellations.js";
import { emit } from "./hub.js";
import * as money from "./money.js";
import * as model from "./order.js";
import { configId, currentOrder, state } from "./state.js";
import { _t, ngettext } from "./i18n.js";
import { $, confirmDialog, element, money2, numberText, showScreen, toast } from "./ui.js";
import { requireApproval } from "./staff.js";

export function saveOrder(order) {
  state.store.put("open_orders", order).catch((error) => {
    console.error("could not save the open order", error);
    toast(_t("This till could not save the order on the device"), "error");
  });
}

export function orderChanged(order, { save = true } = {}) {
  if (save) saveOrder(order);
  emit("pos:order-changed", structuredClone(order));
}

/** This device drew the order's number (`own_sequence`, set when drawn) and nobody renumbered
 * it since: a number it may give back or use again. Orders of other tills are never so. */
const ownNumber = (order) => Boolean(order.sequence_number)
  && order.own_sequence === order.sequence_number && order.session_id === state.data.session.id;

/** A new open order, numbered; `reuseEmpty`: select an empty order of this till's instead, if
 * there is one (a number is only worth taking for an order that will be rung up). */
export async function newOrder({ reuseEmpty = false } = {}) {
  const empty = reuseEmpty && state.orders.find((o) => !o.lines.length && ownNumber(o)
    && o.login_number === state.loginNumber);
  if (empty) {
    selectOrder(empty.uuid);
    return empty;
  }
  const session = state.data.session;
  const sequence = await state.store.nextSequence(session.id, session.sequence_number || 0);
  const order = model.newOrder({ uuid: model.makeUuid(), configId, session,
                                 loginNumber: state.loginNumber, sequence });
  order.own_sequence = sequence;
  state.orders.push(order);
  selectOrder(order.uuid);
  orderChanged(order);
  return order;
}

/** Create or replace an open order that comes from elsewhere (another till). */
export function applyOrder(incoming) {
  let order = state.orders.find((o) => o.uuid === incoming.uuid);
  if (!order) {
    if (!state.canSell) return null;
    order = model.newOrder({ uuid: incoming.uuid, configId, session: state.data.session,
                             loginNumber: state.loginNumber, sequence: 0,
                             now: incoming.opened_at ? new Date(incoming.opened_at) : new Date() });
    order.reference = `Order ${String(incoming.uuid).slice(0, 8)}`;
    state.orders.push(order);
  }
  model.mergeIncoming(order, incoming);
  if (order.uuid === state.currentUuid) {
    if (!order.lines.some((line) => line.id === state.selectedLineId)) {
      state.selectedLineId = order.lines.length ? order.lines[order.lines.length - 1].id : null;
    }
    renderSell({ editor: true });
  } else if (!currentOrder()) {
    selectOrder(order.uuid);
  } else {
    renderTabs();
  }
  saveOrder(order);
  emit("pos:order-changed", { ...structuredClone(order), remote: true });
  return structuredClone(order);
}

/** Remove an open order that ended elsewhere (paid, deleted), with an optional message. */
export async function dropOrder(uuid, message) {
  const index = state.orders.findIndex((o) => o.uuid === uuid);
  if (index < 0) return false;
  const [order] = state.orders.splice(index, 1);
  await state.store.delete("open_orders", uuid);
  emit("pos:order-changed", { ...structuredClone(order), deleted: true, remote: true });
  if (message) toast(message);
  if (state.currentUuid === uuid) {
    if (state.orders.length) selectOrder(state.orders[Math.max(0, index - 1)].uuid);
    else if (state.screen === "sell") await newOrder();
    else state.currentUuid = null;
  }
  renderTabs();
  return true;
}

/** Set fields of an open order other than its lines; saved, no event. */
export function patchOrder(uuid, fields) {
  const order = state.orders.find((o) => o.uuid === uuid);
  if (!order) return;
  const { lines, uuid: _uuid, ...rest } = fields;
  Object.assign(order, rest);
  saveOrder(order);
  if (uuid === state.currentUuid) renderOrder();
  else renderTabs();
}

export function selectOrder(uuid) {
  state.currentUuid = uuid;
  const order = currentOrder();
  state.selectedLineId = order && order.lines.length ? order.lines[order.lines.length - 1].id : null;
  renderSell({ editor: true });
}

export async function deleteCurrentOrder() {
  const order = currentOrder();
  if (!order) return;
  if (order.lines.length) {
    const sure = await confirmDialog(ngettext("Delete {reference} and its {n} line?",
      "Delete {reference} and its {n} lines?", order.lines.length, { reference: model.shownReference(order.reference) }),
    _t("Delete"));
    if (!sure) return;
    // Deleting an order that has lines needs a manager of the till (staff.js).
    const approved = await requireApproval("delete_order", {
      order_uuid: order.uuid, session_id: order.session_id,
      details: { reference: order.reference, lines: order.lines.length } });
    if (!approved || !state.orders.includes(order)) return;
  }
  const index = state.orders.indexOf(order);
  state.orders.splice(index, 1);
  await state.store.delete("open_orders", order.uuid);
  traceCancellation("order", order.uuid, order.lines);
  // Never paid: its number goes back, so that paid orders' references do not skip it.
  if (ownNumber(order)) {
    await state.store.releaseSequence(order.session_id, order.sequence_number);
  }
  emit("pos:order-changed", { ...structuredClone(order), deleted: true });
  if (!state.orders.length) await newOrder();
  else selectOrder(state.orders[Math.max(0, index - 1)].uuid);
}

export function addProduct(product) {
  const order = currentOrder();
  if (!order || !state.canSell) return;
  const line = model.addProduct(order, product,
    () => model.nextLineId(order, configId, state.loginNumber));
  state.selectedLineId = line.id;
  renderSell({ editor: true, flashLine: line.id });
  orderChanged(order);
}

export function setCustomer(partnerId) {
  const order = currentOrder();
  if (!order) return;
  order.partner_id = partnerId;
  renderOrder();
  orderChanged(order);
}

// -- rendering ------------------------------------------------------------------------------

export function renderSell({ editor = false, flashLine = null } = {}) {
  renderOrder(flashLine);
  if (editor) renderEditor();
}

export function renderTabs() {
  const tabs = $("order-tabs");
  tabs.replaceChildren(...state.orders.map((order) => {
    const totals = money.orderTotals(order.lines);
    const selected = order.uuid === state.currentUuid;
    const tab = element("button", {
      type: "button", className: "tab", role: "tab", "aria-selected": String(selected),
      dataset: { uuid: order.uuid }, title: model.shownReference(order.reference),
    }, element("span", { className: "tab-number" }, order.origin
      ? `${order.origin} ${model.shortNumber(order.sequence_number)}` : model.shortNumber(order.sequence_number)),
    element("span", { className: "tab-total" }, order.lines.length ? money2(totals.total) : _t("new")));
    tab.addEventListener("click", () => {
      showScreen("sell");
      selectOrder(order.uuid);
    });
    return tab;
  }));
  const current = tabs.querySelector('[aria-selected="true"]');
  if (current && current.scrollIntoView) current.scrollIntoView({ block: "nearest", inline: "nearest" });
  $("new-order").disabled = !state.canSell;
  $("new-order").hidden = !state.canSell;
}

export function renderOrder(flashLine = null) {
  const order = currentOrder();
  if (!order) return;
  $("order-reference").textContent = model.shownReference(order.reference);
  $("order-byline").textContent = order.byline || "";
  $("order-byline").hidden = !order.byline;
  const partner = order.partner_id && (state.data.partners || []).find((p) => p.id === order.partner_id);
  $("customer-name").textContent = partner ? partner.name : order.partner_id ? `#${order.partner_id}` : _t("No customer");
  // "Customer No customer" says it twice: the label goes while there is none.
  $("customer-button").dataset.empty = String(!order.partner_id);
  const list = $("order-lines");
  if (!order.lines.length) {
    list.replaceChildren(element("li", { className: "lines-empty" },
      element("span", { className: "big-icon", "aria-hidden": "true" }, "🛒"),
      _t("Tap a product or scan a barcode to start.")));
  } else {
    list.replaceChildren(...order.lines.map((line) => {
      const amounts = money.lineAmounts(line);
      const discount = money.parsePercent(line.discount);
      const selected = line.id === state.selectedLineId;
      const withTax = pricesWithTax();
      const button = element("button", {
        type: "button", className: `line${selected ? " selected" : ""}${flashLine === line.id ? " flash" : ""}`,
        "aria-pressed": String(selected), dataset: { lineId: String(line.id), productId: String(line.product_id) },
      },
      element("span", { className: "line-name" }, line.name),
      element("span", { className: "line-detail" },
        `${numberText(money.formatQty(line.qty))} × ${money2(money.unitPrice(line, withTax) ?? 0)}`,
        discount && discount > 0n ? element("span", { className: "badge" }, `−${numberText(model.percentText(discount))} %`) : null),
      element("span", { className: "line-total" },
        amounts ? money2(withTax ? amounts.total : amounts.subtotal) : "—"));
      button.addEventListener("click", () => {
        state.selectedLineId = line.id;
        renderSell({ editor: true });
      });
      return element("li", {}, button);
    }));
    const selected = list.querySelector(".line.selected");
    if (selected) selected.scrollIntoView({ block: "nearest" });
  }
  const totals = money.orderTotals(order.lines);
  $("total-untaxed").textContent = money2(totals.untaxed);
  $("total-tax").textContent = money2(totals.tax);
  $("total").textContent = money2(totals.total);
  $("pay-button").disabled = !state.canSell || !model.orderValid(order);
  $("pay-button").textContent = order.lines.length
    ? _t("Pay {amount}", { amount: money2(totals.total) }) : _t("Pay");
  renderTabs();
}

function renderEditor() {
  const box = $("line-editor");
  const order = currentOrder();
  const line = order && order.lines.find((l) => l.id === state.selectedLineId);
  if (!line) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const field = (id, label, value, parse, apply) => {
    const input = element("input", { id, value, inputMode: "decimal", autocomplete: "off" });
    input.addEventListener("input", () => {
      const ok = parse(input.value);
      input.setAttribute("aria-invalid", String(!ok));
      if (ok) {
        apply(input.value);
        renderOrder();
        orderChanged(order);
      } else {
        $("pay-button").disabled = true;
      }
    });
    input.addEventListener("focus", () => input.select());
    return element("div", { className: "edit-field" }, element("label", { for: id }, label), input);
  };
  const qtyOk = (text) => { const qty = money.parseQty(text); return qty !== null && qty > 0n && qty <= 100000000n; };
  const priceOk = (text) => money.cents(text) !== null;
  const discountOk = (text) => { const d = money.parsePercent(text); return d !== null && d <= 10000n; };
  const qtyField = field("edit-qty", _t("Quantity"), numberText(money.formatQty(line.qty)), qtyOk,
    (text) => { line.qty = money.formatQty(text); });
  qtyField.classList.add("qty-field");
  const qtyInput = qtyField.querySelector("input");
  const step = (delta) => {
    const qty = money.parseQty(qtyInput.value) ?? 0n;
    const next = qty + BigInt(delta) * 1000n;
    if (next <= 0n) return;
    qtyInput.value = numberText(money.formatQty(money.formatScaled(next, 3)));
    qtyInput.dispatchEvent(new Event("input"));
  };
  const minus = element("button", { type: "button", className: "step", "aria-label": _t("Decrease quantity") }, "−");
  const plus = element("button", { type: "button", className: "step", "aria-label": _t("Increase quantity") }, "+");
  minus.addEventListener("click", () => step(-1));
  plus.addEventListener("click", () => step(1));
  const stepper = element("div", { className: "stepper" });
  qtyInput.before(stepper);
  stepper.append(minus, qtyInput, plus);
  const remove = element("button", { type: "button", className: "ghost danger-text remove-line" }, _t("Remove line"));
  remove.addEventListener("click", () => {
    const index = order.lines.indexOf(line);
    order.lines.splice(index, 1);
    traceCancellation("line", order.uuid, [line]);
    const neighbour = order.lines[Math.min(index, order.lines.length - 1)];
    state.selectedLineId = neighbour ? neighbour.id : null;
    renderSell({ editor: true });
    orderChanged(order);
  });
  // The unit price as the cards show it: with tax unless the config says without (the line
  // keeps the price without tax: the nearest one when a price with tax is not reachable).
  const priceField = () => (pricesWithTax()
    ? field("edit-price", _t("Unit price (tax incl.)"), numberText(money.formatCents(money.unitPrice(line, true) ?? 0)),
      priceOk, (text) => { line.price_unit = money.formatCents(money.priceWithoutTax(money.cents(text), line.tax_rate)); })
    : field("edit-price", _t("Unit price (tax excl.)"), numberText(money.formatCents(money.cents(line.price_unit) ?? 0)),
      priceOk, (text) => { line.price_unit = money.formatCents(money.cents(text)); }));
  box.replaceChildren(
    element("div", { className: "editor-title" }, element("strong", {}, line.name), remove),
    element("div", { className: "editor-fields" },
      qtyField,
      priceField(),
      field("edit-discount", _t("Discount %"), numberText(model.percentText(money.parsePercent(line.discount) ?? 0n)),
        discountOk, (text) => { line.discount = money.formatScaled(money.parsePercent(text), 2); })));
  box.hidden = false;
}

/** Unit prices on cards and lines: with tax unless the config says without. */
const pricesWithTax = () => state.data.config.prices_include_tax !== false;

export function renderCategories() {
  const categories = [...new Set(state.data.products.map((p) => p.category).filter(Boolean))];
  const chip = (label, value) => {
    const button = element("button", { type: "button", className: "chip",
      "aria-pressed": String(state.category === value) }, label);
    button.addEventListener("click", () => {
      state.category = value;
      renderCategories();
      renderProducts();
    });
    return button;
  };
  $("categories").replaceChildren(chip(_t("All"), null), ...categories.map((c) => chip(c, c)));
}

function matchingProducts() {
  const words = state.search.toLowerCase().split(/\s+/).filter(Boolean);
  return state.data.products.filter((p) => {
    if (state.category && p.category !== state.category && !words.length) return false;
    const haystack = `${p.name} ${p.barcode || ""} ${p.category || ""}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}

export function renderProducts() {
  const products = matchingProducts();
  const grid = $("products");
  if (!products.length) {
    grid.replaceChildren(element("p", { className: "products-empty" },
      state.search ? _t("No product matches “{search}”.", { search: state.search }) : _t("No products.")));
    return;
  }
  grid.replaceChildren(...products.map((product) => {
    const price = money.unitPrice(product, pricesWithTax());
    const card = element("button", {
      type: "button", className: "product", dataset: { productId: String(product.id), category: product.category || "" },
    },
    element("span", { className: "product-initial", "aria-hidden": "true" }, product.name.slice(0, 1)),
    element("span", { className: "product-name" }, product.name),
    element("span", { className: "product-price" }, money2(price ?? 0)));
    card.addEventListener("click", () => addProduct(product));
    return card;
  }));
}

export function onSearchKey(event) {
  if (event.key === "Escape") {
    event.target.value = "";
    state.search = "";
    renderProducts();
    return;
  }
  if (event.key !== "Enter") return;
  event.preventDefault();
  const code = event.target.value.trim();
  if (!code) return;
  const byBarcode = state.data.products.find((p) => p.barcode && p.barcode === code);
  const matches = byBarcode ? [byBarcode] : matchingProducts();
  if (matches.length === 1) {
    addProduct(matches[0]);
    event.target.value = "";
    state.search = "";
    renderProducts();
  } else if (/^\d{6,}$/.test(code)) {
    toast(_t("No product with barcode {code}", { code }), "error");
    event.target.select();
  } else {
    toast(matches.length
      ? ngettext("{n} product matches “{code}”: tap it", "{n} products match “{code}”: tap one", matches.length, { code })
      : _t("No product matches “{code}”", { code }), "error");
  }
}
