"""Payment methods per POS config: what its tills take (cash, card, vouchers, ...), and the money
rules of an order's payments.

A config with no method rows takes the two built-in ones, cash (gives change) and card, so every
config, the existing orders and the original tills (`"method": "cash"` / `"card"`) keep working
with nothing to set up. Saving the methods on the config's admin form writes its rows; from then
on they are what the config takes. A method is named on the wire by its `code`; an inactive
method is kept (old orders name it) but refused for new payments.
"""
import re
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model
from core.i18n import N_, _, _l
from core.values import whole_number

from .fields import Rejection

CODE_PATTERN = re.compile(r"[a-z0-9_]{1,16}")
MAX_METHODS = 20
# Their names are said in the caller's language (core.i18n: N_ marks them for the catalog).
BUILT_IN_METHODS = (
    {"code": "cash", "name": N_("Cash"), "gives_change": True, "active": True, "sequence": 1},
    {"code": "card", "name": N_("Card"), "gives_change": False, "active": True, "sequence": 2},
)


class PaymentMethod(Model):
    """One way a config's tills take money; `code` is what an order's payment names."""
    __tablename__ = "point_of_sale_payment_method"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    config_id: Mapped[int] = mapped_column(
        ForeignKey("point_of_sale_config.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    gives_change: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sequence: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("config_id", "code"),)


def _as_dict(row):
    return {"code": row.code, "name": row.name, "gives_change": row.gives_change,
            "active": row.active, "sequence": row.sequence}


def payment_methods(connection, config_id):
    """The config's methods, active or not, in their order: a list of dicts with `code`,
    `name`, `gives_change`, `active`, `sequence` (the built-in cash and card when it has none)."""
    return methods_by_config(connection, [config_id])[config_id]


def _methods_query():
    table = PaymentMethod.__table__
    return select(table).where(table.c.config_id.in_(bindparam("ids", expanding=True))) \
        .order_by(table.c.sequence, table.c.id)


def methods_by_config(connection, config_ids, lazy_names=False):
    """{config id: [method dict, ...]} for several configs in one query. `lazy_names`: the
    built-in methods' names are translated only if they are said (a push names them only in a
    refusal; looking the caller's language up costs more than the rest of this)."""
    say = _l if lazy_names else _
    found = {config_id: [] for config_id in config_ids}
    if found:
        for row in connection.execute(METHODS_OF, {"ids": list(found)}):
            found[row.config_id].append(_as_dict(row))
    return {config_id: methods or [dict(m, name=say(m["name"])) for m in BUILT_IN_METHODS]
            for config_id, methods in found.items()}


METHODS_OF = _methods_query()  # built once (see orders.py)


def save_payment_methods(connection, config_id, methods):
    """Replace the config's methods by `methods` (dicts as `payment_methods` returns, already
    validated by `validate_methods`); None changes nothing."""
    if methods is None:
        return
    connection.execute(delete(PaymentMethod).where(PaymentMethod.config_id == config_id))
    if methods:
        connection.execute(PaymentMethod.__table__.insert(), [
            {"config_id": config_id, **method} for method in methods])


def validate_methods(methods):
    """{row index or "methods": message} for a list of method dicts typed on the admin form."""
    errors = {}
    seen = set()
    for index, method in enumerate(methods):
        if not CODE_PATTERN.fullmatch(method["code"]):
            errors[index] = "the code must be 1 to 16 lowercase letters, digits or _"
        elif method["code"] in seen:
            errors[index] = f"the code {method['code']!r} is used twice"
        elif not method["name"] or len(method["name"]) > 64:
            errors[index] = "the name must be 1 to 64 characters"
        seen.add(method["code"])
    if len(methods) > MAX_METHODS:
        errors["methods"] = f"at most {MAX_METHODS} payment methods"
    elif not any(m["active"] for m in methods):
        errors["methods"] = "keep at least one active payment method, or the tills cannot take money"
    return errors


def check_payments(payments, total, methods):
    """The money rules of an order's `payments` (objects with `method` and `amount`, Decimal)
    against its `total`, with the config's `methods`; returns the change given back, or raises
    `Rejection`.

    A sale (total >= 0) is paid with positive amounts, at least its total; only the methods
    that give change may pay more than is due (the change comes out of them). A refund
    (total < 0) is paid back with negative amounts that add up to exactly its total."""
    by_code = {m["code"]: m for m in methods}
    refund = total < 0
    for index, payment in enumerate(payments):
        _check_payment(index, payment, by_code.get(payment.method), methods, refund)
    paid = sum((p.amount for p in payments), Decimal("0"))
    if refund:
        if paid != total:
            raise Rejection("refund_payment_mismatch",
                            _("a refund of %(total)s must be paid back exactly; the payments pay "
                              "back %(paid)s", total=-total, paid=-paid))
        return Decimal("0")
    if paid < total:
        raise Rejection("underpaid", _("payments of %(paid)s do not cover the total of %(total)s",
                                       paid=paid, total=total))
    _check_change(payments, total, methods, by_code)
    return paid - total


def _check_payment(index, payment, method, methods, refund):
    """One payment: a method of this till still taken (of `methods`), an amount of the right
    sign."""
    if method is None:
        raise Rejection("unknown_payment_method",
                        _("payments[%(index)s].method %(method)s is not a payment method of this "
                          "till; it takes: %(usable)s", index=index,
                          method=repr(payment.method), usable=_usable(methods)))
    if not method["active"]:
        raise Rejection("inactive_payment_method",
                        _("payments[%(index)s]: %(method)s is no longer taken at this till; use "
                          "one of: %(usable)s", index=index, method=method["name"],
                          usable=_usable(methods)))
    if refund and payment.amount >= 0:
        raise Rejection("invalid_payment", _("payments[%(index)s].amount must be negative: "
                                             "a refund is paid back", index=index))
    if not refund and payment.amount <= 0:
        raise Rejection("invalid_payment", _("payments[%(index)s].amount must be more than 0",
                                             index=index))


def _usable(methods):
    """The codes of the methods a till takes, as a refusal names them."""
    return ", ".join(m["code"] for m in methods if m["active"])


def _check_change(payments, total, methods, by_code):
    """Only the methods that give change may pay more than is due."""
    without_change = sum((p.amount for p in payments if not by_code[p.method]["gives_change"]),
                         Decimal("0"))
    if without_change > total:
        givers = [str(m["name"]) for m in methods if m["gives_change"] and m["active"]]
        if not givers:
            raise Rejection("overpaid_without_change",
                            _("payments that give no change (%(amount)s) exceed the total of "
                              "%(total)s; no method of this till gives change",
                              amount=without_change, total=total))
        raise Rejection("overpaid_without_change",
                        _("payments that give no change (%(amount)s) exceed the total of "
                          "%(total)s; only %(methods)s gives change", amount=without_change,
                          total=total, methods=_(" or ").join(givers)))


# -- the admin's config form ----------------------------------------------------------------------

BLANK_ROWS = 2  # empty rows under the config's methods, to add new ones


def form_rows(methods):
    """The rows the config form shows: the methods, then blank ones to fill in."""
    blank = {"code": "", "name": "", "gives_change": False, "active": True, "sequence": ""}
    return [dict(m) for m in methods] + [dict(blank) for _ in range(BLANK_ROWS)]


def methods_from_form(form):
    """(methods, rows as typed, errors) from the `method-<n>-<field>` inputs; a row with
    neither code nor name is left out. Errors: {row index or "methods": message}. A form with
    no such inputs (a script's) leaves the methods as they are: methods is then None."""
    indexes = _method_indexes(form)
    if not indexes:
        return None, form_rows(BUILT_IN_METHODS), {}
    rows = [_typed_row(form, index) for index in indexes]
    methods, errors = _filled_methods(rows)
    for key, message in validate_methods(methods).items():
        errors.setdefault(methods[key]["row"] if key != "methods" else key, message)
    for method in methods:
        del method["row"]
    return methods, rows, errors


def _method_indexes(form):
    """The <n> of the form's `method-<n>-<field>` inputs (at most 3 digits), in order."""
    numbers = {key.split("-")[1] for key in form if key.startswith("method-")}
    indexes = (whole_number(n, max_digits=3) for n in numbers)
    return sorted(index for index in indexes if index is not None)


def _typed_row(form, index):
    def value(name):
        return (form.get(f"method-{index}-{name}") or "").strip()
    return {"code": value("code").lower(), "name": value("name"),
            "gives_change": value("gives_change") in ("1", "on"),
            "active": value("active") in ("1", "on"), "sequence": value("sequence")}


def _filled_methods(rows):
    """(methods, errors) of the rows with a code or a name; each method keeps its `row`. An
    empty order is the method's place among them."""
    methods, errors = [], {}
    for position, row in enumerate(rows):
        if not row["code"] and not row["name"]:
            continue
        sequence = row["sequence"] or str(len(methods) + 1)
        if not (sequence.isascii() and sequence.isdigit() and len(sequence) <= 4):
            errors[position] = "the order must be a whole number from 0 to 9999"
            continue
        methods.append({**row, "sequence": int(sequence), "row": position})
    return methods, errors
