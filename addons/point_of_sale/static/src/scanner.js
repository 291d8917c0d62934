// Barcode scanners that type like a keyboard: a scan anywhere on the sell screen adds its
// product, wherever the focus is (the search field, a line's quantity, nothing).
//
// A scan is told from typing by its speed: at least `scan_min_length` characters (6) each
// within `scan_gap_ms` (50 ms: a person types a key every 100 ms or more) of the one before,
// then Enter. What the scan typed into a field is taken out of it again. The code is read by
// barcodes.js: a product's own barcode, or an EAN-13 weight or price label of the prefixes the
// config declares (`barcode_weight_prefixes`, `barcode_price_prefixes`). A code no product has
// is left to the search field (which says "No product with barcode ..."). Settings: body
// data-scan-gap-ms / ?scan_gap_ms=, data-scan-min-length / ?scan_min_length=.
//
// document.body.dataset.lastScan says what the last scan did: "unit", "weight", "price",
// "unknown".
import { readBarcode } from "./barcodes.js";
import { _t } from "./i18n.js";
import * as money from "./money.js";
import * as model from "./order.js";
import { addProduct, orderChanged, renderSell } from "./sell.js";
import { configId, currentOrder, state } from "./state.js";
import { $, toast } from "./ui.js";

const setting = (query, data, fallback) => {
  const value = Number(new URLSearchParams(location.search).get(query) ?? document.body.dataset[data]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
// Read at each key: a test or a slow tablet may change them on the body.
const gapMs = () => setting("scan_gap_ms", "scanGapMs", 50);
const minLength = () => setting("scan_min_length", "scanMinLength", 6);

let typed = "";
let lastKeyAt = 0;

function dialogOpen() {
  return [...document.querySelectorAll(".overlay")].some((overlay) => !overlay.hidden);
}

/** Take what the scan typed back out of the field it went into. */
function untype(target, code) {
  if (!(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) return;
  if (!target.value.endsWith(code)) return;
  target.value = target.value.slice(0, target.value.length - code.length);
  target.dispatchEvent(new Event("input", { bubbles: true }));
}

/** A line of its own for a weighed or priced article (each label is one article). */
function addMeasured(product, qty) {
  const order = currentOrder();
  if (!order || !state.canSell) return;
  const line = { id: model.nextLineId(order, configId, state.loginNumber), product_id: product.id,
                 name: product.name, qty, price_unit: product.price, discount: "0",
                 tax_rate: product.tax_rate || "0" };
  order.lines.push(line);
  state.selectedLineId = line.id;
  renderSell({ editor: true, flashLine: line.id });
  orderChanged(order);
}

/** The quantity a price label stands for: its amount over the unit price as the till shows it. */
function qtyForAmount(product, amount) {
  const unit = money.unitPrice(product, Boolean(state.data.config.prices_include_tax));
  if (!unit) return null;
  return (Math.round((money.cents(amount) * 1000) / Number(unit)) / 1000).toFixed(3);
}

function scanned(code, target) {
  const found = readBarcode(code, state.data.products, state.data.config);
  if (!found) {
    document.body.dataset.lastScan = "unknown";
    return false;
  }
  untype(target, code);
  if (found.kind === "unit") addProduct(found.product);
  else addMeasured(found.product, found.kind === "weight" ? found.qty : qtyForAmount(found.product, found.amount));
  document.body.dataset.lastScan = found.kind;
  document.body.dataset.scans = String(Number(document.body.dataset.scans || 0) + 1);
  return true;
}

document.addEventListener("keydown", (event) => {
  if (state.screen !== "sell" || !state.canSell || dialogOpen()) { typed = ""; return; }
  const now = performance.now();
  const quick = now - lastKeyAt <= gapMs();
  lastKeyAt = now;
  if (event.key === "Enter") {
    const code = typed;
    typed = "";
    const long = code.length >= minLength();
    if (long && quick && scanned(code, event.target)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    } else if (long && quick && event.target === $("search")) {
      // An unknown code: the search looks for it alone (not after what was typed before).
      if (event.target.value !== code && event.target.value.endsWith(code)) {
        event.target.value = code;
        event.target.dispatchEvent(new Event("input", { bubbles: true }));
      }
    } else if (long && quick) {
      untype(event.target, code);
      toast(_t("No product with barcode {code}", { code }), "error");
    }
    return;
  }
  if (event.key.length !== 1 || event.ctrlKey || event.metaKey || event.altKey) { typed = ""; return; }
  typed = quick ? typed + event.key : event.key;
}, true);
