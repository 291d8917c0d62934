"""Order push: parse what a till sends, recompute totals, store each order exactly once.

One push is one transaction. Every check runs before anything is written, against data read
once per push; each order is then inserted in a savepoint of its own, so a rejected order leaves
nothing behind and never takes the others with it, and a push costs one commit.
Orders are recognised by the `uuid` the till made: sending one again answers `duplicate` and
changes nothing (a till that timed out re-sends; see Odoo #40567).
Each order stored is sealed in the same transaction (ledger.py): its answer carries its ticket
`number` and chain `link`, which a duplicate's answer repeats.
"""
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.db import is_transient
from core.i18n import _
from core.models import utc_now
from core.web.strict_json import clean_text

from .fields import Rejection
from .fields import amount as _amount
from .ledger_seal import seal_records, sealed_entries_of
from .ledger_writer import config_writers, served_elsewhere_message
from .models import Order, OrderLine, Partner, Payment, PosSession, Product
from .order_approvals import parse_approvals
from .order_rules import order_rules
from .payment_methods import CODE_PATTERN, methods_by_config
from .refunds import Refunds
from .session_age import too_old
from .totals import CENT, MONEY_LIMIT, Totals, compute_totals  # noqa: F401 - the public face

log = logging.getLogger(__name__)

MAX_LINES = 500
MAX_PAYMENTS = 20
UUID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class ParsedLine:
    product_id: int
    qty: Decimal
    price_unit: Decimal
    discount: Decimal
    refunded_line_index: int | None = None  # a refund line: the original's line it takes back


@dataclass(frozen=True)
class ParsedPayment:
    method: str
    amount: Decimal


@dataclass(frozen=True)
class ParsedOrder:
    uuid: str
    session_id: int
    created_at: datetime
    partner_id: int | None
    reference: str | None
    sequence_number: int | None
    lines: tuple
    payments: tuple
    amount_total: Decimal | None  # what the till computed, checked against ours
    refunded_order_uuid: str | None = None  # a refund: the order it refunds (refunds.py)
    cashier: str | None = None  # who sold it: the login of the cashier at the till (staff.py)
    approvals: tuple = ()  # the managers' approvals it carries (order_approvals.py)

    def to_wire(self):
        """The wire form `parse_order` reads (decimals as strings, UTC times with a Z)."""
        created_at = self.created_at
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=timezone.utc)
        wire = {
            "uuid": self.uuid,
            "session_id": self.session_id,
            "created_at": created_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
            "partner_id": self.partner_id,
            "reference": self.reference,
            "sequence_number": self.sequence_number,
            "lines": [{"product_id": line.product_id, "qty": str(line.qty),
                       "price_unit": str(line.price_unit), "discount": str(line.discount),
                       **({"refunded_line_index": line.refunded_line_index}
                          if line.refunded_line_index is not None else {})}
                      for line in self.lines],
            "payments": [{"method": p.method, "amount": str(p.amount)} for p in self.payments],
        }
        if self.amount_total is not None:
            wire["amount_total"] = str(self.amount_total)
        if self.refunded_order_uuid is not None:
            wire["refunded_order_uuid"] = self.refunded_order_uuid
        if self.cashier is not None:
            wire["cashier"] = self.cashier
        if self.approvals:
            wire["approvals"] = [approval.to_wire() for approval in self.approvals]
        return wire


# -- parsing: the wire shape, checked field by field -----------------------------------------

def parse_order(raw):
    if not isinstance(raw, dict):
        raise Rejection("invalid_order", _("each order must be a JSON object"))
    uuid = _uuid(raw.get("uuid"), "invalid_uuid",
                 _("'uuid' must be 1 to 64 letters, digits, - or _"))
    lines = _list_of_lines(raw.get("lines"))
    payments = raw.get("payments", [])
    if not isinstance(payments, list) or len(payments) > MAX_PAYMENTS:
        raise Rejection("invalid_payments", _("'payments' must be a list of at most "
                                              "%(count)s payments", count=MAX_PAYMENTS))
    reference = _optional_text(raw.get("reference"), 0, "invalid_reference",
                               _("'reference' must be a string of at most 64 characters"))
    cashier = _optional_text(raw.get("cashier"), 1, "invalid_cashier",
                             _("'cashier' must be the login of the cashier who sold it (1 to 64 "
                               "characters)"))
    total = raw.get("amount_total")
    refunded = raw.get("refunded_order_uuid")
    if refunded is not None:
        _uuid(refunded, "invalid_refund",
              _("'refunded_order_uuid' must be the uuid of the order this one refunds"))
    parsed_lines = tuple(_line(line, index) for index, line in enumerate(lines))
    if refunded is None and any(line.refunded_line_index is not None for line in parsed_lines):
        raise Rejection("invalid_refund", _("lines with a 'refunded_line_index' need the "
                                            "order's 'refunded_order_uuid'"))
    return ParsedOrder(
        uuid=uuid,
        session_id=_integer(raw.get("session_id"), "session_id"),
        created_at=_timestamp(raw.get("created_at")),
        partner_id=_optional_integer(raw, "partner_id"),
        reference=reference,
        sequence_number=_optional_integer(raw, "sequence_number"),
        lines=parsed_lines,
        payments=tuple(_payment(payment, index) for index, payment in enumerate(payments)),
        amount_total=_amount(total, "amount_total", signed=True) if total is not None else None,
        refunded_order_uuid=refunded,
        cashier=cashier,
        approvals=parse_approvals(raw.get("approvals")),
    )


def _uuid(value, code, message):
    if not isinstance(value, str) or not UUID_PATTERN.fullmatch(value):
        raise Rejection(code, message)
    return value


def _list_of_lines(lines):
    if not isinstance(lines, list) or not lines:
        raise Rejection("empty_order", _("an order needs at least one line in 'lines'"))
    if len(lines) > MAX_LINES:
        raise Rejection("too_many_lines", _("an order may have at most %(count)s lines",
                                            count=MAX_LINES))
    return lines


def _optional_text(value, shortest, code, message, longest=64):
    """None, or a string of `shortest` to `longest` characters."""
    if value is not None and (not isinstance(value, str)
                              or not shortest <= len(value) <= longest):
        raise Rejection(code, message)
    return value


def _optional_integer(raw, name):
    return _integer(raw[name], name) if raw.get(name) is not None else None


def _line(raw, index):
    where = f"lines[{index}]"
    if not isinstance(raw, dict):
        raise Rejection("invalid_line", _("%(where)s must be an object", where=where))
    refunded_line = raw.get("refunded_line_index")
    if refunded_line is not None and (isinstance(refunded_line, bool) or not isinstance(
            refunded_line, int) or not 0 <= refunded_line < MAX_LINES):
        raise Rejection("invalid_refund", _("%(where)s.refunded_line_index must be the position "
                                            "(from 0) of the refunded line in the original "
                                            "order", where=where))
    qty = _amount(raw.get("qty"), f"{where}.qty", places="0.001", signed=True)
    if refunded_line is None and (qty <= 0 or qty > 100000):
        raise Rejection("invalid_line", _("%(where)s.qty must be more than 0 and at most 100000 "
                                          "(a refund line, negative, names its "
                                          "refunded_line_index)", where=where))
    if refunded_line is not None and not -100000 <= qty < 0:
        raise Rejection("invalid_refund", _("%(where)s.qty of a refund line must be negative, "
                                            "at least -100000", where=where))
    discount = _amount(raw.get("discount", 0), f"{where}.discount")
    if not 0 <= discount <= 100:
        raise Rejection("invalid_line", _("%(where)s.discount must be a percentage from 0 to 100",
                                          where=where))
    return ParsedLine(product_id=_integer(raw.get("product_id"), f"{where}.product_id"), qty=qty,
                      price_unit=_amount(raw.get("price_unit"), f"{where}.price_unit"),
                      discount=discount, refunded_line_index=refunded_line)


def _payment(raw, index):
    """A payment names its method by code (checked against the till's config later); a
    refund's payments are negative."""
    where = f"payments[{index}]"
    method = raw.get("method") if isinstance(raw, dict) else None
    if not isinstance(method, str) or not CODE_PATTERN.fullmatch(method):
        raise Rejection("invalid_payment", _("%(where)s.method must be a payment method's code "
                                             "such as \"cash\" or \"card\"", where=where))
    amount = _amount(raw.get("amount"), f"{where}.amount", signed=True)
    if amount == 0:
        raise Rejection("invalid_payment", _("%(where)s.amount must be more than 0 (less than 0 "
                                             "for a refund)", where=where))
    return ParsedPayment(method, amount)


def _integer(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise Rejection("invalid_field", _("'%(name)s' must be a positive whole number", name=name))
    return value


def _timestamp(value):
    if not isinstance(value, str):
        raise Rejection("invalid_field", _("'created_at' must be an ISO 8601 date and time"))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # Stored in UTC: SQLite keeps no offset, and tills in other zones must still sort right.
        # Near year 1 or 9999 the conversion itself overflows.
        return (moment.astimezone(timezone.utc) if moment.tzinfo
                else moment.replace(tzinfo=timezone.utc))
    except (ValueError, OverflowError):
        raise Rejection("invalid_field", _("'created_at' must be an ISO 8601 date and time "
                                           "between the years 1 and 9999, "
                                           "e.g. 2026-11-22T10:15:00Z")) from None


# -- storing ---------------------------------------------------------------------------------

ORDER_INSERT = Order.__table__.insert()
LINE_INSERT = OrderLine.__table__.insert()
PAYMENT_INSERT = Payment.__table__.insert()


class PushContext:
    """What a push needs from the database, read once for all its orders (not once per order):
    the orders already stored, the sessions, the products' tax rates, the partners, the
    configs' payment methods and the orders refunded (locked: refunds.py)."""

    def __init__(self, connection, orders):
        uuids = {o.uuid for o in orders}
        self.stored = dict(connection.execute(
            select(Order.uuid, Order.id).where(Order.uuid.in_(uuids))).all()) if uuids else {}
        session_ids = {o.session_id for o in orders}
        self.sessions = {row.id: row for row in connection.execute(
            select(PosSession).where(PosSession.id.in_(session_ids)))} if session_ids else {}
        self.writers = config_writers(connection, {row.config_id for row in
                                                   self.sessions.values()})
        product_ids = {line.product_id for o in orders for line in o.lines}
        products = connection.execute(select(Product.id, Product.tax_rate, Product.name).where(
            Product.id.in_(product_ids))).all() if product_ids else []
        self.tax_rates = {row.id: row.tax_rate for row in products}
        self.labels = {row.id: row.name for row in products}  # each line's label as sold
        partner_ids = {o.partner_id for o in orders if o.partner_id is not None}
        self.partners = set(connection.execute(select(Partner.id).where(
            Partner.id.in_(partner_ids))).scalars()) if partner_ids else set()
        self.highest_sequence = {}  # session id -> highest sequence number pushed
        self.methods = methods_by_config(
            connection, sorted({s.config_id for s in self.sessions.values()}))
        self.refunds = Refunds(connection, orders)


def push_orders(connection, raw_orders, allowed_config_id=None, check_order=None):
    """Store each order of a push; return one result dict per order, in order.

    `allowed_config_id` limits the push to sessions of that config (a bearer token's);
    `check_order(connection, order, session)` may return (code, message) to reject an order.
    Whatever goes wrong with one order, an unforeseen error included, is that order's
    rejection: it is logged with the uuid and answered as `unexpected_error`.

    A refund of an order of the same push (a till that sold and refunded offline) is stored
    after the others, once the order it refunds is (refunds.py checks stored orders).
    """
    def text(raw, key):  # only text can name an order (parse_order refuses the rest, alone)
        value = raw.get(key) if isinstance(raw, dict) else None
        return value if isinstance(value, str) else None

    uuids = {text(raw, "uuid") for raw in raw_orders} - {None}
    later = [index for index, raw in enumerate(raw_orders)
             if text(raw, "refunded_order_uuid") in uuids]
    if not later:
        return _push_orders(connection, raw_orders, allowed_config_id, check_order)
    first = [index for index in range(len(raw_orders)) if index not in set(later)]
    results = [None] * len(raw_orders)
    for indexes in (first, later):
        part = _push_orders(connection, [raw_orders[i] for i in indexes], allowed_config_id,
                            check_order)
        for index, result in zip(indexes, part):
            if "index" in result:
                result["index"] = index
            results[index] = result
    return results


def _push_orders(connection, raw_orders, allowed_config_id, check_order):
    parsed = [_parse_isolated(raw) for raw in raw_orders]
    context = PushContext(connection, [o for o in parsed if isinstance(o, ParsedOrder)])
    results = [None] * len(parsed)
    accepted = []  # (index, order, session, totals, refund links), to insert
    first_index = {}  # uuid -> index of its first accepted occurrence in this push
    for index, order in enumerate(parsed):
        try:
            if isinstance(order, Rejection):
                raise order
            if order.uuid in context.stored:
                results[index] = _duplicate(order.uuid, context.stored[order.uuid])
            elif order.uuid in first_index:
                results[index] = first_index[order.uuid]  # resolved once that one is stored
            else:
                session, totals, links = _check_isolated(connection, order, context,
                                                         allowed_config_id, check_order)
                first_index[order.uuid] = index
                accepted.append((index, order, session, totals, links))
        except Rejection as rejection:
            results[index] = _rejected(raw_orders[index], index, rejection)
    _insert_accepted(connection, accepted, results, context, raw_orders)
    for index, result in enumerate(results):
        if isinstance(result, int):  # the same uuid twice in one push: the second is a duplicate
            first = results[result]
            results[index] = (_duplicate(parsed[index].uuid, first["order_id"])
                              if first["status"] != "rejected"
                              else _rejected(raw_orders[index], index, _unexpected()))
    _seal_created(connection, accepted, results)
    for session_id, sequence in context.highest_sequence.items():
        connection.execute(update(PosSession).where(
            PosSession.id == session_id, PosSession.sequence_number < sequence
        ).values(sequence_number=sequence))
    return results


def _seal_created(connection, accepted, results):
    """Number and link the orders this push stored, config by config in id order (so that two
    pushes lock the configs' heads in the same order), each config's in push order; add the
    number and link to every created or duplicate answer."""
    created = {}
    for index, order, session, _totals, _links in accepted:
        if results[index]["status"] == "created":
            created.setdefault(session.config_id, []).append((index, order.uuid))
    for config_id in sorted(created):
        sealed = seal_records(connection, config_id, "order", [u for _i, u in created[config_id]])
        for (index, _uuid), entry in zip(created[config_id], sealed):
            results[index].update(number=entry.number, link=entry.link)
    duplicates = [r for r in results if isinstance(r, dict) and r["status"] == "duplicate"]
    known = sealed_entries_of(connection, "order", {r["uuid"] for r in duplicates})
    for result in duplicates:
        number, link = known.get(result["uuid"], (None, None))  # None: stored before the ledger
        result.update(number=number, link=link)


def _unexpected():
    return Rejection("unexpected_error", _("the server could not store this order (the error "
                                           "is in its log with the order's uuid); keep the "
                                           "order and tell the administrator"))


def _log_unexpected(raw_or_order, stage):
    uuid = raw_or_order.get("uuid") if isinstance(raw_or_order, dict) else getattr(
        raw_or_order, "uuid", None)
    log.exception("pushed order %r failed while %s", uuid, stage)
    return _unexpected()


class RefusedContent(dict):
    """An order of a push whose content the strict JSON reader refused (a lone surrogate, a NUL,
    1e400...): its rejection, and only its uuid (when that is clean text) to name it."""

    def __init__(self, uuid, rejection):
        super().__init__(uuid=uuid)
        self.rejection = rejection


def refused_in_place(raw_orders, refusals):
    """The push's orders with each one of `refusals` {index: JsonRefused} in its place as a
    RefusedContent: that order is rejected with the reader's code, the others go on."""
    if not refusals:
        return raw_orders
    return [RefusedContent(clean_text(raw.get("uuid")) if isinstance(raw, dict) else None,
                           Rejection(refusals[index].code,
                                     _("this order holds what no order may: %(reason)s",
                                       reason=refusals[index].message)))
            if index in refusals else raw
            for index, raw in enumerate(raw_orders)]


def _parse_isolated(raw):
    if isinstance(raw, RefusedContent):
        return raw.rejection
    try:
        return parse_order(raw)
    except Rejection as rejection:
        return rejection
    except Exception:  # noqa: BLE001 - one order's surprise is that order's rejection
        return _log_unexpected(raw, "reading it")


def _check_isolated(connection, order, context, allowed_config_id, check_order):
    """`_check` in a savepoint of its own: what the hooks wrote stays with a refusal (a closed
    session's order is kept), and goes with an unforeseen error."""
    savepoint = connection.begin_nested()
    try:
        checked = _check(connection, order, context, allowed_config_id, check_order)
    except Rejection:
        savepoint.commit()
        raise
    except Exception as error:  # noqa: BLE001
        if is_transient(error):
            raise  # the database, not the order (busy, gone): the push fails, the till retries
        savepoint.rollback()
        raise _log_unexpected(order, "checking it") from None
    savepoint.commit()
    return checked


def _rejected(raw, index, rejection):
    uuid = raw.get("uuid") if isinstance(raw, dict) else None
    return {"uuid": uuid if isinstance(uuid, str) else None, "index": index,
            "status": "rejected", "error": {"code": rejection.code, "message": rejection.message}}


def _duplicate(uuid, order_id):
    return {"uuid": uuid, "status": "duplicate", "order_id": order_id}


def _check(connection, order, context, allowed_config_id, check_order):
    """Every rule an order must pass, before anything is written; returns (session, totals,
    refund links or None)."""
    session = context.sessions.get(order.session_id)
    if session is None:
        raise Rejection("unknown_session", _("there is no POS session %(id)s",
                                             id=order.session_id))
    if allowed_config_id is not None and session.config_id != allowed_config_id:
        raise Rejection("forbidden_session", _("session %(id)s belongs to another POS config "
                                               "than your token's", id=order.session_id))
    if session.config_id in context.writers:
        raise Rejection("config_served_elsewhere", served_elsewhere_message(
            f"POS config {session.config_id}", context.writers[session.config_id], "sell"))
    if too_old(session.opened_at, order.created_at):
        raise Rejection("session_too_old", _("session %(name)s opened more than 24 hours before "
                                             "this sale: close it (its closing is due) and open "
                                             "a new one", name=session.name))
    unknown = sorted({line.product_id for line in order.lines} - set(context.tax_rates))
    if unknown:
        raise Rejection("unknown_product", _("unknown product ids: %(ids)s", ids=unknown))
    if order.partner_id is not None and order.partner_id not in context.partners:
        raise Rejection("unknown_partner", _("there is no partner %(id)s", id=order.partner_id))
    if check_order is not None:
        refusal = check_order(connection=connection, order=order, session=session)
        if refusal:
            raise Rejection(*refusal)
    totals, links = order_rules(order, session, context.tax_rates,
                                context.methods[session.config_id], context.refunds)
    context.refunds.take(links)
    return session, totals, links


def _insert_accepted(connection, accepted, results, context, raw_orders):
    """Insert the accepted orders in one savepoint; only if that fails (a concurrent push stored
    one of these uuids after we looked, or one order cannot be stored) insert them again one
    savepoint each, so that only the order at fault is rejected."""
    batch = connection.begin_nested()
    try:
        outcomes = [_insert(connection, order, session, totals, links, context.labels)
                    for _index, order, session, totals, links in accepted]
        batch.commit()
    except Exception as error:  # noqa: BLE001 - sorted out order by order below
        if is_transient(error):
            raise  # see _check_isolated
        batch.rollback()
        outcomes = [_insert_alone(connection, order, session, totals, links, context.labels)
                    for _index, order, session, totals, links in accepted]
    for (index, order, session, _totals, _links), outcome in zip(accepted, outcomes):
        if isinstance(outcome, Rejection):
            results[index] = _rejected(raw_orders[index], index, outcome)
            continue
        order_id, created = outcome
        context.stored[order.uuid] = order_id
        if not created:
            results[index] = _duplicate(order.uuid, order_id)
            continue
        results[index] = {"uuid": order.uuid, "status": "created", "order_id": order_id}
        if order.sequence_number is not None:
            context.highest_sequence[session.id] = max(
                order.sequence_number, context.highest_sequence.get(session.id, 0))


def _insert_alone(connection, order, session, totals, links, labels):
    """(order id, created?) or the Rejection of an order that cannot be stored."""
    savepoint = connection.begin_nested()
    try:
        created = _insert(connection, order, session, totals, links, labels)
        savepoint.commit()
        return created
    except IntegrityError:
        savepoint.rollback()
        existing = connection.scalar(select(Order.id).where(Order.uuid == order.uuid))
        if existing is None:
            return _log_unexpected(order, "storing it")
        return existing, False
    except Exception as error:  # noqa: BLE001
        if is_transient(error):
            raise
        savepoint.rollback()
        return _log_unexpected(order, "storing it")


def _insert(connection, order, session, totals, links=None, labels=None):
    order_id = connection.execute(ORDER_INSERT, {
        "uuid": order.uuid, "reference": order.reference or f"Order {order.uuid[:13]}",
        "session_id": session.id, "partner_id": order.partner_id,
        "created_at": order.created_at, "received_at": utc_now(),
        "amount_untaxed": totals.untaxed, "amount_tax": totals.tax, "amount_total": totals.total,
        "amount_paid": totals.paid, "amount_return": totals.change,
        "refunded_order_id": links.order_id if links else None, "cashier": order.cashier,
    }).inserted_primary_key[0]
    connection.execute(LINE_INSERT, [
        {"order_id": order_id, "product_id": line.product_id, "qty": line.qty,
         "price_unit": line.price_unit, "discount": line.discount,
         "price_subtotal": subtotal, "price_subtotal_incl": subtotal_incl,
         "tax_rate": tax_rate, "label": (labels or {}).get(line.product_id),
         "refunded_line_id": links.line_ids[index] if links else None}
        for index, (line, (subtotal, subtotal_incl), tax_rate) in enumerate(
            zip(order.lines, totals.lines, totals.tax_rates))])
    if order.payments:
        connection.execute(PAYMENT_INSERT, [
            {"order_id": order_id, "method": p.method, "amount": p.amount}
            for p in order.payments])
    return order_id, True
