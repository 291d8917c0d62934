"""Receiving what another instance sealed (the central side of an autonomous till's push):
entries keep the number and link the till gave them, are stored in order and exactly once, and
each is stored only if the rows created from its record give back its link.
"""
import re

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db import is_transient
from core.models import utc_now

from .cash_control import store_received_moves
from .ledger_alarms import TILL
from .ledger_form import (
    CLOSING_FIELDS,
    KINDS,
    LINE_FIELDS,
    METHOD_TOTAL_FIELDS,
    ORDER_FIELDS,
    PAYMENT_FIELDS,
    REFUNDED_LINE,
    REFUNDED_ORDER,
    SEAL_FIELDS,
    TAX_TOTAL_FIELDS,
    TIME,
    as_sealed,
    canonical_form,
    chain_link,
    parsed,
    read_records,
)
from .ledger_seal import ENTRY, HEAD, check_clock, check_closing_date, ledger_head, take_numbers
from .models import CLOSED, Closing, Order, OrderLine, Payment, PosConfig, PosSession
from .order_rules import quarantine
from .received_orders import check_received_order

LINK_PATTERN = re.compile(r"[0-9a-f]{64}")
UUID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
REFUSALS = ("gap", "broken", "conflict", "invalid")


def receive_sealed_entries(connection, config_id, entries, session_for=None):
    """Store entries sealed by another instance for `config_id`, in order, each exactly once,
    keeping their number and link; return `{"number", "uuid", "status", "reason"}` per entry.

    status: `stored` (its reason says "quarantined" and the rule when the order breaks one of
    POST /pos/orders: order_rules.py), `duplicate` (already stored, same link), `gap` (a number
    is skipped),
    `broken` (it does not link up to the head, or its record does not give its link),
    `conflict` (its number or uuid is stored with another link), `invalid` (not an entry, or a
    record that cannot be stored: unknown product, ...); after the first refusal, `not_applied`.
    A refused entry writes nothing. `session_for(connection, config_id, name)` gives the id of
    the session an order or closing names (default: `receiving_session`)."""
    session_for = session_for or receiving_session
    if connection.scalar(select(PosConfig.id).where(PosConfig.id == config_id)) is None:
        raise LookupError(f"no POS config with id {config_id}")
    take_numbers(connection, config_id, 0)  # lock the head for the whole batch
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
        sealed_at, version = _seal_values(record)
        broken = _broken_rule(connection, config_id, kind, record, session_for)
        _store_record(connection, config_id, kind, record, session_for)
        recomputed = as_sealed(read_records(connection, kind, [uuid]).get(uuid),
                               record.get("sealed_at"), version)
        if recomputed is None or chain_link(previous_link,
                                            canonical_form(kind, recomputed)) != link:
            savepoint.rollback()
            return "broken", f"ticket {number}'s record does not give its link (altered)"
        connection.execute(insert(ENTRY).values(
            config_id=config_id, number=number, kind=kind, uuid=uuid,
            previous_link=previous_link, link=link, sealed_at=sealed_at or utc_now(),
            software_version=version))
        connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                           .values(number=number, link=link))
        if broken is not None:  # stored as received, counted nowhere (order_rules.py)
            quarantine(connection, config_id, number, uuid, *broken)
        savepoint.commit()
        if sealed_at is not None:
            check_clock(connection, config_id, number - 1, sealed_at, TILL)
        if kind == "closing":
            check_closing_date(connection, config_id, number, recomputed, TILL)
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
    if broken is not None:
        return "stored", f"ticket {number} stored, quarantined: it breaks rule {broken[0]}: " \
                         f"{broken[1]}"
    return "stored", f"ticket {number} stored"


def _broken_rule(connection, config_id, kind, record, session_for):
    """(rule, message) of the rule of POST /pos/orders an order record breaks, else None."""
    if kind != "order" or not isinstance(record.get("session"), str):
        return None
    session_id = session_for(connection, config_id, record["session"])
    return check_received_order(connection, config_id, session_id, record)


def _seal_values(record):
    """(sealed_at, software_version) the till's entry sealed with; (None, None) for an entry
    sealed before versions were."""
    if record.get("software_version") is None:
        if "sealed_at" in record:
            raise ValueError("record.sealed_at comes with record.software_version")
        return None, None
    values = parsed({k: record.get(k) for k in SEAL_FIELDS}, SEAL_FIELDS, "record")
    if values["sealed_at"] is None:
        raise ValueError("record.sealed_at is missing")
    return values["sealed_at"], values["software_version"]


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
        return _store_closing(connection, session_for(connection, config_id, session_name),
                              record)
    fields = {k: v for k, v in record.items() if k not in ("config_id", "session", "lines",
                                                           "payments", REFUNDED_ORDER,
                                                           *SEAL_FIELDS)}
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


def _store_closing(connection, session_id, record):
    """Store a closing sealed elsewhere (an autonomous till's) as it is, and close its session
    here if it is not closed yet. ValueError says what is wrong with the record."""
    fields = {k: v for k, v in record.items()
              if k not in ("config_id", "session", "totals_by_tax", "totals_by_method",
                           "session_opened_at", "cash_moves", *SEAL_FIELDS)}
    values = parsed(fields, CLOSING_FIELDS, "record")
    by_tax, by_method = record.get("totals_by_tax"), record.get("totals_by_method")
    if not isinstance(by_tax, list) or not isinstance(by_method, list):
        raise ValueError("record.totals_by_tax and record.totals_by_method must be lists")
    for index, total in enumerate(by_tax):
        parsed(total, TAX_TOTAL_FIELDS, f"record.totals_by_tax[{index}]")
    for index, total in enumerate(by_method):
        parsed(total, METHOD_TOTAL_FIELDS, f"record.totals_by_method[{index}]")
    if values["closed_at"] is None or values["order_count"] is None:
        raise ValueError("record.closed_at and record.order_count are required")
    moves = record.get("cash_moves")
    if moves is not None and (not isinstance(moves, list) or not moves):
        raise ValueError("record.cash_moves must be a non-empty list when present")
    store_received_moves(connection, session_id, moves or [])  # this server's figures too
    connection.execute(Closing.__table__.insert().values(
        **values, session_id=session_id, totals_by_tax=by_tax, totals_by_method=by_method,
        cash_moves=moves))
    connection.execute(PosSession.__table__.update().where(
        PosSession.id == session_id, PosSession.state != CLOSED).values(
        state=CLOSED, closed_at=values["closed_at"]))
    if "session_opened_at" in record:  # the till's session: when it opened there
        opened_at = TIME[1](record["session_opened_at"])
        connection.execute(PosSession.__table__.update().where(
            PosSession.id == session_id).values(opened_at=opened_at))
