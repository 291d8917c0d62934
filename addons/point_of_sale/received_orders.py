"""A record an autonomous till sealed, checked against the rules of order_rules.py before it
is stored (ledger_receive.py): parsed as `POST /pos/orders` parses an order, then run through
`order_rules`. Apart from order_rules.py because it needs the push's parser (orders.py), which
itself runs the rules."""
from decimal import Decimal

from core.i18n import _, instance_locale

from .fields import Rejection
from .order_rules import order_rules
from .orders import PushContext, parse_order
from .totals import CENT


def check_received_order(connection, config_id, session_id, record):
    """None, or (rule, message) for the first rule of `order_rules` that the order `record`
    (as an autonomous till sealed it, not stored yet) breaks in session `session_id`. The
    message is in the instance's language (it is stored: a quarantine reason, an alarm), not
    in that of the request that brought the record."""
    return check_received_orders(connection, config_id, [(session_id, record)])[0]


def check_received_orders(connection, config_id, items):
    """`check_received_order` of each (session id, record) of `items`, with what the rules
    need read once for them all. The records refund nothing stored with them (each is checked
    against what is stored, as if alone)."""
    with instance_locale():
        orders = [_parsed(record, session_id) for session_id, record in items]
        context = PushContext(connection, [o for o in orders if not isinstance(o, Rejection)])
        return [_broken_rule(order, record, config_id, context)
                for order, (_session_id, record) in zip(orders, items)]


def _parsed(record, session_id):
    try:
        return parse_order(_wire(record, session_id))
    except Rejection as rejection:
        return rejection


def _broken_rule(order, record, config_id, context):
    try:
        if isinstance(order, Rejection):
            raise order
        session = context.sessions[order.session_id]
        if session.config_id != config_id:
            raise Rejection("forbidden_session", _("session %(session)s is not of config "
                                                   "%(config)s", session=order.session_id,
                                                   config=config_id))
        unknown = sorted({line.product_id for line in order.lines} - set(context.tax_rates))
        if unknown:
            raise Rejection("unknown_product", _("unknown product ids: %(ids)s", ids=unknown))
        totals, _links = order_rules(order, session, context.tax_rates,
                                     context.methods[config_id], context.refunds)
        _check_sent_amounts(record, totals)
    except Rejection as rejection:
        return rejection.code, rejection.message
    return None


def _check_sent_amounts(record, totals):
    for name, computed in (("amount_tax", totals.tax), ("amount_paid", totals.paid),
                           ("amount_return", totals.change)):
        sent = record.get(name)
        if sent is not None and abs(Decimal(str(sent)) - computed) > CENT:
            raise Rejection(f"{name}_mismatch", _("the till's %(name)s %(sent)s differs from "
                                                  "the server's %(computed)s", name=name,
                                                  sent=sent, computed=computed))


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
