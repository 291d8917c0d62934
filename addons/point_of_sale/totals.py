"""The server's own arithmetic of an order: totals from the lines and the products' tax rates,
the payments checked against the config's methods. Its own module: orders.py (the push) and
order_rules.py (the rules a till's sealed records obey too) both use it."""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.i18n import _

from .fields import Rejection
from .payment_methods import BUILT_IN_METHODS, check_payments

CENT = Decimal("0.01")
ZERO = Decimal("0")
MONEY_LIMIT = Decimal("10000000000")  # Numeric(12, 2) holds less than this


@dataclass(frozen=True)
class Totals:
    lines: tuple  # (price_subtotal, price_subtotal_incl) per line
    untaxed: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    change: Decimal
    tax_rates: tuple = ()  # the tax rate of each line (percent), stored with it


def compute_totals(order, tax_rates, methods=BUILT_IN_METHODS):
    """Totals from the lines and the products' tax rates (percent, prices tax excluded); the
    payments checked against the config's payment `methods` (payment_methods.check_payments)."""
    amounts, rates = [], []
    untaxed = total = ZERO
    for line in order.lines:  # one loop for all the sums: a push computes thousands of lines
        rate = tax_rates[line.product_id]
        subtotal = _cents(line.qty * line.price_unit * (100 - line.discount) / 100)
        with_tax = subtotal + _cents(subtotal * rate / 100)
        amounts.append((subtotal, with_tax))
        rates.append(rate)
        untaxed += subtotal
        total += with_tax
    paid = sum((p.amount for p in order.payments), ZERO)
    if order.amount_total is not None and abs(order.amount_total - total) > CENT:
        raise Rejection("total_mismatch", _("the till's total %(sent)s differs from the "
                                            "server's %(total)s; check prices and tax rates",
                                            sent=order.amount_total, total=total))
    change = check_payments(order.payments, total, methods)
    if abs(paid) >= MONEY_LIMIT:  # |paid| >= |total| >= every line
        raise Rejection("amount_too_large", _("an order's amounts must stay below %(limit)s; "
                                              "split it", limit=MONEY_LIMIT))
    return Totals(tuple(amounts), untaxed, total - untaxed, total, paid, change, tuple(rates))


def _cents(value):
    return value.quantize(CENT, ROUND_HALF_UP)
