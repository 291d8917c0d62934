// Exact decimal arithmetic for the till, the way the server computes (orders.py):
//   line subtotal = round2(qty * price_unit * (1 - discount / 100))
//   line tax      = round2(subtotal * tax_rate / 100)
//   total         = sum(subtotal + tax)
// Amounts are integers in cents (Number), quantities in thousandths; intermediate products use
// BigInt so nothing is ever a binary float. Rounding is half up, as Python's ROUND_HALF_UP.

const SCALE = { money: 2, qty: 3, percent: 2 };

/** "1.80" / "1,8" / 1.8 -> 180n at `places`; null when it is not a non-negative decimal. */
export function parseScaled(value, places) {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return null;
    value = String(value);
  }
  if (typeof value !== "string") return null;
  const text = value.trim().replace(",", ".");
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[1] === "" && (match[2] ?? "") === "")) return null;
  const whole = match[1] || "0";
  const fraction = match[2] || "";
  const kept = (fraction + "0".repeat(places)).slice(0, places);
  let scaled = BigInt(whole) * 10n ** BigInt(places) + BigInt(kept || "0");
  const rest = fraction.slice(places);
  if (rest && Number(rest[0]) >= 5) scaled += 1n; // half up on the first dropped digit
  return scaled;
}

/** 180n or 180 at places 2 -> "1.80". */
export function formatScaled(scaled, places) {
  let value = BigInt(scaled);
  const negative = value < 0n;
  if (negative) value = -value;
  const text = value.toString().padStart(places + 1, "0");
  const result = places ? `${text.slice(0, -places)}.${text.slice(-places)}` : text;
  return negative ? `-${result}` : result;
}

/** Integer division of non-negative BigInts, rounded half up. */
function divRound(numerator, denominator) {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

export const cents = (value) => {
  const scaled = parseScaled(value, SCALE.money);
  return scaled === null ? null : Number(scaled);
};
export const formatCents = (amount) => formatScaled(BigInt(amount), SCALE.money);
export const parseQty = (value) => parseScaled(value, SCALE.qty);
export const parsePercent = (value) => parseScaled(value, SCALE.percent);

/** "2.500" -> "2.5", "3.000" -> "3": a quantity as people write it. */
export function formatQty(value) {
  const scaled = parseQty(value);
  if (scaled === null) return String(value);
  return formatScaled(scaled, SCALE.qty).replace(/\.?0+$/, "");
}

/** A line's amounts in cents: {subtotal, tax, total}; null if a field is not a valid number. */
export function lineAmounts(line) {
  if (line.refunded_line_index !== undefined && String(line.qty).trim().startsWith("-")) {
    // A refund line: the sold line's amounts, negated (the server rounds half away from zero);
    // any other negative quantity is invalid.
    const sold = lineAmounts({ ...line, qty: line.qty.trim().slice(1) });
    return sold && { subtotal: -sold.subtotal, tax: -sold.tax, total: -sold.total };
  }
  const qty = parseQty(line.qty);
  const price = parseScaled(line.price_unit, SCALE.money);
  const discount = parsePercent(line.discount ?? "0");
  const rate = parsePercent(line.tax_rate ?? "0");
  if (qty === null || price === null || discount === null || rate === null) return null;
  // qty (1e-3) * price (1e-2) * (100 - discount) (1e-2, percent) / 100 -> cents.
  const subtotal = divRound(qty * price * (10000n - discount), 1000n * 10000n);
  const tax = divRound(subtotal * rate, 10000n);
  return { subtotal: Number(subtotal), tax: Number(tax), total: Number(subtotal + tax) };
}

/** An order's totals in cents: {untaxed, tax, total}. Invalid lines count as zero. */
export function orderTotals(lines) {
  let untaxed = 0;
  let tax = 0;
  for (const line of lines) {
    const amounts = lineAmounts(line);
    if (!amounts) continue;
    untaxed += amounts.subtotal;
    tax += amounts.tax;
  }
  return { untaxed, tax, total: untaxed + tax };
}

/** Amounts a customer is likely to hand over for `total` cents: exact, then round notes. */
export function cashSuggestions(total) {
  const suggestions = [total];
  const steps = [100, 500, 1000, 2000, 5000, 10000, 20000];
  for (const step of steps) {
    const rounded = Math.ceil(total / step) * step;
    if (rounded > total && !suggestions.includes(rounded)) suggestions.push(rounded);
    if (suggestions.length >= 4) break;
  }
  return suggestions.sort((a, b) => a - b);
}

/** The unit price a till shows, in cents: with the line's tax (rounded half up) or without;
 * null if the price is not a valid number. The discount is not applied (it is shown apart). */
export function unitPrice(line, withTax) {
  const amounts = lineAmounts({ qty: "1", price_unit: line.price_unit ?? line.price, discount: "0",
                                tax_rate: line.tax_rate ?? "0" });
  if (!amounts) return null;
  return withTax ? amounts.total : amounts.subtotal;
}

/** The unit price without tax (cents) whose price with `taxRate` ("5.50") rounds to
 * `withTaxCents`, or the nearest one when no price in cents gives it exactly (20 %: 5,01 € is
 * not reachable, 4,18 € gives 5,02 €). null for an invalid rate. */
export function priceWithoutTax(withTaxCents, taxRate) {
  const rate = parsePercent(taxRate ?? "0");
  if (rate === null) return null;
  const exact = Math.floor((withTaxCents * 10000) / (10000 + Number(rate)));
  let best = exact;
  let bestGap = Infinity;
  for (const candidate of [exact - 1, exact, exact + 1, exact + 2]) {
    if (candidate < 0) continue;
    const shown = unitPrice({ price_unit: formatCents(candidate), tax_rate: taxRate }, true);
    const gap = Math.abs(shown - withTaxCents);
    if (gap < bestGap) { best = candidate; bestGap = gap; }
  }
  return best;
}

/** The taxes of an order per rate, as a receipt lists them: [{rate (scaled by 100, BigInt),
 * base, tax}] in cents, lowest rate first; their taxes add up to orderTotals(lines).tax. */
export function taxesByRate(lines) {
  const byRate = new Map();
  for (const line of lines) {
    const amounts = lineAmounts(line);
    if (!amounts) continue;
    const rate = parsePercent(line.tax_rate ?? "0");
    const key = rate.toString();
    const entry = byRate.get(key) || { rate, base: 0, tax: 0 };
    entry.base += amounts.subtotal;
    entry.tax += amounts.tax;
    byRate.set(key, entry);
  }
  return [...byRate.values()].sort((a, b) => (a.rate < b.rate ? -1 : a.rate > b.rate ? 1 : 0));
}
