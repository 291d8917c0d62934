"""Order push: parse what a till sends, recompute totals, store each order exactly once.

One push is one transaction. Every check runs before anything is written, against data read
once per push; the accepted orders are then inserted together, one statement per table, in one
savepoint. Only when that fails (or a check meets an unforeseen error) does the push go again
order by order, a savepoint each, so a rejected order leaves nothing behind and never takes the
others with it; a push costs one commit.
Orders are recognised by the `uuid` the till made: sending one again answers `duplicate` and
changes nothing (a till that timed out re-sends; see Odoo #40567).
Each order stored is sealed in the same transaction (ledger.py), hashed from the rows as they
were inserted: its answer carries its ticket `number` and chain `link`, which a duplicate's
answer repeats.
"""
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from core.db import BulkInsert, PlainSavepoint, is_transient
from core.i18n import _
from core.models import utc_now
from core.times import as_utc, utc_iso
from core.web.strict_json import clean_text

from .fields import Rejection
from .fields import amount as _amount
from .ledger_form import order_record
from .ledger_seal import seal_records, sealed_entries_of
from .ledger_writer import WRITER, served_elsewhere_message
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


# Lines and payments are NamedTuples: as immutable as a frozen dataclass, built for half the
# cost (a push of 20 orders builds some 80 of them).
class ParsedLine(NamedTuple):
    product_id: int
    qty: Decimal
    price_unit: Decimal
    discount: Decimal
    refunded_line_index: int | None = None  # a refund line: the original's line it takes back


class ParsedPayment(NamedTuple):
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
        wire = {
            "uuid": self.uuid,
            "session_id": self.session_id,
            "created_at": utc_iso(self.created_at, zulu=True),
            "partner_id": self.partner_id,
            "reference": self.reference,
            "sequence_number": self.sequence_number,
            "lines": [_line_wire(line) for line in self.lines],
            "payments": [{"method": p.method, "amount": str(p.amount)} for p in self.payments],
        }
        return {**wire, **self._optional_wire()}

    def _optional_wire(self):
        """The fields of the wire form that are left out when empty."""
        optional = {}
        if self.amount_total is not None:
            optional["amount_total"] = str(self.amount_total)
        if self.refunded_order_uuid is not None:
            optional["refunded_order_uuid"] = self.refunded_order_uuid
        if self.cashier is not None:
            optional["cashier"] = self.cashier
        if self.approvals:
            optional["approvals"] = [approval.to_wire() for approval in self.approvals]
        return optional


def _line_wire(line):
    wire = {"product_id": line.product_id, "qty": str(line.qty),
            "price_unit": str(line.price_unit), "discount": str(line.discount)}
    if line.refunded_line_index is not None:
        wire["refunded_line_index"] = line.refunded_line_index
    return wire


# -- parsing: the wire shape, checked field by field -----------------------------------------

def parse_order(raw):
    if not isinstance(raw, dict):
        raise Rejection("invalid_order", _("each order must be a JSON object"))
    uuid = _uuid(raw.get("uuid"), "invalid_uuid",
                 lambda: _("'uuid' must be 1 to 64 letters, digits, - or _"))
    lines = _list_of_lines(raw.get("lines"))
    payments = _list_of_payments(raw.get("payments", []))
    reference = _optional_text(raw.get("reference"), 0, "invalid_reference",
                               lambda: _("'reference' must be a string of at most 64 "
                                         "characters"))
    cashier = _optional_text(raw.get("cashier"), 1, "invalid_cashier",
                             lambda: _("'cashier' must be the login of the cashier who sold it "
                                       "(1 to 64 characters)"))
    total = raw.get("amount_total")
    refunded = _refunded_order_uuid(raw.get("refunded_order_uuid"))
    parsed_lines = _refund_lines_checked(
        refunded, tuple(_line(line, index) for index, line in enumerate(lines)))
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
    """`value` when it is a uuid; else a Rejection with `code` and `message()` (the words are
    only looked up, in the request's language, for an order refused)."""
    if not isinstance(value, str) or not UUID_PATTERN.fullmatch(value):
        raise Rejection(code, message())
    return value


def _refunded_order_uuid(refunded):
    """None for a sale; for a refund, the uuid of the order it refunds."""
    if refunded is None:
        return None
    return _uuid(refunded, "invalid_refund",
                 lambda: _("'refunded_order_uuid' must be the uuid of the order this one "
                           "refunds"))


def _refund_lines_checked(refunded, lines):
    """The lines; only a refund's lines name the lines they take back."""
    if refunded is None and any(line.refunded_line_index is not None for line in lines):
        raise Rejection("invalid_refund", _("lines with a 'refunded_line_index' need the "
                                            "order's 'refunded_order_uuid'"))
    return lines


def _list_of_lines(lines):
    if not isinstance(lines, list) or not lines:
        raise Rejection("empty_order", _("an order needs at least one line in 'lines'"))
    if len(lines) > MAX_LINES:
        raise Rejection("too_many_lines", _("an order may have at most %(count)s lines",
                                            count=MAX_LINES))
    return lines


def _list_of_payments(payments):
    if not isinstance(payments, list) or len(payments) > MAX_PAYMENTS:
        raise Rejection("invalid_payments", _("'payments' must be a list of at most "
                                              "%(count)s payments", count=MAX_PAYMENTS))
    return payments


def _optional_text(value, shortest, code, message, longest=64):
    """None, or a string of `shortest` to `longest` characters (else `message()` refuses)."""
    if value is not None and (not isinstance(value, str)
                              or not shortest <= len(value) <= longest):
        raise Rejection(code, message())
    return value


def _optional_integer(raw, name):
    return _integer(raw[name], name) if raw.get(name) is not None else None


def _line(raw, index):
    where = f"lines[{index}]"
    if not isinstance(raw, dict):
        raise Rejection("invalid_line", _("%(where)s must be an object", where=where))
    refunded_line = _refunded_line_index(raw.get("refunded_line_index"), where)
    qty = _line_qty(raw.get("qty"), where, refunded_line)
    discount = _amount(raw.get("discount", 0), f"{where}.discount")
    if not 0 <= discount <= 100:
        raise Rejection("invalid_line", _("%(where)s.discount must be a percentage from 0 to 100",
                                          where=where))
    return ParsedLine(product_id=_integer(raw.get("product_id"), f"{where}.product_id"), qty=qty,
                      price_unit=_amount(raw.get("price_unit"), f"{where}.price_unit"),
                      discount=discount, refunded_line_index=refunded_line)


def _refunded_line_index(value, where):
    """None for a sold line; for a refund line, the position of the line it takes back."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or not 0 <= value < MAX_LINES):
        raise Rejection("invalid_refund", _("%(where)s.refunded_line_index must be the position "
                                            "(from 0) of the refunded line in the original "
                                            "order", where=where))
    return value


def _line_qty(value, where, refunded_line):
    """A sold line's quantity is positive, a refund line's (it names the line it takes back)
    negative."""
    qty = _amount(value, f"{where}.qty", places="0.001", signed=True)
    if refunded_line is None and (qty <= 0 or qty > 100000):
        raise Rejection("invalid_line", _("%(where)s.qty must be more than 0 and at most 100000 "
                                          "(a refund line, negative, names its "
                                          "refunded_line_index)", where=where))
    if refunded_line is not None and not -100000 <= qty < 0:
        raise Rejection("invalid_refund", _("%(where)s.qty of a refund line must be negative, "
                                            "at least -100000", where=where))
    return qty


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
        return as_utc(moment)
    except (ValueError, OverflowError):
        raise Rejection("invalid_field", _("'created_at' must be an ISO 8601 date and time "
                                           "between the years 1 and 9999, "
                                           "e.g. 2026-11-22T10:15:00Z")) from None


# -- storing ---------------------------------------------------------------------------------

# Every column but the id, each row giving them all (core.db.BulkInsert).
ORDER_INSERT = BulkInsert(Order.__table__, (
    "uuid", "reference", "session_id", "partner_id", "created_at", "received_at",
    "amount_untaxed", "amount_tax", "amount_total", "amount_paid", "amount_return",
    "refunded_order_id", "cashier"))
LINE_INSERT = BulkInsert(OrderLine.__table__, (
    "order_id", "product_id", "qty", "price_unit", "discount", "price_subtotal",
    "price_subtotal_incl", "tax_rate", "refunded_line_id", "label"))
PAYMENT_INSERT = BulkInsert(Payment.__table__, ("order_id", "method", "amount"))


class PushContext:
    """What a push needs from the database, read once for all its orders (not once per order):
    the orders already stored, the sessions, the products' tax rates, the partners, the
    configs' payment methods and the orders refunded (locked: refunds.py)."""

    def __init__(self, connection, orders):
        self.stored = _ids_by_uuid(connection, {o.uuid for o in orders})
        self.sessions = _sessions(connection, {o.session_id for o in orders})
        config_ids = {row.config_id for row in self.sessions.values()}
        self.writers = _served_elsewhere(self.sessions.values())
        self._read_products(connection, orders)
        self.partners = _partner_ids(connection, {o.partner_id for o in orders} - {None})
        self.highest_sequence = {}  # session id -> highest sequence number pushed
        self.methods = methods_by_config(connection, sorted(config_ids), lazy_names=True)
        self.refunds = Refunds(connection, orders)

    def _read_products(self, connection, orders):
        products = _products(connection, {line.product_id for o in orders for line in o.lines})
        self.tax_rates = {row.id: row.tax_rate for row in products}
        self.labels = {row.id: row.name for row in products}  # each line's label as sold
        self.prices = {row.id: row.price for row in products}  # for the approval rule


def _served_elsewhere(sessions):
    """{config id: writer words} of the configs served elsewhere, as read with the sessions."""
    return {row.config_id: row.served_by for row in sessions if row.served_by is not None}


# The push's lookups, built once: a statement built at each push (its expressions and its cache
# key) cost about as much as running it on SQLite. `ids` is a list, expanded when run.
IDS = bindparam("ids", expanding=True)
IDS_BY_UUID = select(Order.__table__.c.uuid, Order.__table__.c.id).where(
    Order.__table__.c.uuid.in_(IDS))
SESSIONS_BY_ID = (select(PosSession.__table__, WRITER.c.writer.label("served_by"))
                  .outerjoin(WRITER, WRITER.c.config_id == PosSession.__table__.c.config_id)
                  .where(PosSession.__table__.c.id.in_(IDS)))
PRODUCTS_BY_ID = select(Product.__table__.c.id, Product.__table__.c.tax_rate,
                        Product.__table__.c.name, Product.__table__.c.price).where(
    Product.__table__.c.id.in_(IDS))
SESSION_TABLE = PosSession.__table__
SEQUENCE_UP = update(SESSION_TABLE).where(
    SESSION_TABLE.c.id == bindparam("session"), SESSION_TABLE.c.sequence_number < bindparam("top")
).values(sequence_number=bindparam("top"))
PARTNER_IDS = select(Partner.__table__.c.id).where(Partner.__table__.c.id.in_(IDS))


def _ids_by_uuid(connection, uuids):
    """{uuid: id} of the stored orders among `uuids`."""
    if not uuids:
        return {}
    return dict(connection.execute(IDS_BY_UUID, {"ids": list(uuids)}).all())


def _sessions(connection, ids):
    if not ids:
        return {}
    return {row.id: row for row in connection.execute(SESSIONS_BY_ID, {"ids": list(ids)})}


def _products(connection, product_ids):
    if not product_ids:
        return []
    return connection.execute(PRODUCTS_BY_ID, {"ids": list(product_ids)}).all()


def _partner_ids(connection, partner_ids):
    if not partner_ids:
        return set()
    return set(connection.execute(PARTNER_IDS, {"ids": list(partner_ids)}).scalars())


def push_orders(connection, raw_orders, allowed_config_id=None, check_order=None,
                prices_read=None):
    """Store each order of a push; return one result dict per order, in order.

    `allowed_config_id` limits the push to sessions of that config (a bearer token's);
    `check_order(connection, order, session)` may return (code, message) to reject an order;
    `prices_read({product id: price})` hears the prices of the products the orders name, read
    with them before the checks (the approval rule's, without a query of its own).
    Whatever goes wrong with one order, an unforeseen error included, is that order's
    rejection: it is logged with the uuid and answered as `unexpected_error`.

    A refund of an order of the same push (a till that sold and refunded offline) is stored
    after the others, once the order it refunds is (refunds.py checks stored orders).
    """
    later = _refunds_of_this_push(raw_orders)
    if not later:
        return _push_orders(connection, raw_orders, allowed_config_id, check_order,
                            prices_read)
    first = [index for index in range(len(raw_orders)) if index not in later]
    results = [None] * len(raw_orders)
    for indexes in (first, sorted(later)):
        part = _push_orders(connection, [raw_orders[i] for i in indexes], allowed_config_id,
                            check_order, prices_read)
        for index, result in zip(indexes, part):
            if "index" in result:
                result["index"] = index
            results[index] = result
    return results


def _text_of(raw, key):
    """Only text can name an order (parse_order refuses the rest, alone)."""
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def _refunds_of_this_push(raw_orders):
    """The indexes of the orders that refund an order of the same push."""
    uuids = {_text_of(raw, "uuid") for raw in raw_orders} - {None}
    return {index for index, raw in enumerate(raw_orders)
            if _text_of(raw, "refunded_order_uuid") in uuids}


@dataclass(frozen=True)
class Accepted:
    """An order that passed every check, to insert: its place in the push, and what it
    stores."""
    index: int
    order: ParsedOrder
    session: object
    totals: Totals
    links: object  # refunds.RefundLinks, or None for a sale


def _push_orders(connection, raw_orders, allowed_config_id, check_order, prices_read):
    parsed = [_parse_isolated(raw) for raw in raw_orders]
    context = PushContext(connection, [o for o in parsed if isinstance(o, ParsedOrder)])
    if prices_read is not None:
        prices_read(context.prices)
    checker = Checker(connection, context, allowed_config_id, check_order)
    results, accepted = checker.sort_out(parsed, raw_orders)
    rows = _insert_accepted(connection, accepted, results, context, raw_orders)
    _answer_repeats(parsed, raw_orders, results)
    _seal_created(connection, accepted, results, rows)
    for session_id, sequence in context.highest_sequence.items():
        connection.execute(SEQUENCE_UP, {"session": session_id, "top": sequence})
    return results


def _answer_repeats(parsed, raw_orders, results):
    """The same uuid twice in one push: the second is a duplicate of the first (or rejected
    with it)."""
    for index, result in enumerate(results):
        if isinstance(result, int):
            first = results[result]
            results[index] = (_duplicate(parsed[index].uuid, first["order_id"])
                              if first["status"] != "rejected"
                              else _rejected(raw_orders[index], index, _unexpected()))


def _seal_created(connection, accepted, results, rows):
    """Number and link the orders this push stored, config by config in id order (so that two
    pushes lock the configs' heads in the same order), each config's in push order, hashing
    the rows as they were inserted (`rows`: {uuid: OrderRows}); add the number and link to
    every created or duplicate answer."""
    created = {}
    for item in accepted:
        if results[item.index]["status"] == "created":
            created.setdefault(item.session.config_id, []).append(item)
    for config_id in sorted(created):
        items = created[config_id]
        uuids = [item.order.uuid for item in items]
        sealed = seal_records(connection, config_id, "order", uuids,
                              {uuid: rows[uuid].record() for uuid in uuids})
        for item, entry in zip(items, sealed):
            results[item.index].update(number=entry.number, link=entry.link)
    _number_duplicates(connection, results)


def _number_duplicates(connection, results):
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


class Checker:
    """Every rule a push's orders must pass, before anything is written. The checks run in one
    savepoint for the whole push; only if an unforeseen error breaks one (that savepoint then
    rolls back) do they run again one savepoint per order (`_check_isolated`), so that what the
    hooks wrote stays with a refusal (a closed session's order is kept) and goes with an
    unforeseen error, that order's alone."""

    def __init__(self, connection, context, allowed_config_id, check_order):
        self.connection, self.context = connection, context
        self.allowed_config_id, self.check_order = allowed_config_id, check_order

    def sort_out(self, parsed, raw_orders):
        """(one result per order, None for those accepted, or the index of the order of the
        same uuid they repeat; the Accepted to insert)."""
        taken = dict(self.context.refunds.taken)
        savepoint = PlainSavepoint(self.connection)  # one for all the checks
        try:
            outcome = self._sort_out(parsed, raw_orders, self._check)
            savepoint.commit()
            return outcome
        except Exception as error:  # noqa: BLE001 - sorted out order by order below
            if is_transient(error):
                raise  # the database, not the order (busy, gone): the push fails, the till retries
            savepoint.rollback()
        self.context.refunds.taken = defaultdict(Decimal, taken)
        return self._sort_out(parsed, raw_orders, self._check_isolated)

    def _sort_out(self, parsed, raw_orders, check):
        results, accepted = [None] * len(parsed), []
        first_index = {}  # uuid -> index of its first accepted occurrence in this push
        for index, order in enumerate(parsed):
            try:
                results[index] = self._known(order, first_index)
                if results[index] is None:
                    session, totals, links = check(order)
                    first_index[order.uuid] = index
                    accepted.append(Accepted(index, order, session, totals, links))
            except Rejection as rejection:
                results[index] = _rejected(raw_orders[index], index, rejection)
        return results, accepted

    def _known(self, order, first_index):
        """A parse failure's Rejection is raised; a stored order's answer is `duplicate`; an
        order already accepted in this push gives that one's index (resolved once it is
        stored); None for an order to check."""
        if isinstance(order, Rejection):
            raise order
        if order.uuid in self.context.stored:
            return _duplicate(order.uuid, self.context.stored[order.uuid])
        return first_index.get(order.uuid)

    def _check(self, order):
        return _check(self.connection, order, self.context, self.allowed_config_id,
                      self.check_order)

    def _check_isolated(self, order):
        """`_check` in a savepoint of its own (see the class)."""
        savepoint = self.connection.begin_nested()
        try:
            checked = self._check(order)
        except Rejection:
            savepoint.commit()
            raise
        except Exception as error:  # noqa: BLE001
            if is_transient(error):
                raise
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
    session = _session_of(order, context, allowed_config_id)
    unknown = sorted({line.product_id for line in order.lines} - context.tax_rates.keys())
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


def _session_of(order, context, allowed_config_id):
    """The order's session, if this push may sell in it."""
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
    return session


@dataclass(frozen=True)
class OrderRows:
    """The rows one order inserts (its lines' `order_id` set once the order's row has its id),
    and what its sealed record names besides: its config, its session's name, the position of
    the line each line refunds and the uuid of the order it refunds."""
    order: dict
    lines: list
    payments: list
    config_id: int
    session_name: str
    positions: tuple
    refunded_uuid: str | None

    def record(self):
        """The order's canonical record (ledger_form), from these rows, as they were stored."""
        return order_record(self.order, self.config_id, self.session_name,
                            list(zip(self.lines, self.positions)), self.payments,
                            self.refunded_uuid)


def _order_rows(item, labels, now):
    order, totals, links = item.order, item.totals, item.links
    return OrderRows(
        order={"uuid": order.uuid, "reference": order.reference or f"Order {order.uuid[:13]}",
               "session_id": item.session.id, "partner_id": order.partner_id,
               "created_at": order.created_at, "received_at": now,
               "amount_untaxed": totals.untaxed, "amount_tax": totals.tax,
               "amount_total": totals.total, "amount_paid": totals.paid,
               "amount_return": totals.change,
               "refunded_order_id": links.order_id if links else None,
               "cashier": order.cashier},
        lines=[{"product_id": line.product_id, "qty": line.qty, "price_unit": line.price_unit,
                "discount": line.discount, "price_subtotal": subtotal,
                "price_subtotal_incl": subtotal_incl, "tax_rate": tax_rate,
                "label": labels.get(line.product_id),
                "refunded_line_id": links.line_ids[index] if links else None}
               for index, (line, (subtotal, subtotal_incl), tax_rate) in enumerate(
                   zip(order.lines, totals.lines, totals.tax_rates))],
        payments=[{"method": p.method, "amount": p.amount} for p in order.payments],
        config_id=item.session.config_id, session_name=item.session.name,
        positions=tuple(line.refunded_line_index for line in order.lines),
        refunded_uuid=order.refunded_order_uuid)


def _insert_accepted(connection, accepted, results, context, raw_orders):
    """Insert the accepted orders in one savepoint, one statement per table; only if that fails
    (a concurrent push stored one of these uuids after we looked, or one order cannot be
    stored) insert them again one savepoint each, so that only the order at fault is rejected.
    Return {uuid: OrderRows} of what was inserted."""
    if not accepted:
        return {}
    now = utc_now()
    rows = [_order_rows(item, context.labels, now) for item in accepted]
    batch = PlainSavepoint(connection)
    try:
        outcomes = _insert(connection, rows)
        batch.commit()
    except Exception as error:  # noqa: BLE001 - sorted out order by order below
        if is_transient(error):
            raise  # see Checker.sort_out
        batch.rollback()
        outcomes = [_insert_alone(connection, item.order, order_rows)
                    for item, order_rows in zip(accepted, rows)]
    for item, outcome in zip(accepted, outcomes):
        _answer(item, outcome, results, context, raw_orders)
    return {item.order.uuid: order_rows for item, order_rows in zip(accepted, rows)}


def _answer(item, outcome, results, context, raw_orders):
    """The answer of an accepted order, once its insert's `outcome` is known."""
    order, index = item.order, item.index
    if isinstance(outcome, Rejection):
        results[index] = _rejected(raw_orders[index], index, outcome)
        return
    order_id, created = outcome
    context.stored[order.uuid] = order_id
    if not created:
        results[index] = _duplicate(order.uuid, order_id)
        return
    results[index] = {"uuid": order.uuid, "status": "created", "order_id": order_id}
    if order.sequence_number is not None:
        context.highest_sequence[item.session.id] = max(
            order.sequence_number, context.highest_sequence.get(item.session.id, 0))


def _insert_alone(connection, order, order_rows):
    """(order id, created?) or the Rejection of an order that cannot be stored."""
    savepoint = connection.begin_nested()
    try:
        created = _insert(connection, [order_rows])[0]
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


def _insert(connection, rows):
    """Insert the orders `rows` (OrderRows), one statement per table; [(order id, True)]."""
    order_ids = insert_orders(connection, [r.order for r in rows], [r.lines for r in rows],
                              [r.payments for r in rows])
    return [(order_id, True) for order_id in order_ids]


def insert_orders(connection, orders, lines, payments):
    """Insert `orders` (column values, each with its `uuid`) and, per order, its `lines` and
    `payments` (lists of column values without `order_id`): one statement per table. The
    orders' insert (a multi-row INSERT ... RETURNING) returns each new id with its uuid: SQLite
    promises no order for them. Return the ids, in order."""
    ids = dict(ORDER_INSERT.returning(connection, orders, "uuid", "id"))
    order_ids = [ids[order["uuid"]] for order in orders]
    LINE_INSERT(connection, [{**line, "order_id": order_id}
                             for order_id, rows in zip(order_ids, lines) for line in rows])
    PAYMENT_INSERT(connection, [{**payment, "order_id": order_id}
                                for order_id, rows in zip(order_ids, payments)
                                for payment in rows])
    return order_ids
