// Amounts, percentages and dates as a POS config shows them, with the browser's Intl API:
// `locale` (BCP 47, e.g. "fr-FR") gives the decimal separator, digit grouping and date format;
// `currency` (ISO 4217, e.g. "EUR") the symbol and its place. No currency: plain amounts with
// two decimals. A locale or currency the browser does not know falls back to "en-US" / plain,
// never to an error at the till. Pure functions (no DOM), tested under node (tests/js/).
import { formatCents, formatScaled } from "./money.js";

export const DEFAULT_LOCALE = "en-US";

function numberFormat(locale, options) {
  try {
    return new Intl.NumberFormat(locale || DEFAULT_LOCALE, options);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return null;
  }
}

function dateFormat(locale, options) {
  try {
    return new Intl.DateTimeFormat(locale || DEFAULT_LOCALE, options);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return new Intl.DateTimeFormat(DEFAULT_LOCALE, options);
  }
}

/** The formatter of a config ({locale, currency_code}): money(cents), percent(scaled by 100),
 * dateTime(ISO text or Date). Amounts are formatted from their exact decimal text. */
export function formatterFor({ locale = "", currency_code: currency = "" } = {}) {
  const plain = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
  const money = (currency && numberFormat(locale, { style: "currency", currency }))
    || numberFormat(locale, plain) || numberFormat(DEFAULT_LOCALE, plain);
  const percent = numberFormat(locale, { maximumFractionDigits: 2 })
    || numberFormat(DEFAULT_LOCALE, { maximumFractionDigits: 2 });
  const moment = dateFormat(locale, { dateStyle: "short", timeStyle: "short" });
  const effective = money.resolvedOptions();
  const decimal = (percent.formatToParts(1.5).find((part) => part.type === "decimal") || {}).value || ".";
  return {
    locale: effective.locale,
    currency: effective.currency || "",
    /** 1234 cents -> "12,34 €" (fr-FR, EUR), "$12.34" (en-US, USD), "12.34" (no currency). */
    money: (cents) => money.format(formatCents(cents)),
    /** 550n (5.5 %, scaled by 100) -> "5,5" (fr-FR), "5.5" (en-US). */
    percent: (scaled) => percent.format(formatScaled(scaled, 2)),
    /** The locale's decimal separator: "," (fr-FR), "." (en-US). */
    decimal,
    /** A plain decimal text ("12.50", as stored) as the locale writes it: "12,50" (fr-FR). */
    decimalText: (text) => String(text ?? "").replace(".", decimal),
    /** An ISO date and time -> "26/11/2026 14:05" (fr-FR), "11/26/26, 2:05 PM" (en-US). */
    dateTime: (value) => moment.format(value instanceof Date ? value : new Date(value)),
  };
}

const cache = new Map();
/** formatterFor, kept per (locale, currency): a till formats hundreds of amounts per render. */
export function formatter(config) {
  const key = `${config?.locale || ""}|${config?.currency_code || ""}`;
  if (!cache.has(key)) cache.set(key, formatterFor(config || {}));
  return cache.get(key);
}
