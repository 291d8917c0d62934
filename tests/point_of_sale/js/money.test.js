// Unit tests of the POS page's money.js (cents, BigInt, half up), run by `node --test`
// through tests/point_of_sale/test_pos_page_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as money from "../src/money.js";

test("decimals parse to scaled integers, with a comma too", () => {
  assert.equal(money.parseScaled("1.80", 2), 180n);
  assert.equal(money.parseScaled("1,8", 2), 180n);
  assert.equal(money.parseScaled(" 12 ", 2), 1200n);
  assert.equal(money.parseScaled(".5", 2), 50n);
  assert.equal(money.parseScaled(2.5, 3), 2500n);
});

test("what is not a non-negative decimal parses to null", () => {
  for (const text of ["", ".", "-1", "abc", "1.2.3", "1e3", null, undefined, {}]) {
    assert.equal(money.parseScaled(text, 2), null, String(text));
  }
  assert.equal(money.parseScaled(-1, 2), null);
  assert.equal(money.parseScaled(Infinity, 2), null);
  assert.equal(money.parseScaled(NaN, 2), null);
});

test("extra digits round half up on the first dropped digit", () => {
  assert.equal(money.cents("1.005"), 101);
  assert.equal(money.cents("1.004"), 100);
  assert.equal(money.cents("0.995"), 100);
  assert.equal(money.parseQty("0.0005"), 1n);
});

test("formatting keeps the places and the sign", () => {
  assert.equal(money.formatCents(5), "0.05");
  assert.equal(money.formatCents(123456), "1234.56");
  assert.equal(money.formatScaled(-7n, 2), "-0.07");
  assert.equal(money.formatQty("2.500"), "2.5");
  assert.equal(money.formatQty("3.000"), "3");
  assert.equal(money.formatQty("oops"), "oops");
});

test("a line's amounts: subtotal after discount, tax on the subtotal, both rounded half up", () => {
  assert.deepEqual(money.lineAmounts({ qty: "2", price_unit: "1.80", discount: "0", tax_rate: "10" }),
                   { subtotal: 360, tax: 36, total: 396 });
  // 3 x 0.35 x 0.9 = 0.945 -> 0.95; tax 5.5 % of 0.95 = 0.05225 -> 0.05
  assert.deepEqual(money.lineAmounts({ qty: "3", price_unit: "0.35", discount: "10", tax_rate: "5.5" }),
                   { subtotal: 95, tax: 5, total: 100 });
  assert.deepEqual(money.lineAmounts({ qty: "1", price_unit: "9.99", discount: "100", tax_rate: "20" }),
                   { subtotal: 0, tax: 0, total: 0 });
  assert.equal(money.lineAmounts({ qty: "x", price_unit: "1" }), null);
});

test("no binary float creeps in where floats would", () => {
  // 0.1 + 0.2 style sums: ten lines of 0.10 are exactly 1.00.
  const lines = Array.from({ length: 10 }, () => ({ qty: "1", price_unit: "0.10", tax_rate: "0" }));
  assert.equal(money.orderTotals(lines).total, 100);
  // 1.15 x 100 is 114.99999999999999 in floats.
  assert.equal(money.lineAmounts({ qty: "100", price_unit: "1.15" }).subtotal, 11500);
});

test("order totals skip invalid lines", () => {
  const totals = money.orderTotals([
    { qty: "2", price_unit: "1.80", tax_rate: "10" },
    { qty: "-1", price_unit: "1.80", tax_rate: "10" },
  ]);
  assert.deepEqual(totals, { untaxed: 360, tax: 36, total: 396 });
});

test("cash suggestions: exact first, then round notes, at most four, ascending", () => {
  assert.deepEqual(money.cashSuggestions(396), [396, 400, 500, 1000]);
  assert.deepEqual(money.cashSuggestions(2000), [2000, 5000, 10000, 20000]);
  assert.deepEqual(money.cashSuggestions(0), [0]);
});
