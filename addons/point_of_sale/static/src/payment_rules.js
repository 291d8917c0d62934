// The money rules of an order's payments, as the server checks them (payment_methods.py), pure
// so that node's test runner runs them too (tests/point_of_sale/js/). Amounts in cents.
//
// A payment: {id, method (a code of the config's payment methods), amount}. A sale (total >= 0)
// is paid with positive amounts, at least its total; only a method that gives change may take
// more than is due, and the change comes out of it. A refund (total < 0) is paid back with
// negative amounts that add up to exactly its total; it gives no change.

import { _t } from "./i18n.js";

/** {paid, remaining, change, valid, problem}: where the payments of an order of `total` stand.
 * `remaining` and `change` are never negative; `problem` says in words why it cannot be
 * validated yet (null when it can). */
export function paymentStatus(total, payments, methods) {
  const byCode = new Map(methods.map((m) => [m.code, m]));
  const refund = total < 0;
  const paid = payments.reduce((sum, p) => sum + (p.amount ?? 0), 0);
  for (const payment of payments) {
    const method = byCode.get(payment.method);
    if (!method) return status(paid, total, _t("{method} is not taken at this till", { method: payment.method }));
    if (payment.amount === null || payment.amount === undefined) {
      return status(paid, total, _t("Type an amount, e.g. 20 or 12.50"));
    }
    if (refund ? payment.amount >= 0 : payment.amount <= 0) {
      return status(paid, total, _t("Type the {method} amount", { method: method.name }));
    }
  }
  if (refund) {
    if (paid !== total) return status(paid, total, paid < total ? _t("More than the refund") : null);
    return status(paid, total, null);
  }
  if (paid < total) return status(paid, total, null);
  const withoutChange = payments.filter((p) => !byCode.get(p.method).gives_change)
    .reduce((sum, p) => sum + p.amount, 0);
  if (withoutChange > total) {
    const givers = methods.filter((m) => m.gives_change).map((m) => m.name);
    const or = _t(" or ");
    return status(paid, total, givers.length
      ? _t("Only {methods} gives change: lower the other amounts", { methods: givers.join(or) })
      : _t("No method here gives change: lower the other amounts"));
  }
  return status(paid, total, null);
}

function status(paid, total, problem) {
  const refund = total < 0;
  const remaining = refund ? Math.max(0, paid - total) : Math.max(0, total - paid);
  const change = refund ? 0 : Math.max(0, paid - total);
  const complete = refund ? paid === total : paid >= total;
  return { paid, remaining, change, valid: complete && !problem, problem };
}

/** The amount a new payment of `method` starts with: what is left to pay (or pay back). */
export function suggestedAmount(total, payments) {
  const paid = payments.reduce((sum, p) => sum + (p.amount ?? 0), 0);
  return total - paid;
}

/** The payments as POST /pos/orders takes them ({method, amount: "12.50"}). */
export function wirePayments(payments, formatCents) {
  return payments.filter((p) => p.amount).map((p) => ({ method: p.method, amount: formatCents(p.amount) }));
}
