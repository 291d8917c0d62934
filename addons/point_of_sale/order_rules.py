"""The rules an order obeys whoever sealed it: one rule set for the live path (`POST
/pos/orders`, orders.py) and for the records an autonomous till sealed (ledger_receive.py).

`order_rules` is what both run on a parsed order: the refund's scope and balance (refunds.py),
the totals computed from the lines and this server's tax rates against the till's total, and
the payments against the config's known, active methods, change only from a method that gives
it (payment_methods.check_payments, through compute_totals). A Rejection's code names the rule.

A received record is a fact: its ticket stays in the chain and the record is stored as the till
sealed it. `check_received_order` says which rule it breaks, if any; the receiving side then
quarantines it (`quarantine`): kept, but counted in no refund balance, report or closing, and
an alarm names the till, the ticket and the rule.
"""
from decimal import Decimal

from sqlalchemy import select

from core.models import utc_now

from .fields import Rejection
from .models import Order, Quarantine

CENT = Decimal("0.01")


def order_rules(order, session, tax_rates, methods, refunds):
    """(totals, refund links or None) of `order` in `session`, or the Rejection of the rule it
    breaks (`refunds` a refunds.Refunds; `methods` the session's config's payment methods)."""
    from .orders import compute_totals
    links = refunds.check(order, session)
    totals = compute_totals(order, tax_rates, methods)
    return totals, links


def check_received_order(connection, config_id, session_id, record):
    """None, or (rule, message) for the first rule of `order_rules` that the order `record`
    (as an autonomous till sealed it, not stored yet) breaks in session `session_id`."""
    from .orders import PushContext, parse_order
    try:
        order = parse_order(_wire(record, session_id))
        context = PushContext(connection, [order])
        session = context.sessions[session_id]
        if session.config_id != config_id:
            raise Rejection("forbidden_session", f"session {session_id} is not of config "
                                                 f"{config_id}")
        unknown = sorted({line.product_id for line in order.lines} - set(context.tax_rates))
        if unknown:
            raise Rejection("unknown_product", f"unknown product ids: {unknown}")
        totals, _links = order_rules(order, session, context.tax_rates,
                                     context.methods[config_id], context.refunds)
        for name, computed in (("amount_tax", totals.tax), ("amount_paid", totals.paid),
                               ("amount_return", totals.change)):
            sent = record.get(name)
            if sent is not None and abs(Decimal(str(sent)) - computed) > CENT:
                raise Rejection(f"{name}_mismatch", f"the till's {name} {sent} differs from "
                                                    f"the server's {computed}")
    except Rejection as rejection:
        return rejection.code, rejection.message
    return None


def _wire(record, session_id):
    """The record in the form POST /pos/orders takes."""
    lines = [{"product_id": line.get("product_id"), "qty": line.get("qty"),
              "price_unit": line.get("price_unit"), "discount": line.get("discount", 0),
              **({"refunded_line_index": line["refunded_line_index"]}
                 if "refunded_line_index" in line else {})}
             for line in record.get("lines") or [] if isinstance(line, dict)]
    return {"uuid": record.get("uuid"), "session_id": session_id,
            "created_at": record.get("created_at"), "partner_id": record.get("partner_id"),
            "lines": lines, "payments": record.get("payments") or [],
            "amount_total": record.get("amount_total"),
            "refunded_order_uuid": record.get("refunded_order_uuid")}


def quarantine(connection, config_id, number, uuid, rule, message):
    """Keep the stored order `uuid` out of every balance, report and closing."""
    order_id = connection.scalar(select(Order.id).where(Order.uuid == uuid))
    connection.execute(Quarantine.__table__.insert().values(
        order_id=order_id, config_id=config_id, number=number, rule=rule[:64],
        message=message[:1000], at=utc_now()))


def not_quarantined(order_id_column):
    """A WHERE clause: the order is not quarantined."""
    return order_id_column.not_in(select(Quarantine.order_id))
