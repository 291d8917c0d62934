"""What the POS routes share to read a request's fields: `Rejection` (a refusal with its code
and message in words, which the routes answer as a 4xx) and the amount parser. Its own module,
so that orders.py and what orders.py uses (payment methods, refunds, cash control) read fields
without importing each other in a circle."""
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.i18n import _

# An amount sent as a string: plain ASCII digits with an optional decimal part. Python's
# Decimal would also read "1_000", " 2 " and full-width digits.
AMOUNT_TEXT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")
SIGNED_AMOUNT_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")  # refunds: quantities, payments
MAX_AMOUNT = Decimal("1000000000")


class Rejection(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def amount(value, name, places="0.01", signed=False):
    """A JSON number or a string of plain decimal digits ("12.50"), as a Decimal rounded to
    `places`: non-negative unless `signed`."""
    number = _decimal(value, name, signed)
    _check_amount_range(number, name, signed)
    quantum = QUANTA.get(places) or Decimal(places)
    return number.quantize(quantum, ROUND_HALF_UP)


QUANTA = {"0.01": Decimal("0.01"), "0.001": Decimal("0.001")}  # built once, not per amount


def _decimal(value, name, signed):
    """The Decimal of an amount's JSON value. A push reads ten amounts per order: what JSON
    gives most (a string of digits, an integer) is read first, without the general checks."""
    kind = type(value)
    if kind is str and (SIGNED_AMOUNT_TEXT if signed else AMOUNT_TEXT).fullmatch(value):
        return Decimal(value)  # plain digits: always a finite number
    if kind is int:
        return Decimal(value)
    _check_amount_shape(value, name, signed)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Rejection("invalid_field", _("'%(name)s' must be a number", name=name)) from None


def _check_amount_shape(value, name, signed):
    """A number (never a boolean) or a string of plain digits."""
    pattern = SIGNED_AMOUNT_TEXT if signed else AMOUNT_TEXT
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
            isinstance(value, str) and not pattern.fullmatch(value)):
        raise Rejection("invalid_field", _("'%(name)s' must be a number, or a string of digits "
                                           "with an optional decimal point such as \"12.50\"",
                                           name=name))


def _check_amount_range(number, name, signed):
    """Finite, at most a thousand million either way, and not below zero unless `signed`."""
    if not number.is_finite() or abs(number) > MAX_AMOUNT or (number < 0 and not signed):
        lowest = "-1000000000" if signed else "0"
        raise Rejection("invalid_field", _("'%(name)s' must be a number from %(lowest)s to "
                                           "1000000000", name=name, lowest=lowest))
