"""The ticket ledger: every order and closing a config stores first gets the next number of a
gap-free sequence per config and a link in a hash chain, in the transaction that stores it.

    link(n) = sha256(link(n-1) ‖ canonical_form(record n)),   link(0) = "0" * 64

The ledger keeps numbers and links only. The canonical form is recomputed from the stored rows
each time it is needed, so a ticket edited, deleted or reordered in the database breaks the chain
at that ticket: `verify_chain` (`core pos verify`) names it, and so does a central server that
receives the tickets (`receive_sealed_entries`). Nothing in Comptoir edits or deletes a stored
ticket; a correction is a new ticket (a refund).

Sealing locks the config's head row (`UPDATE ... SET number = number + n` first), so concurrent
pushes from several workers queue on it: numbers never repeat nor skip, and a transaction that
rolls back takes its numbers with it.
"""
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import is_transient
from core.models import utc_now

from .models import (
    CLOSED,
    LedgerEntry,
    LedgerHead,
    Order,
    OrderLine,
    Payment,
    PosConfig,
    PosSession,
)

ZERO_LINK = "0" * 64
KINDS = ("order", "closing")
PAGE = 500  # records read per query when walking a chain

HEAD = LedgerHead.__table__
ENTRY = LedgerEntry.__table__


@dataclass(frozen=True)
class SealedEntry:
    number: int
    link: str
    previous_link: str


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_broken: int | None
    reason: str
    unsealed: int = 0  # orders of the config with no number (stored before the ledger existed)


# -- the canonical form ----------------------------------------------------------------------

def canonical_form(kind, record):
    """Deterministic JSON bytes of a record (`order_records` / `closing_records` make them):
    sorted keys, no spaces, ASCII. Amounts are already strings with fixed places and times UTC
    ISO strings; a float has no single text form, so it is refused."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    _refuse_floats(record)
    return json.dumps({"kind": kind, "record": record}, sort_keys=True,
                      separators=(",", ":")).encode("ascii")


def chain_link(previous_link, canonical):
    """Hex sha256 of the previous link's 32 bytes followed by the canonical form."""
    return hashlib.sha256(bytes.fromhex(previous_link) + canonical).hexdigest()


def short_link(link):
    """What a receipt prints of a link."""
    return link[:10]


def _refuse_floats(value):
    if isinstance(value, float):
        raise TypeError("a canonical record holds no floats: write amounts as strings")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_floats(item)


# Field formats: a column's value -> its canonical JSON value, and back.
def _fixed(places):
    quantum = Decimal(1).scaleb(-places)
    pattern = re.compile(r"-?[0-9]{1,16}\.[0-9]{%d}" % places)

    def write(value):
        return None if value is None else str(Decimal(value).quantize(quantum))

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
    if value.tzinfo is None:  # SQLite keeps no offset; Comptoir stores UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _read_time(text):
    if text is None:
        return None
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"{text!r} is not a UTC time such as 2026-11-22T10:15:00.000000Z")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _read_int(value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{value!r} is not a whole number")
    return value


def _read_text(value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{value!r} is not a text")
    return value


MONEY, QUANTITY, RATE = _fixed(2), _fixed(3), _fixed(2)
TIME = (_write_time, _read_time)
INTEGER = (lambda value: value, _read_int)
TEXT = (lambda value: value, _read_text)

# What an order's canonical form holds, per table. Another addon's later column is added to
# OPTIONAL_FIELDS as well: it is left out while empty, so tickets sealed before it keep their link.
ORDER_FIELDS = {"uuid": TEXT, "reference": TEXT, "partner_id": INTEGER, "created_at": TIME,
                "amount_untaxed": MONEY, "amount_tax": MONEY, "amount_total": MONEY,
                "amount_paid": MONEY, "amount_return": MONEY}
LINE_FIELDS = {"product_id": INTEGER, "qty": QUANTITY, "price_unit": MONEY, "discount": RATE,
               "price_subtotal": MONEY, "price_subtotal_incl": MONEY, "tax_rate": RATE}
PAYMENT_FIELDS = {"method": TEXT, "amount": MONEY}
OPTIONAL_FIELDS = set()
# A refund names what it takes back by what is the same on every instance (ids are not): the
# refunded order's uuid, and each refunded line's position (0, 1, ...) among that order's lines.
# Both are left out of the canonical form of an order that refunds nothing.
REFUNDED_ORDER, REFUNDED_LINE = "refunded_order_uuid", "refunded_line_index"


def formatted(row, fields):
    """The canonical dict of a row (a mapping) for `fields`."""
    values = {}
    for name, (write, _read) in fields.items():
        value = write(row.get(name))
        if value is None and name in OPTIONAL_FIELDS:
            continue
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


# -- records as stored -------------------------------------------------------------------------

def order_records(connection, uuids):
    """{uuid: canonical dict} of the stored orders among `uuids`, each with its lines and
    payments in the order they were stored, its config and its session's name."""
    if not uuids:
        return {}
    rows = connection.execute(
        select(Order.__table__, PosSession.config_id, PosSession.name.label("session_name"))
        .join(PosSession, PosSession.id == Order.session_id)
        .where(Order.uuid.in_(list(uuids)))).mappings().all()
    by_id = {row["id"]: row for row in rows}
    lines, payments = {order_id: [] for order_id in by_id}, {order_id: [] for order_id in by_id}
    line_rows = connection.execute(select(OrderLine.__table__).where(
        OrderLine.order_id.in_(list(by_id))).order_by(OrderLine.id)).mappings().all()
    positions = _line_positions(connection, {line["refunded_line_id"] for line in line_rows
                                             if line["refunded_line_id"] is not None})
    for line in line_rows:
        values = formatted(line, LINE_FIELDS)
        if line["refunded_line_id"] is not None:
            values[REFUNDED_LINE] = positions.get(line["refunded_line_id"])
        lines[line["order_id"]].append(values)
    for payment in connection.execute(select(Payment.__table__).where(
            Payment.order_id.in_(list(by_id))).order_by(Payment.id)).mappings():
        payments[payment["order_id"]].append(formatted(payment, PAYMENT_FIELDS))
    refunded_ids = {row["refunded_order_id"] for row in rows} - {None}
    refunded_uuids = dict(connection.execute(select(Order.id, Order.uuid).where(
        Order.id.in_(list(refunded_ids)))).all()) if refunded_ids else {}
    records = {}
    for row in rows:
        record = {**formatted(row, ORDER_FIELDS), "config_id": row["config_id"],
                  "session": row["session_name"], "lines": lines[row["id"]],
                  "payments": payments[row["id"]]}
        if row["refunded_order_id"] is not None:
            record[REFUNDED_ORDER] = refunded_uuids.get(row["refunded_order_id"])
        records[row["uuid"]] = record
    return records


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


def read_records(connection, kind, uuids):
    if kind == "order":
        return order_records(connection, uuids)
    from .closing import closing_records  # closing.py seals through this module
    return closing_records(connection, uuids)


# -- sealing -----------------------------------------------------------------------------------

def seal_record(connection, config_id, kind, uuid):
    """Seal one record stored in this transaction; see `seal_records`."""
    return seal_records(connection, config_id, kind, [uuid])[0]


def seal_records(connection, config_id, kind, uuids):
    """Give the records `uuids` (stored in this transaction, in this order) the config's next
    numbers and links; return their SealedEntry. Call it in the transaction that stored them:
    the head row stays locked until that transaction ends."""
    if not uuids:
        return []
    last = _take_numbers(connection, config_id, len(uuids))
    number = last - len(uuids)
    previous = connection.scalar(select(HEAD.c.link).where(HEAD.c.config_id == config_id))
    records = read_records(connection, kind, uuids)
    sealed, rows, now = [], [], utc_now()
    for uuid in uuids:
        number += 1
        link = chain_link(previous, canonical_form(kind, records[uuid]))
        sealed.append(SealedEntry(number, link, previous))
        rows.append({"config_id": config_id, "number": number, "kind": kind, "uuid": uuid,
                     "previous_link": previous, "link": link, "sealed_at": now})
        previous = link
    connection.execute(insert(ENTRY), rows)
    connection.execute(update(HEAD).where(HEAD.c.config_id == config_id).values(link=previous))
    return sealed


def _take_numbers(connection, config_id, count):
    """Lock the config's head row by moving its number on by `count` (creating the row the
    first time); return the new number."""
    moved = connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                               .values(number=HEAD.c.number + count))
    if moved.rowcount == 0:
        _create_head(connection, config_id)
        connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                           .values(number=HEAD.c.number + count))
    return connection.scalar(select(HEAD.c.number).where(HEAD.c.config_id == config_id))


def _create_head(connection, config_id):
    """The config's head row, unless a concurrent transaction created it first."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    connection.execute(upsert(HEAD).values(config_id=config_id, number=0, link=ZERO_LINK)
                       .on_conflict_do_nothing())


def ledger_head(connection, config_id):
    """(number, link) of the config's last sealed entry; (0, ZERO_LINK) when there is none."""
    row = connection.execute(select(HEAD.c.number, HEAD.c.link)
                             .where(HEAD.c.config_id == config_id)).first()
    return (row.number, row.link) if row else (0, ZERO_LINK)


def sealed_entries_of(connection, kind, uuids):
    """{uuid: (number, link)} of the sealed records among `uuids`."""
    if not uuids:
        return {}
    return {row.uuid: (row.number, row.link) for row in connection.execute(
        select(ENTRY.c.uuid, ENTRY.c.number, ENTRY.c.link)
        .where(ENTRY.c.kind == kind, ENTRY.c.uuid.in_(list(uuids))))}


def ledger_entries(connection, config_id, after_number=0, limit=PAGE):
    """The config's entries numbered after `after_number`, at most `limit`, in chain order:
    dicts `number, kind, uuid, previous_link, link, record` (record recomputed from the rows;
    None when the record is gone)."""
    rows = connection.execute(
        select(ENTRY).where(ENTRY.c.config_id == config_id, ENTRY.c.number > after_number)
        .order_by(ENTRY.c.number).limit(limit)).mappings().all()
    records = {}
    for kind in KINDS:
        records[kind] = read_records(connection, kind, [r["uuid"] for r in rows
                                                        if r["kind"] == kind])
    return [{"number": r["number"], "kind": r["kind"], "uuid": r["uuid"],
             "previous_link": r["previous_link"], "link": r["link"],
             "record": records[r["kind"]].get(r["uuid"])} for r in rows]


# -- verifying ---------------------------------------------------------------------------------

def verify_chain(connection, config_id):
    """Walk the config's chain from ticket 1: numbers without gaps, each previous link the link
    before it, each link recomputed from the stored record, the head at the last one."""
    expected, previous, checked = 1, ZERO_LINK, 0
    while True:
        page = ledger_entries(connection, config_id, expected - 1, PAGE)
        for entry in page:
            number = entry["number"]
            if number != expected:
                return _broken(checked, expected, f"ticket {expected} is missing: the next "
                                                  f"one stored is {number}", connection, config_id)
            if entry["previous_link"] != previous:
                return _broken(checked, number, f"ticket {number} does not follow ticket "
                               f"{number - 1}: its previous link differs (tickets reordered, "
                               "or one replaced)", connection, config_id)
            what = f"{entry['kind']} {entry['uuid']}"
            if entry["record"] is None:
                return _broken(checked, number, f"ticket {number}: the {what} it seals is no "
                               "longer in the database (deleted)", connection, config_id)
            if chain_link(previous, canonical_form(entry["kind"], entry["record"])) \
                    != entry["link"]:
                return _broken(checked, number, f"ticket {number}: the {what} differs from "
                               "what was sealed (edited in the database)", connection, config_id)
            previous, expected, checked = entry["link"], expected + 1, checked + 1
        if len(page) < PAGE:
            break
    head_number, head_link = ledger_head(connection, config_id)
    if head_number != checked:
        return _broken(checked, checked + 1, f"ticket {checked + 1} is missing: the chain's "
                       f"head says {head_number} tickets were sealed", connection, config_id)
    if head_link != previous:
        return _broken(checked, checked, f"the chain's head link is not ticket {checked}'s "
                       "link", connection, config_id)
    return ChainCheck(True, checked, None, f"{checked} tickets, chain intact",
                      _unsealed(connection, config_id))


def _broken(checked, number, reason, connection, config_id):
    return ChainCheck(False, checked, number, reason, _unsealed(connection, config_id))


def _unsealed(connection, config_id):
    sealed = select(ENTRY.c.uuid).where(ENTRY.c.kind == "order")
    return connection.scalar(
        select(func.count()).select_from(Order).join(PosSession, PosSession.id == Order.session_id)
        .where(PosSession.config_id == config_id, Order.uuid.not_in(sealed)))


# -- receiving what another instance sealed (the central side of an autonomous till) -----------

LINK_PATTERN = re.compile(r"[0-9a-f]{64}")
UUID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
REFUSALS = ("gap", "broken", "conflict", "invalid")


def receive_sealed_entries(connection, config_id, entries, session_for=None):
    """Store entries sealed by another instance for `config_id`, in order, each exactly once,
    keeping their number and link; return `{"number", "uuid", "status", "reason"}` per entry.

    status: `stored`, `duplicate` (already stored, same link), `gap` (a number is skipped),
    `broken` (it does not link up to the head, or its record does not give its link),
    `conflict` (its number or uuid is stored with another link), `invalid` (not an entry, or a
    record that cannot be stored: unknown product, ...); after the first refusal, `not_applied`.
    A refused entry writes nothing. `session_for(connection, config_id, name)` gives the id of
    the session an order or closing names (default: `receiving_session`)."""
    session_for = session_for or receiving_session
    if connection.scalar(select(PosConfig.id).where(PosConfig.id == config_id)) is None:
        raise LookupError(f"no POS config with id {config_id}")
    _take_numbers(connection, config_id, 0)  # lock the head for the whole batch
    results, refused = [], False
    for index, entry in enumerate(entries):
        number = entry.get("number") if isinstance(entry, dict) else None
        uuid = entry.get("uuid") if isinstance(entry, dict) else None
        result = {"number": number if isinstance(number, int) else None,
                  "uuid": uuid if isinstance(uuid, str) else None}
        if refused:
            results.append({**result, "status": "not_applied",
                            "reason": "an earlier entry of this batch was refused"})
            continue
        status, reason = _receive_one(connection, config_id, entry, index, session_for)
        refused = status in REFUSALS
        results.append({**result, "status": status, "reason": reason})
    return results


def receiving_session(connection, config_id, name):
    """The config's session called `name`, created (opened, or closed when the config already
    has another session open) the first time a ticket of it arrives."""
    found = connection.scalar(select(PosSession.id).where(
        PosSession.config_id == config_id, PosSession.name == name))
    if found is not None:
        return found
    other_open = connection.scalar(select(PosSession.id).where(
        PosSession.config_id == config_id, PosSession.state != CLOSED))
    now = utc_now()
    return connection.execute(PosSession.__table__.insert().values(
        config_id=config_id, name=name, state=CLOSED if other_open else "opened",
        login_number=0, sequence_number=0, opened_at=now,
        closed_at=now if other_open else None)).inserted_primary_key[0]


def _receive_one(connection, config_id, entry, index, session_for):
    try:
        kind, number, uuid, previous_link, link, record = _entry_fields(entry, index)
    except ValueError as error:
        return "invalid", str(error)
    stored = connection.execute(select(ENTRY.c.number, ENTRY.c.link, ENTRY.c.config_id).where(
        ENTRY.c.kind == kind, ENTRY.c.uuid == uuid)).first()
    if stored is not None:
        if (stored.config_id, stored.number, stored.link) == (config_id, number, link):
            return "duplicate", f"ticket {number} is already stored"
        return "conflict", (f"{kind} {uuid} is already stored as ticket {stored.number} of "
                            f"config {stored.config_id} with another link")
    head_number, head_link = ledger_head(connection, config_id)
    if number <= head_number:
        return "conflict", f"ticket {number} is already stored with another {kind} or link"
    if number > head_number + 1:
        return "gap", f"ticket {number} arrived after {head_number}: {head_number + 1} is missing"
    if previous_link != head_link:
        return "broken", f"ticket {number}'s previous link is not ticket {head_number}'s link"
    savepoint = connection.begin_nested()
    try:
        _store_record(connection, config_id, kind, record, session_for)
        recomputed = read_records(connection, kind, [uuid]).get(uuid)
        if recomputed is None or chain_link(previous_link,
                                            canonical_form(kind, recomputed)) != link:
            savepoint.rollback()
            return "broken", f"ticket {number}'s record does not give its link (altered)"
        connection.execute(insert(ENTRY).values(
            config_id=config_id, number=number, kind=kind, uuid=uuid,
            previous_link=previous_link, link=link, sealed_at=utc_now()))
        connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                           .values(number=number, link=link))
        savepoint.commit()
    except ValueError as error:
        savepoint.rollback()
        return "invalid", f"ticket {number}: {error}"
    except DBAPIError as error:
        if is_transient(error):  # the database, not the entry: the whole batch is retried
            raise
        savepoint.rollback()
        if isinstance(error, IntegrityError):
            return "invalid", (f"ticket {number} cannot be stored here (its uuid is already "
                               "used, or it names a product, customer or session this "
                               "server does not have)")
        return "invalid", (f"ticket {number} cannot be stored here (a value does not fit: "
                           "an amount too large or a text too long)")
    except Exception:
        savepoint.rollback()
        raise
    return "stored", f"ticket {number} stored"


def _refunded(connection, uuid):
    """(order id, [its line ids by position]) of the order a received refund names."""
    if uuid is None:
        return None, []
    if not isinstance(uuid, str):
        raise ValueError(f"record.{REFUNDED_ORDER} must be an order's uuid")
    order_id = connection.scalar(select(Order.id).where(Order.uuid == uuid))
    if order_id is None:
        raise ValueError(f"it refunds order {uuid}, which this server does not have")
    return order_id, list(connection.scalars(select(OrderLine.id).where(
        OrderLine.order_id == order_id).order_by(OrderLine.id)))


def _entry_fields(entry, index):
    where = f"entries[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object")
    kind, number, uuid = entry.get("kind"), entry.get("number"), entry.get("uuid")
    if kind not in KINDS:
        raise ValueError(f"{where}.kind must be one of {', '.join(KINDS)}")
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 2**31:
        raise ValueError(f"{where}.number must be a positive whole number")
    if not isinstance(uuid, str) or not UUID_PATTERN.fullmatch(uuid):
        raise ValueError(f"{where}.uuid must be 1 to 64 letters, digits, - or _")
    links = [entry.get("previous_link"), entry.get("link")]
    if not all(isinstance(link, str) and LINK_PATTERN.fullmatch(link) for link in links):
        raise ValueError(f"{where}: previous_link and link must be 64 lowercase hex digits")
    record = entry.get("record")
    if not isinstance(record, dict) or record.get("uuid") != uuid:
        raise ValueError(f"{where}.record must be an object with the entry's uuid")
    return kind, number, uuid, links[0], links[1], record


def _store_record(connection, config_id, kind, record, session_for):
    if record.get("config_id") != config_id:
        raise ValueError(f"the record belongs to config {record.get('config_id')!r}, "
                         f"not {config_id}")
    session_name = record.get("session")
    if not isinstance(session_name, str) or not 0 < len(session_name) <= 64:
        raise ValueError("record.session must name the session (1 to 64 characters)")
    if kind == "closing":
        from .closing import store_closing_record
        return store_closing_record(connection, session_for(connection, config_id, session_name),
                                    record)
    fields = {k: v for k, v in record.items() if k not in ("config_id", "session", "lines",
                                                           "payments", REFUNDED_ORDER)}
    values = parsed(fields, ORDER_FIELDS, "record")
    lines, payments = record.get("lines"), record.get("payments")
    if not isinstance(lines, list) or not lines or not isinstance(payments, list) or \
            not all(isinstance(line, dict) for line in lines):
        raise ValueError("record.lines must be a non-empty list of objects and record.payments "
                         "a list")
    refunded_id, refunded_lines = _refunded(connection, record.get(REFUNDED_ORDER))
    order_id = connection.execute(Order.__table__.insert().values(
        **values, session_id=session_for(connection, config_id, session_name),
        refunded_order_id=refunded_id, received_at=utc_now())).inserted_primary_key[0]
    rows = []
    for i, line in enumerate(lines):
        where = f"record.lines[{i}]"
        position = line.get(REFUNDED_LINE)
        row = parsed({k: v for k, v in line.items() if k != REFUNDED_LINE}, LINE_FIELDS, where)
        if REFUNDED_LINE in line:
            if isinstance(position, bool) or not isinstance(position, int) or \
                    not 0 <= position < len(refunded_lines):
                raise ValueError(f"{where}.{REFUNDED_LINE} must be the position of a line of "
                                 "the refunded order")
            row["refunded_line_id"] = refunded_lines[position]
        rows.append({**row, "order_id": order_id})
    connection.execute(OrderLine.__table__.insert(), rows)
    if payments:
        connection.execute(Payment.__table__.insert(), [
            {**parsed(payment, PAYMENT_FIELDS, f"record.payments[{i}]"), "order_id": order_id}
            for i, payment in enumerate(payments)])


__all__ = ["ZERO_LINK", "SealedEntry", "ChainCheck", "canonical_form", "chain_link",
           "short_link", "seal_record", "seal_records", "ledger_head", "ledger_entries",
           "verify_chain", "receive_sealed_entries", "receiving_session"]
