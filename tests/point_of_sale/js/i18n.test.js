// The POS page's translations (i18n.js): _t, ngettext and the plural rules of gettext catalogs.
import assert from "node:assert/strict";
import { test } from "node:test";

import { _t, compilePlural, ngettext, pgettext, setCatalog } from "../src/i18n.js";

test("without a catalog the English text is shown, with its values filled in", () => {
  setCatalog({});
  assert.equal(_t("Pay"), "Pay");
  assert.equal(_t("Order {name}", { name: "Shop/0001" }), "Order Shop/0001");
  assert.equal(ngettext("{n} line", "{n} lines", 1), "1 line");
  assert.equal(ngettext("{n} line", "{n} lines", 0), "0 lines");
});

test("a French catalog translates and keeps French plurals (0 and 1 singular)", () => {
  setCatalog({ locale: "fr_FR", plural: "(n > 1)", messages: {
    Pay: "Encaisser", "Order {name}": "Commande {name}",
    "{n} line": ["{n} ligne", "{n} lignes"], Empty: "" } });
  assert.equal(_t("Pay"), "Encaisser");
  assert.equal(_t("Order {name}", { name: "A" }), "Commande A");
  assert.equal(_t("Empty"), "Empty"); // an untranslated entry shows the English
  assert.equal(_t("Unknown {x}"), "Unknown {x}");
  assert.deepEqual([0, 1, 2, 10].map((n) => ngettext("{n} line", "{n} lines", n)),
                   ["0 ligne", "1 ligne", "2 lignes", "10 lignes"]);
});

test("plural rules of other languages pick the right form", () => {
  const polish = compilePlural(
    "(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)");
  assert.deepEqual([1, 2, 5, 12, 22, 25, 112].map(polish), [0, 1, 2, 2, 1, 2, 2]);
  const english = compilePlural("n != 1");
  assert.deepEqual([0, 1, 2].map(english), [1, 0, 1]);
  assert.equal(compilePlural("0")(5), 0); // Japanese: one form
  assert.throws(() => compilePlural("alert(1)"), SyntaxError);
  assert.throws(() => compilePlural("n >"), SyntaxError);
});

test("a catalog whose plural rule does not parse keeps English's rule", () => {
  setCatalog({ plural: "n ++ 1", messages: { "{n} line": ["{n} ligne", "{n} lignes"] } });
  assert.equal(ngettext("{n} line", "{n} lines", 2), "2 lignes");
  assert.equal(ngettext("{n} line", "{n} lines", 1), "1 ligne");
});

test("pgettext tells apart one English word said two ways", () => {
  setCatalog({ plural: "(n > 1)", messages: { Refund: "Rembourser", "noun\u0004Refund": "Remboursement" } });
  assert.equal(_t("Refund"), "Rembourser");
  assert.equal(pgettext("noun", "Refund"), "Remboursement");
  assert.equal(pgettext("session", "Close"), "Close");
});
