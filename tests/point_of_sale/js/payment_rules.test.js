// Unit tests of the payment rules the till applies before the server does (payment_rules.js),
// and of a refund's wire form, run by `node --test` through tests/point_of_sale/test_pos_page_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as money from "../src/money.js";
import * as model from "../src/order.js";
import { paymentStatus, suggestedAmount, wirePayments } from "../src/payment_rules.js";

const methods = [
  { code: "cash", name: "Cash", gives_change: true },
  { code: "card", name: "Card", gives_change: false },
  { code: "voucher", name: "Voucher", gives_change: false },
];
const pay = (...pairs) => pairs.map(([method, amount], id) => ({ id, method, amount }));

test("a split payment is complete once it covers the total; the change comes from cash", () => {
  assert.deepEqual(paymentStatus(565, pay(["card", 300]), methods),
                   { paid: 300, remaining: 265, change: 0, valid: false, problem: null });
  assert.deepEqual(paymentStatus(565, pay(["card", 300], ["cash", 500]), methods),
                   { paid: 800, remaining: 0, change: 235, valid: true, problem: null });
  assert.equal(suggestedAmount(565, pay(["card", 300])), 265);
});

test("only a method that gives change may take more than is due", () => {
  const status = paymentStatus(565, pay(["card", 400], ["voucher", 200]), methods);
  assert.equal(status.valid, false);
  assert.match(status.problem, /Only Cash gives change/);
  assert.equal(paymentStatus(565, pay(["card", 565]), methods).valid, true);
});

test("unknown methods and non-positive amounts are refused", () => {
  assert.match(paymentStatus(100, pay(["cheque", 100]), methods).problem, /not taken/);
  assert.equal(paymentStatus(100, pay(["cash", 0]), methods).valid, false);
  assert.equal(paymentStatus(100, pay(["cash", -100]), methods).valid, false);
});

test("a refund is paid back exactly, with negative amounts, and gives no change", () => {
  assert.deepEqual(paymentStatus(-198, pay(["cash", -198]), methods),
                   { paid: -198, remaining: 0, change: 0, valid: true, problem: null });
  assert.deepEqual(paymentStatus(-198, pay(["card", -100]), methods),
                   { paid: -100, remaining: 98, change: 0, valid: false, problem: null });
  assert.equal(paymentStatus(-198, pay(["cash", -200]), methods).valid, false);
  assert.equal(paymentStatus(-198, pay(["cash", 198]), methods).valid, false);
  assert.deepEqual(wirePayments(pay(["card", -100], ["cash", -98]), money.formatCents),
                   [{ method: "card", amount: "-1.00" }, { method: "cash", amount: "-0.98" }]);
});

test("a refund line's amounts are the sold line's, negated, as the server rounds them", () => {
  const sold = { qty: "1", price_unit: "1.60", discount: "0", tax_rate: "5.5" };
  assert.deepEqual(money.lineAmounts(sold), { subtotal: 160, tax: 9, total: 169 });
  assert.deepEqual(money.lineAmounts({ ...sold, qty: "-1", refunded_line_index: 0 }),
                   { subtotal: -160, tax: -9, total: -169 });
  assert.equal(money.lineAmounts({ ...sold, qty: "-1" }), null); // only a refund line is negative
});

test("a refund's wire form names the order and the lines it takes back", () => {
  const refund = model.newOrder({ uuid: "r-1", configId: 1, session: { id: 3 }, loginNumber: 1,
                                  sequence: 4, now: new Date("2026-11-22T10:15:00Z") });
  refund.refunded_order_uuid = "sale-1";
  refund.lines = [{ id: "refund.1", product_id: 1, name: "Espresso", qty: "-1", price_unit: "1.80",
                    discount: "0", tax_rate: "10", refunded_line_index: 0 }];
  const wire = model.toWire(refund, [{ method: "cash", amount: "-1.98" }], new Date("2026-11-22T10:20:00Z"));
  assert.equal(wire.refunded_order_uuid, "sale-1");
  assert.deepEqual(wire.lines, [{ product_id: 1, qty: "-1", price_unit: "1.80", refunded_line_index: 0 }]);
  assert.deepEqual(wire.payments, [{ method: "cash", amount: "-1.98" }]);
  assert.equal(wire.amount_total, "-1.98");
  // A sale still takes cents paid in cash, as before.
  assert.deepEqual(model.toWire({ ...refund, refunded_order_uuid: undefined, lines: [] }, 500).payments,
                   [{ method: "cash", amount: "5.00" }]);
});
