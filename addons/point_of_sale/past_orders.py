"""Looking up stored orders from a till (the past-orders screen): checked like `/pos/orders`,
a till's token sees its own config's orders only.

    GET /pos/config/<config id>/orders?q=&session_id=&limit=
        newest first: the orders found by `q` (a uuid, a reference "Order 00001-001-0003", the
        12 digits of the receipt's barcode "000010010003", or part of a reference), else those
        of `session_id`, else those of the config's current session.
    GET /pos/config/<config id>/orders/<uuid>
        one order with its lines (what is left to refund of each), payments and refunds.
"""
import re

from flask import Blueprint, jsonify, request
from sqlalchemy import func, or_, select

from core.i18n import _
from core.times import utc_iso
from core.web import current_instance
from core.web.errors import ApiError
from core.web.fields import Fields

from . import sessions
from .access import config_or_404, require_config_access
from .models import Order, OrderLine, Partner, Payment, PosSession, Product
from .orders import UUID_PATTERN
from .payment_methods import payment_methods
from .refunds import refunded_quantities

DEFAULT_LIMIT, MAX_LIMIT = 50, 100
MAX_QUERY = 64
MAX_SESSION_ID = 2**31 - 1  # an INTEGER column
QUERY = Fields("invalid_query")  # what the query string says, one code for any of it
ORDER_UUID = Fields("invalid_uuid")
BARCODE = re.compile(r"([0-9]{5})([0-9]{3})([0-9]{4})")  # session, login number, sequence

blueprint = Blueprint("point_of_sale_past_orders", __name__, url_prefix="/pos")


@blueprint.get("/config/<int:config_id>/orders")
def find_orders(config_id):
    require_config_access(config_id)
    q = request.args.get("q", "").strip()
    if len(q) > MAX_QUERY or not q.isprintable():
        QUERY.refuse("q", _("at most %(max_query)s printable characters: a reference, a "
                            "receipt's barcode or a uuid", max_query=MAX_QUERY))
    limit = QUERY.written_whole(request.args.get("limit"), "limit", maximum=MAX_LIMIT,
                                default=DEFAULT_LIMIT)
    session_id = QUERY.written_whole(request.args.get("session_id"), "session_id",
                                     maximum=MAX_SESSION_ID)
    with current_instance().engine.connect() as connection:
        config_or_404(connection, config_id)
        query = _summaries().where(PosSession.config_id == config_id)
        if q:
            query = query.where(_matching(q))
        else:
            if session_id is None:
                current = sessions.current_session(connection, config_id)
                session_id = current.id if current else None
            query = query.where(Order.session_id == session_id)
        rows = connection.execute(
            query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    return jsonify(orders=[_summary_json(row) for row in rows])


@blueprint.get("/config/<int:config_id>/orders/<uuid>")
def order_detail(config_id, uuid):
    require_config_access(config_id)
    if not UUID_PATTERN.fullmatch(uuid):
        ORDER_UUID.refuse("uuid", _("1 to 64 letters, digits, - or _"))
    with current_instance().engine.connect() as connection:
        row = connection.execute(_summaries().where(
            PosSession.config_id == config_id, Order.uuid == uuid)).first()
        if row is None:
            raise ApiError(404, "unknown_order", _('POS config %(config_id)s has no order %(uuid)s'
                                                   , config_id=config_id, uuid=uuid))
        return jsonify(order_json(connection, config_id, row))


def order_details(connection, config_id, uuid):
    """Config `config_id`'s order `uuid` as the till's detail shows it (`order_json`: lines
    with their names, payments with their methods' names, the ticket), or None."""
    row = connection.execute(_summaries().where(
        PosSession.config_id == config_id, Order.uuid == uuid)).first()
    return None if row is None else order_json(connection, config_id, row)


def order_json(connection, config_id, row):
    """The full order: its summary, lines with what is left to refund, payments, refunds."""
    refunded = refunded_quantities(connection, [row.id])
    lines = connection.execute(
        select(OrderLine.id, OrderLine.product_id, OrderLine.qty, OrderLine.price_unit,
               OrderLine.discount, OrderLine.price_subtotal, OrderLine.price_subtotal_incl,
               Product.name, Product.tax_rate)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == row.id).order_by(OrderLine.id)).all()
    names = {m["code"]: m["name"] for m in payment_methods(connection, config_id)}
    payments = connection.execute(select(Payment.method, Payment.amount).where(
        Payment.order_id == row.id).order_by(Payment.id)).all()
    refunds = connection.execute(select(Order.uuid, Order.reference).where(
        Order.refunded_order_id == row.id).order_by(Order.id)).all()
    return {
        **_summary_json(row),
        "amount_untaxed": str(row.amount_untaxed), "amount_tax": str(row.amount_tax),
        "amount_paid": str(row.amount_paid), "amount_return": str(row.amount_return),
        "lines": [_line_json(index, line, refunded.get(line.id, 0),
                             refundable=row.refunded_order_uuid is None)
                  for index, line in enumerate(lines)],
        "payments": [{"method": p.method, "name": names.get(p.method, p.method),
                      "amount": str(p.amount)} for p in payments],
        "refunds": [{"uuid": r.uuid, "reference": r.reference} for r in refunds],
        "ticket": _ticket(connection, row.uuid),
    }


def _ticket(connection, uuid):
    """The order's ticket number and link in the ledger (a reprint shows them), or None."""
    from .ledger_seal import sealed_entries_of
    found = sealed_entries_of(connection, "order", [uuid]).get(uuid)
    return {"number": found[0], "link": found[1]} if found else None


def _line_json(index, line, refunded, refundable):
    return {"index": index, "product_id": line.product_id, "name": line.name,
            "qty": _qty(line.qty), "price_unit": str(line.price_unit),
            "discount": str(line.discount), "tax_rate": str(line.tax_rate),
            "price_subtotal": str(line.price_subtotal),
            "price_subtotal_incl": str(line.price_subtotal_incl),
            "refunded_qty": _qty(refunded),
            "refundable_qty": _qty(max(line.qty - refunded, 0) if refundable else 0)}


def _summaries():
    refunded = Order.__table__.alias("refunded")
    return (select(Order.id, Order.uuid, Order.reference, Order.created_at, Order.session_id,
                   Order.partner_id, Order.amount_untaxed, Order.amount_tax, Order.amount_total,
                   Order.amount_paid, Order.amount_return,
                   PosSession.name.label("session_name"), Partner.name.label("partner_name"),
                   refunded.c.uuid.label("refunded_order_uuid"),
                   refunded.c.reference.label("refunded_order_reference"))
            .join(PosSession, PosSession.id == Order.session_id)
            .outerjoin(Partner, Partner.id == Order.partner_id)
            .outerjoin(refunded, refunded.c.id == Order.refunded_order_id))


def _matching(q):
    """An order's uuid or reference, the digits of a receipt's barcode, or part of a
    reference."""
    candidates = [Order.uuid == q, func.lower(Order.reference) == q.lower()]
    barcode = BARCODE.fullmatch(q)
    if barcode:
        candidates.append(Order.reference == "Order {}-{}-{}".format(*barcode.groups()))
    candidates.append(Order.reference.icontains(q, autoescape=True))
    return or_(*candidates)


def _summary_json(row):
    return {"uuid": row.uuid, "reference": row.reference,
            "created_at": utc_iso(row.created_at, zulu=True), "session_id": row.session_id,
            "session_name": row.session_name, "partner_id": row.partner_id,
            "partner_name": row.partner_name, "amount_total": str(row.amount_total),
            "refunded_order_uuid": row.refunded_order_uuid,
            "refunded_order_reference": row.refunded_order_reference}


def _qty(value):
    return format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)

