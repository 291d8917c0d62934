// Reading what a barcode scanner typed (pure: tested under node, tests/point_of_sale/js/).
//
// A product is found by its barcode as typed. EAN-13 codes whose first two digits the shop
// declared (the POS config's `barcode_weight_prefixes` / `barcode_price_prefixes`, e.g. "21 22")
// carry a weight or a price, as scales print them:
//
//     PP IIIII VVVVV C     PP the prefix, IIIII the item, VVVVV the value, C the check digit
//
// weight: VVVVV in grams (01234 = 1.234 kg), the line's quantity; price: VVVVV in cents
// (01250 = 12.50), what the customer pays for the line (its quantity is the price over the
// product's unit price with tax as the till shows it, to the gram). The product is the one
// whose barcode is the code with the value zeroed (PP IIIII 00000 C', check digit recomputed),
// or the 7 digits PP IIIII.

/** The EAN-13 check digit of the first 12 digits. */
export function ean13Check(twelve) {
  let sum = 0;
  for (let i = 0; i < 12; i += 1) sum += Number(twelve[i]) * (i % 2 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

export function validEan13(code) {
  return /^\d{13}$/.test(code) && ean13Check(code.slice(0, 12)) === code[12];
}

/** "21, 22 23" -> ["21", "22", "23"] (two digits each; anything else ignored). */
export function prefixes(text) {
  return String(text || "").split(/[\s,;]+/).filter((p) => /^\d{2}$/.test(p));
}

/** What `code` names among `products` ({id, barcode, ...}) for `config`:
 * {product, kind: "unit"} | {product, kind: "weight", qty: "1.234"}
 * | {product, kind: "price", amount: "12.50"} | null. */
export function readBarcode(code, products, config = {}) {
  code = String(code || "").trim();
  if (!code) return null;
  const exact = products.find((p) => p.barcode && p.barcode === code);
  if (exact) return { product: exact, kind: "unit" };
  if (!validEan13(code)) return null;
  const prefix = code.slice(0, 2);
  const kind = prefixes(config.barcode_weight_prefixes).includes(prefix) ? "weight"
    : prefixes(config.barcode_price_prefixes).includes(prefix) ? "price" : null;
  if (!kind) return null;
  const zeroed = `${code.slice(0, 7)}00000`;
  const item = products.find((p) => p.barcode
    && (p.barcode === zeroed + ean13Check(zeroed) || p.barcode === code.slice(0, 7)));
  if (!item) return null;
  const value = Number(code.slice(7, 12));
  if (kind === "weight") return { product: item, kind, qty: (value / 1000).toFixed(3) };
  return { product: item, kind, amount: (value / 100).toFixed(2) };
}
