// Unit tests of the POS page's barcodes.js (what a scanner typed -> a product, a weight, a
// price), run by `node --test` through tests/point_of_sale/test_pos_page_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ean13Check, prefixes, readBarcode, validEan13 } from "../src/barcodes.js";

const espresso = { id: 1, barcode: "2000000000015" };
const cheese = { id: 30, barcode: "2112345000008" }; // 21 12345 00000 8: sold by weight
const cake = { id: 31, barcode: "2354321" }; // 23 54321: sold by price, its 7 digits
const products = [espresso, cheese, cake];
const config = { barcode_weight_prefixes: "21, 22", barcode_price_prefixes: "23" };

test("the EAN-13 check digit", () => {
  assert.equal(ean13Check("211234500000"), "8");
  assert.equal(ean13Check("400638133393"), "1"); // a real one: 4006381333931
  assert.ok(validEan13("4006381333931"));
  assert.ok(!validEan13("4006381333932"));
  assert.ok(!validEan13("400638133393"));
});

test("prefixes are two digits, separated as people type them", () => {
  assert.deepEqual(prefixes("21, 22;23 2 234 ab"), ["21", "22", "23"]);
  assert.deepEqual(prefixes(undefined), []);
});

test("a product's own barcode wins", () => {
  assert.deepEqual(readBarcode("2000000000015", products, config), { product: espresso, kind: "unit" });
  assert.equal(readBarcode("", products, config), null);
  assert.equal(readBarcode("123", products, config), null);
});

test("a weight label gives the quantity in kilograms", () => {
  const code = `211234501234${ean13Check("211234501234")}`;
  assert.deepEqual(readBarcode(code, products, config), { product: cheese, kind: "weight", qty: "1.234" });
  const wrongCheck = code.slice(0, 12) + String((Number(code[12]) + 1) % 10);
  assert.equal(readBarcode(wrongCheck, products, config), null);
});

test("a price label gives the amount, found by the item's 7 digits too", () => {
  const code = `235432101250${ean13Check("235432101250")}`;
  assert.deepEqual(readBarcode(code, products, config), { product: cake, kind: "price", amount: "12.50" });
});

test("prefixes the shop did not declare are plain barcodes", () => {
  const code = `211234501234${ean13Check("211234501234")}`;
  assert.equal(readBarcode(code, products, {}), null);
  assert.equal(readBarcode(`241234501234${ean13Check("241234501234")}`, products, config), null);
});
