// Unit tests of format.js (Intl with the config's locale and currency) and of what a receipt
// prints per tax rate (money.taxesByRate, money.unitPrice, order.receipt), run by `node --test`
// through tests/point_of_sale/test_pos_page_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatterFor } from "../src/format.js";
import * as money from "../src/money.js";
import { receipt } from "../src/order.js";

// Intl separates thousands and the euro sign with (narrow) no-break spaces: compare with spaces.
const spaced = (text) => text.replace(/[\u00a0\u202f]/g, " ");

test("amounts follow the config's locale and currency", () => {
  const fr = formatterFor({ locale: "fr-FR", currency_code: "EUR" });
  assert.equal(spaced(fr.money(123456)), "1 234,56 €");
  assert.equal(spaced(fr.money(5)), "0,05 €");
  const us = formatterFor({ locale: "en-US", currency_code: "USD" });
  assert.equal(us.money(123456), "$1,234.56");
  const ch = formatterFor({ locale: "de-CH", currency_code: "CHF" });
  assert.match(spaced(ch.money(1250)), /^CHF 12\.50$/);
  // No currency: plain amounts with two decimals, in the locale's way.
  assert.equal(formatterFor({}).money(748), "7.48");
  assert.equal(formatterFor({ locale: "fr-FR" }).money(748), "7,48");
});

test("amounts are formatted from their exact decimals, the largest included", () => {
  const us = formatterFor({ locale: "en-US", currency_code: "USD" });
  assert.equal(us.money(999999999999), "$9,999,999,999.99");
  assert.equal(us.money(-1205), "-$12.05");
});

test("percentages and dates follow the locale", () => {
  const fr = formatterFor({ locale: "fr-FR", currency_code: "EUR" });
  const us = formatterFor({ locale: "en-US", currency_code: "USD" });
  assert.equal(fr.percent(550n), "5,5");
  assert.equal(us.percent(550n), "5.5");
  const moment = new Date(2026, 10, 26, 14, 5); // local time: 26 November 2026, 14:05
  assert.equal(fr.dateTime(moment), "26/11/2026 14:05");
  assert.equal(spaced(us.dateTime(moment)), "11/26/26, 2:05 PM");
});

test("an unknown locale or currency falls back instead of failing the till", () => {
  const broken = formatterFor({ locale: "not a locale!", currency_code: "E1" });
  assert.equal(broken.money(748), "7.48");
  assert.equal(broken.currency, "");
});

test("unit prices with or without tax, as cards and lines show them", () => {
  const espresso = { price: "1.80", tax_rate: "10.00" };
  assert.equal(money.unitPrice(espresso, true), 198);
  assert.equal(money.unitPrice(espresso, false), 180);
  assert.equal(money.unitPrice({ price_unit: "4.50", tax_rate: "20" }, true), 540);
  assert.equal(money.unitPrice({ price_unit: "x" }, true), null);
});

test("taxes per rate add up to the order's tax", () => {
  const lines = [
    { qty: "2", price_unit: "1.80", discount: "0", tax_rate: "10.00" },
    { qty: "1", price_unit: "1.60", discount: "0", tax_rate: "5.50" },
    { qty: "1", price_unit: "3.20", discount: "10", tax_rate: "10.00" },
  ];
  const taxes = money.taxesByRate(lines);
  assert.deepEqual(taxes.map((t) => [money.formatScaled(t.rate, 2), t.base, t.tax]),
                   [["5.50", 160, 9], ["10.00", 648, 65]]);
  assert.equal(taxes.reduce((sum, t) => sum + t.tax, 0), money.orderTotals(lines).tax);
});

test("a receipt keeps the shop header, the number the tab shows, taxes and payments", () => {
  const order = { reference: "Order 00001-001-0007", sequence_number: 7, lines: [
    { name: "Espresso", qty: "2", price_unit: "1.80", discount: "0", tax_rate: "10.00" },
    { name: "Croissant", qty: "1", price_unit: "1.60", discount: "0", tax_rate: "5.50" }] };
  const config = { shop_name: "Comptoir Café", shop_address: "1 rue A\n69001 Lyon",
                   vat_number: "FR 32 123", locale: "fr-FR", currency_code: "EUR",
                   prices_include_tax: false };
  const r = receipt(order, { configName: "Shop", sessionName: "Shop/00001", paid: 1000, config,
                             now: new Date("2026-11-26T10:00:00Z") });
  assert.equal(r.number, "#0007");
  assert.equal(r.shop_name, "Comptoir Café");
  assert.equal(r.vat_number, "FR 32 123");
  assert.equal(r.locale, "fr-FR");
  assert.equal(r.prices_include_tax, false);
  assert.deepEqual(r.taxes, [{ rate: "5.50", base: 160, tax: 9 }, { rate: "10.00", base: 360, tax: 36 }]);
  assert.equal(r.total, 565);
  assert.deepEqual(r.payments, [{ method: "cash", amount: 1000 }]);
  assert.equal(r.change, 435);
  assert.deepEqual(r.extra_lines, []);
});

test("numbers are written with the locale's decimal separator", () => {
  const french = formatterFor({ locale: "fr-FR", currency_code: "EUR" });
  assert.equal(french.decimal, ",");
  assert.equal(french.decimalText("12.50"), "12,50");
  const american = formatterFor({ locale: "en-US" });
  assert.equal(american.decimal, ".");
  assert.equal(american.decimalText("12.50"), "12.50");
});

test("a price typed with tax gives the price without tax whose price with tax it is", () => {
  // 1,69 € at 5.5 % is 1.60 without tax; 2,00 € at 5.5 % is 1.90 (1.90 × 1.055 = 2.0045).
  assert.equal(money.priceWithoutTax(169, "5.50"), 160);
  assert.equal(money.priceWithoutTax(200, "5.50"), 190);
  assert.equal(money.priceWithoutTax(198, "10.00"), 180);
  for (const cents of [1, 99, 101, 169, 501, 999, 1234]) {
    const excl = money.priceWithoutTax(cents, "20.00");
    const back = money.unitPrice({ price_unit: money.formatCents(excl), tax_rate: "20.00" }, true);
    assert.ok(Math.abs(back - cents) <= 1, `${cents} -> ${excl} -> ${back}`);
  }
  assert.equal(money.priceWithoutTax(500, "0"), 500);
});
