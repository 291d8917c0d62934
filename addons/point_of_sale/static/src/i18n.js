// The POS page's translations. The server puts the `js` catalog of the POS config's locale into
// the page (<script type="application/json" id="pos-i18n">, core/i18n.py js_catalog), so the
// service worker keeps it with the page for an offline reload.
//
//   _t("Pay")                                  the translation, else the English text
//   _t("Order {name}", { name })               {name} replaced (after translating)
//   ngettext("{n} line", "{n} lines", n, {n})  the plural form the language's rule picks for n
//   pgettext("noun", "Refund")                 one word said two ways: a context tells them apart
//
// Mark every text a person reads with them: `make i18n` extracts `_t(...)` and `ngettext(...)`
// (literal strings only: `_t(variable)` is not extracted) into each addon's js.po.
// Other addons' scripts use window.comptoirPos._t / .ngettext. Pure (no DOM needed): tested
// under node (tests/point_of_sale/js/).

let messages = {};
let pluralOf = (n) => (n === 1 ? 0 : 1);
let localeName = "en";

/** Use `catalog` ({locale, plural, messages}); a plural rule that does not parse keeps English's. */
export function setCatalog(catalog = {}) {
  messages = catalog.messages || {};
  localeName = catalog.locale || "en";
  try {
    pluralOf = compilePlural(catalog.plural || "n != 1");
  } catch {
    pluralOf = (n) => (n === 1 ? 0 : 1);
  }
}

export const catalogLocale = () => localeName;

function fill(text, values) {
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

export function _t(text, values) {
  const found = messages[text];
  return fill(typeof found === "string" && found ? found : text, values);
}

/** _t with a context, for one English word that other languages say in two ways:
 * pgettext("noun", "Refund") -> "Remboursement" where _t("Refund") is "Rembourser". */
export function pgettext(context, text, values) {
  const found = messages[`${context}\u0004${text}`];
  return fill(typeof found === "string" && found ? found : text, values);
}

export function ngettext(singular, plural, n, values) {
  const forms = messages[singular];
  let text;
  if (Array.isArray(forms) && forms.length) {
    text = forms[Math.min(pluralOf(n), forms.length - 1)] || (n === 1 ? singular : plural);
  } else {
    text = n === 1 ? singular : plural;
  }
  return fill(text, { n, ...values });
}

// A gettext Plural-Forms expression ("n > 1", "(n%10==1 && n%100!=11 ? 0 : ...)"), evaluated
// by a small parser of its C subset: no eval, so a strict Content-Security-Policy keeps it.
const TOKEN = /\s*(\d+|n|==|!=|<=|>=|&&|\|\||[-+*/%<>!?:()])/y;

export function compilePlural(expression) {
  const tokens = [];
  TOKEN.lastIndex = 0;
  let rest = expression.trim();
  while (rest.length) {
    TOKEN.lastIndex = 0;
    const match = TOKEN.exec(rest);
    if (!match) throw new SyntaxError(`plural rule: ${expression}`);
    tokens.push(match[1]);
    rest = rest.slice(match[0].length).trim();
  }
  let position = 0;
  const peek = () => tokens[position];
  const take = (token) => {
    if (tokens[position] !== token) throw new SyntaxError(`plural rule: ${expression}`);
    position += 1;
  };
  const binary = [
    ["||"], ["&&"], ["==", "!="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"],
  ];
  const apply = {
    "||": (a, b) => +(!!a || !!b), "&&": (a, b) => +(!!a && !!b), "==": (a, b) => +(a === b),
    "!=": (a, b) => +(a !== b), "<": (a, b) => +(a < b), ">": (a, b) => +(a > b),
    "<=": (a, b) => +(a <= b), ">=": (a, b) => +(a >= b), "+": (a, b) => a + b,
    "-": (a, b) => a - b, "*": (a, b) => a * b, "/": (a, b) => Math.trunc(a / b),
    "%": (a, b) => a % b,
  };
  function conditional() {
    const test = level(0);
    if (peek() !== "?") return test;
    take("?");
    const yes = conditional();
    take(":");
    const no = conditional();
    return (n) => (test(n) ? yes(n) : no(n));
  }
  function level(index) {
    if (index === binary.length) return unary();
    let left = level(index + 1);
    while (binary[index].includes(peek())) {
      const operator = tokens[position++];
      const right = level(index + 1);
      const before = left;
      left = (n) => apply[operator](before(n), right(n));
    }
    return left;
  }
  function unary() {
    const token = tokens[position++];
    if (token === "!") { const inner = unary(); return (n) => +!inner(n); }
    if (token === "(") { const inner = conditional(); take(")"); return inner; }
    if (token === "n") return (n) => n;
    if (/^\d+$/.test(token || "")) { const value = Number(token); return () => value; }
    throw new SyntaxError(`plural rule: ${expression}`);
  }
  const rule = conditional();
  if (position !== tokens.length) throw new SyntaxError(`plural rule: ${expression}`);
  return (n) => Number(rule(Math.abs(Math.trunc(n))));
}

if (typeof document !== "undefined") {
  const element = document.getElementById("pos-i18n");
  if (element) {
    try {
      setCatalog(JSON.parse(element.textContent));
    } catch {
      setCatalog({});
    }
  }
}
