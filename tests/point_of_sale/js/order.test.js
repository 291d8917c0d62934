// Unit tests of the POS page's order model (order.js), run by `node --test` through
// tests/point_of_sale/test_pos_page_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as model from "../src/order.js";

const session = { id: 12, name: "POS/00012" };
const coffee = { id: 1, name: "Coffee", price: "1.80", tax_rate: "10" };
const croissant = { id: 2, name: "Croissant", price: "1.20", tax_rate: "5.5" };

function freshOrder() {
  return model.newOrder({ uuid: "u-1", configId: 3, session, loginNumber: 2, sequence: 7,
                          now: new Date("2026-11-22T10:15:00Z") });
}

function add(order, product) {
  return model.addProduct(order, product, () => model.nextLineId(order, 3, 2));
}

test("references name session, login number and sequence, zero-padded", () => {
  assert.equal(model.reference(12, 2, 7), "Order 00012-002-0007");
  assert.equal(model.shortNumber(7), "#0007");
  const order = freshOrder();
  assert.equal(order.reference, "Order 00012-002-0007");
  assert.deepEqual([order.session_id, order.config_id, order.state, order.lines.length],
                   [12, 3, "open", 0]);
  assert.equal(order.opened_at, "2026-11-22T10:15:00.000Z");
});

test("adding a product twice adds one to its line; line ids are unique across tills", () => {
  const order = freshOrder();
  const first = add(order, coffee);
  const again = add(order, coffee);
  add(order, croissant);
  assert.equal(first, again);
  assert.equal(first.qty, "2");
  assert.deepEqual(order.lines.map((line) => line.id), ["3.2.1", "3.2.2"]);
});

test("a discounted or re-priced line is not merged into", () => {
  const order = freshOrder();
  const line = add(order, coffee);
  line.discount = "10.00";
  add(order, coffee);
  assert.equal(order.lines.length, 2);
  order.lines[1].price_unit = "1.50";
  add(order, coffee);
  assert.equal(order.lines.length, 3);
});

test("an order can be paid only with lines of positive quantity and valid prices", () => {
  const order = freshOrder();
  assert.equal(model.orderValid(order), false);
  const line = add(order, coffee);
  assert.equal(model.orderValid(order), true);
  for (const [field, value] of [["qty", "0"], ["qty", "abc"], ["price_unit", "-1"],
                                ["discount", "100.01"]]) {
    const saved = line[field];
    line[field] = value;
    assert.equal(model.orderValid(order), false, `${field}=${value}`);
    line[field] = saved;
  }
});

test("the wire order has what POST /pos/orders takes, and no empty optional field", () => {
  const order = freshOrder();
  add(order, coffee);
  add(order, coffee);
  const bun = add(order, croissant);
  bun.discount = "50";
  const wire = model.toWire(order, 1000, new Date("2026-11-22T10:20:00Z"));
  assert.deepEqual(wire, {
    uuid: "u-1", session_id: 12, created_at: "2026-11-22T10:20:00.000Z",
    reference: "Order 00012-002-0007", sequence_number: 7,
    lines: [{ product_id: 1, qty: "2", price_unit: "1.80" },
            { product_id: 2, qty: "1", price_unit: "1.20", discount: "50.00" }],
    payments: [{ method: "cash", amount: "10.00" }],
    amount_total: "4.59", // 3.60 + 0.36 + 0.60 + 0.03
  });
  order.partner_id = 5;
  assert.equal(model.toWire(order, 0).partner_id, 5);
  assert.deepEqual(model.toWire(order, 0).payments, []);
});

test("the wire order carries the managers' approvals the server checks, and no other", () => {
  const order = freshOrder();
  add(order, coffee);
  order.approvals = [
    { action: "discount", approver: "mona", uuid: "a-1" },
    { action: "refund", approver: "mona", uuid: null, user_id: 4, proof: "ab".repeat(32),
      approved_at: "2026-11-22T10:19:00.000Z" },
    { action: "price_override", approver: "boss", uuid: null }, // offline, signed in: the push says it
  ];
  assert.deepEqual(model.toWire(order, 0).approvals, [
    { action: "discount", uuid: "a-1" },
    { action: "refund", user_id: 4, proof: "ab".repeat(32), approved_at: "2026-11-22T10:19:00.000Z" }]);
  order.approvals = [{ action: "price_override", approver: "boss", uuid: null }];
  assert.equal("approvals" in model.toWire(order, 0), false);
});

test("the receipt keeps the totals, the cash and the change", () => {
  const order = freshOrder();
  add(order, coffee);
  const receipt = model.receipt(order, { configName: "Shop", sessionName: "POS/00012",
                                         paid: 500, now: new Date("2026-11-22T10:20:00Z") });
  assert.deepEqual([receipt.untaxed, receipt.tax, receipt.total, receipt.paid, receipt.change],
                   [180, 18, 198, 500, 302]);
  assert.deepEqual(receipt.lines, [{ name: "Coffee", qty: "1", price_unit: "1.80", tax_rate: "10",
                                     discount: "0", subtotal: 180, total: 198 }]);
  assert.equal(receipt.partner_name, null);
});

test("an order from another till replaces the lines and the shared fields only", () => {
  const order = freshOrder();
  add(order, coffee);
  const incoming = { uuid: "u-1", byline: "by Bar", partner_id: 4,
                     lines: [{ id: "9.1.1", product_id: 2, name: "Croissant", qty: "3",
                               price_unit: "1.20", discount: "0", tax_rate: "5.5" }] };
  model.mergeIncoming(order, incoming);
  assert.equal(order.byline, "by Bar");
  assert.equal(order.partner_id, 4);
  assert.equal(order.reference, "Order 00012-002-0007");
  assert.deepEqual(order.lines.map((line) => line.id), ["9.1.1"]);
  incoming.lines[0].qty = "99";
  assert.equal(order.lines[0].qty, "3", "the lines are copies");
});

test("uuids are version 4, also where only getRandomValues exists (plain HTTP)", () => {
  const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(model.makeUuid(), pattern);
  const onlyRandomValues = { getRandomValues: (bytes) => globalThis.crypto.getRandomValues(bytes) };
  const uuids = new Set(Array.from({ length: 50 }, () => model.makeUuid(onlyRandomValues)));
  assert.equal(uuids.size, 50);
  for (const uuid of uuids) assert.match(uuid, pattern);
});

test("percentages read as people write them", () => {
  assert.equal(model.percentText(1250n), "12.5");
  assert.equal(model.percentText(1000n), "10");
  assert.equal(model.percentText(5n), "0.05");
});
