"""The ledger's canonical form: what of a stored ticket (an order with its lines and payments,
or a closing) is sealed, as deterministic JSON bytes, and the link that chains it.

    link(n) = sha256(link(n-1) ‖ canonical_form(record n)),   link(0) = "0" * 64

The records are read back from the stored rows each time they are needed (`read_records`); the
field tables below say which column goes into the form and in which format, and `parsed` turns
a form back into column values (what a central server stores of a till's ticket).
"""
import hashlib
import json
import re
from datetime import datetime, timezone
from decimal import Decimal

import orjson
from sqlalchemy import select

from core.times import as_utc, utc_iso

from .models import Closing, Order, OrderLine, Payment, PosSession

ZERO_LINK = "0" * 64
KINDS = ("order", "closing")


def canonical_form(kind, record):
    """Deterministic JSON bytes of a record (`order_records` / `closing_records` make them):
    sorted keys, no spaces, ASCII. Amounts are already strings with fixed places and times UTC
    ISO strings; a float has no single text form, so it is refused."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    _refuse_floats(record)
    form = {"kind": kind, "record": record}
    try:
        fast = orjson.dumps(form, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson writes otherwise (big integers, keys that are not text)
        return _standard_form(form)
    # orjson writes the same bytes as the standard library's ASCII form, except that it leaves
    # DEL and every non-ASCII character unescaped: then the standard library writes it.
    if fast.isascii() and b"\x7f" not in fast:
        return fast
    return _standard_form(form)


def _standard_form(form):
    """The canonical bytes as they were first defined (the links of every chain hash these)."""
    return json.dumps(form, sort_keys=True, separators=(",", ":")).encode("ascii")


def chain_link(previous_link, canonical):
    """Hex sha256 of the previous link's 32 bytes followed by the canonical form."""
    return hashlib.sha256(bytes.fromhex(previous_link) + canonical).hexdigest()


def short_link(link):
    """What a receipt prints of a link."""
    return link[:10]


_LEAVES = frozenset({str, int, bool, type(None)})  # what records hold most: no float there


def _refuse_floats(value):
    """TypeError if `value` holds a float anywhere (walked with a stack: a record of twenty
    lines is a hundred values, and a call per value cost as much as the JSON itself)."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind in _LEAVES:
            continue
        if kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif isinstance(item, float):
            raise TypeError("a canonical record holds no floats: write amounts as strings")
        elif isinstance(item, (dict, list)):
            pending.extend(item.values() if isinstance(item, dict) else item)


# -- field formats: a column's value -> its canonical JSON value, and back ----------------------

def _fixed(places):
    quantum = Decimal(1).scaleb(-places)
    pattern = re.compile(r"-?[0-9]{1,16}\.[0-9]{%d}" % places)

    def write(value):
        if value is None:
            return None
        return str((value if type(value) is Decimal else Decimal(value)).quantize(quantum))

    def read(text):
        if text is None:
            return None
        if not isinstance(text, str) or not pattern.fullmatch(text):
            raise ValueError(f"{text!r} is not an amount with {places} decimal places")
        return Decimal(text)
    return write, read


def _write_time(value):
    if value is None:
        return None
    moment = as_utc(value)
    if moment.year >= 1000:  # isoformat writes what utc_iso's strftime does, faster
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return utc_iso(moment, zulu=True, exact=True)  # strftime writes no leading zeros there


WRITTEN_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def _read_time(text):
    if text is None:
        return None
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"{text!r} is not a UTC time such as 2026-11-22T10:15:00.000000Z")
    if WRITTEN_TIME.fullmatch(text):  # as _write_time writes it: read fast (strptime is slow)
        try:
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
        except ValueError:
            pass  # no such date: strptime says so
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _read_int(value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{value!r} is not a whole number")
    return value


def _read_text(value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{value!r} is not a text")
    return value


def _same(value):
    return value


MONEY, QUANTITY, RATE = _fixed(2), _fixed(3), _fixed(2)
TIME = (_write_time, _read_time)
INTEGER = (_same, _read_int)
TEXT = (_same, _read_text)

# What an order's canonical form holds, per table. Another addon's later column is added to
# OPTIONAL_FIELDS as well: it is left out while empty, so tickets sealed before it keep their link.
ORDER_FIELDS = {"uuid": TEXT, "reference": TEXT, "partner_id": INTEGER, "created_at": TIME,
                "amount_untaxed": MONEY, "amount_tax": MONEY, "amount_total": MONEY,
                "amount_paid": MONEY, "amount_return": MONEY, "cashier": TEXT}
LINE_FIELDS = {"product_id": INTEGER, "qty": QUANTITY, "price_unit": MONEY, "discount": RATE,
               "price_subtotal": MONEY, "price_subtotal_incl": MONEY, "tax_rate": RATE,
               "label": TEXT}
PAYMENT_FIELDS = {"method": TEXT, "amount": MONEY}
CLOSING_FIELDS = {"uuid": TEXT, "closed_at": TIME, "order_count": INTEGER,
                  "refund_count": INTEGER, "refund_total": MONEY, "period_total": MONEY,
                  "perpetual_total": MONEY, "expected_cash": MONEY, "counted_cash": MONEY,
                  "cash_difference": MONEY, "opening_float": MONEY, "cash_in": MONEY,
                  "cash_out": MONEY}
TAX_TOTAL_FIELDS = {"tax_rate": RATE, "untaxed": MONEY, "tax": MONEY, "total": MONEY}
METHOD_TOTAL_FIELDS = {"method": TEXT, "amount": MONEY}
# Added after tickets were sealed without them (cash control: cash_control.py; a closing's
# `cash_moves` list is left out the same way while the session has none).
OPTIONAL_FIELDS = {"cashier", "label", "opening_float", "cash_in", "cash_out"}
# What the ledger entry adds to the record it seals: the sealing instance's clock and Comptoir
# version. Entries sealed before they existed (no version) have neither, nor the fields of
# LATER_FIELDS, so their links still hold.
SEAL_FIELDS = {"sealed_at": TIME, "software_version": TEXT}
LATER_FIELDS = ("session_opened_at",)
# A refund names what it takes back by what is the same on every instance (ids are not): the
# refunded order's uuid, and each refunded line's position (0, 1, ...) among that order's lines.
# Both are left out of the canonical form of an order that refunds nothing.
REFUNDED_ORDER, REFUNDED_LINE = "refunded_order_uuid", "refunded_line_index"


def formatted(row, fields):
    """The canonical dict of a row (a mapping) for `fields`."""
    values = {}
    for name, (write, _read) in fields.items():
        value = row.get(name)
        if value is None:  # every writer writes None as None
            if name in OPTIONAL_FIELDS:
                continue
        elif write is not _same:
            value = write(value)
        values[name] = value
    return values


def parsed(record, fields, where):
    """Column values from a canonical dict: every field of `fields` (optional ones may be
    missing), nothing else. ValueError says what is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"{where} must be an object")
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise ValueError(f"{where} has unknown fields: {', '.join(unknown)}")
    values = {}
    for name, (_write, read) in fields.items():
        if name not in record and name not in OPTIONAL_FIELDS:
            raise ValueError(f"{where}.{name} is missing")
        try:
            values[name] = read(record.get(name))
        except ValueError as error:
            raise ValueError(f"{where}.{name}: {error}") from None
    return values


def as_sealed(record, sealed_at, software_version):
    """The record (from `read_records`) as its entry sealed it: with `sealed_at` (a datetime,
    or its canonical text) and `software_version`; without them, nor LATER_FIELDS, when the
    entry was sealed before versions were (`software_version` None)."""
    if record is None:
        return None
    if software_version is None:
        return {k: v for k, v in record.items() if k not in LATER_FIELDS}
    if not isinstance(sealed_at, str):
        sealed_at = TIME[0](sealed_at)
    return {**record, "sealed_at": sealed_at, "software_version": software_version}


# -- records as stored -------------------------------------------------------------------------

def read_records(connection, kind, uuids):
    """{uuid: canonical dict} of the stored records of `kind` among `uuids` (what their rows
    hold; `as_sealed` adds what their entry holds)."""
    if kind == "order":
        return order_records(connection, uuids)
    return closing_records(connection, uuids)


def order_records(connection, uuids):
    """{uuid: canonical dict} of the stored orders among `uuids`, each with its lines and
    payments in the order they were stored, its config and its session's name."""
    if not uuids:
        return {}
    rows = connection.execute(
        select(Order.__table__, PosSession.config_id, PosSession.name.label("session_name"))
        .join(PosSession, PosSession.id == Order.session_id)
        .where(Order.uuid.in_(list(uuids)))).mappings().all()
    order_ids = [row["id"] for row in rows]
    lines = _rows_by_order(connection, OrderLine, order_ids)
    payments = _rows_by_order(connection, Payment, order_ids)
    positions = _line_positions(connection, {line["refunded_line_id"] for line in
                                             _flattened(lines)} - {None})
    refunded_uuids = _uuids_of(connection, {row["refunded_order_id"] for row in rows} - {None})
    return {row["uuid"]: order_record(
        row, row["config_id"], row["session_name"],
        [(line, positions.get(line["refunded_line_id"])) for line in lines[row["id"]]],
        payments[row["id"]], refunded_uuids.get(row["refunded_order_id"])) for row in rows}


def order_record(order, config_id, session_name, lines, payments, refunded_uuid=None):
    """The canonical dict of one order from its column values (a mapping), its config and
    session's name, its lines as (line mapping, position of the line it refunds or None) and its
    payments, each in stored order, and the uuid of the order it refunds. `order_records` reads
    them from the rows; the push (orders.py) passes what it has just inserted, so that sealing
    hashes in memory what the rows hold."""
    record = {**formatted(order, ORDER_FIELDS), "config_id": config_id,
              "session": session_name, "lines": [_line_record(line, position)
                                                  for line, position in lines],
              "payments": [formatted(payment, PAYMENT_FIELDS) for payment in payments]}
    if order.get("refunded_order_id") is not None:
        record[REFUNDED_ORDER] = refunded_uuid
    return record


def _line_record(line, position):
    values = formatted(line, LINE_FIELDS)
    if line.get("refunded_line_id") is not None:
        values[REFUNDED_LINE] = position
    return values


def _rows_by_order(connection, model, order_ids):
    """{order id: [row mappings of `model` (lines or payments), by id]} for `order_ids`."""
    found = {order_id: [] for order_id in order_ids}
    if order_ids:
        for row in connection.execute(select(model.__table__).where(
                model.order_id.in_(order_ids)).order_by(model.id)).mappings():
            found[row["order_id"]].append(row)
    return found


def _flattened(rows_by_order):
    return (row for rows in rows_by_order.values() for row in rows)


def _uuids_of(connection, order_ids):
    """{order id: uuid} for `order_ids`."""
    if not order_ids:
        return {}
    return dict(connection.execute(select(Order.id, Order.uuid).where(
        Order.id.in_(list(order_ids)))).all())


def _line_positions(connection, line_ids):
    """{line id: its position among its order's lines (by id)} for `line_ids`."""
    if not line_ids:
        return {}
    order_ids = select(OrderLine.order_id).where(OrderLine.id.in_(list(line_ids)))
    positions, counts = {}, {}
    for line_id, order_id in connection.execute(select(OrderLine.id, OrderLine.order_id).where(
            OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)):
        positions[line_id] = counts.get(order_id, 0)
        counts[order_id] = positions[line_id] + 1
    return {line_id: positions[line_id] for line_id in line_ids}


def closing_records(connection, uuids):
    """{uuid: canonical dict} of the stored closings among `uuids`."""
    if not uuids:
        return {}
    rows = connection.execute(
        select(Closing.__table__, PosSession.config_id, PosSession.name.label("session_name"),
               PosSession.opened_at.label("session_opened_at"))
        .join(PosSession, PosSession.id == Closing.session_id)
        .where(Closing.uuid.in_(list(uuids)))).mappings().all()
    return {row["uuid"]: {
        **formatted(row, CLOSING_FIELDS), "config_id": row["config_id"],
        "session": row["session_name"], "session_opened_at": TIME[0](row["session_opened_at"]),
        "totals_by_tax": [formatted(t, TAX_TOTAL_FIELDS) for t in row["totals_by_tax"]],
        "totals_by_method": [formatted(t, METHOD_TOTAL_FIELDS) for t in row["totals_by_method"]],
        **({"cash_moves": row["cash_moves"]} if row["cash_moves"] else {}),
    } for row in rows}
