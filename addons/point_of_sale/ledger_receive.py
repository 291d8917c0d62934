"""Receiving what another instance sealed (the central side of an autonomous till's push):
entries keep the number and link the till gave them, are stored in order and exactly once, and
each is stored only if the rows created from its record give back its link.

A batch costs what a push of live orders costs: the run of its new orders that follow the head
and link up (`FastRun`) is stored in one savepoint, one insert per table, read back once to
check every link, its entries inserted at once and the head moved once. Anything else (a
closing, a refund, a duplicate, a gap, a broken link), and a run that fails as a whole, goes
entry by entry (`_receive_one`), each in a savepoint of its own, so that one bad ticket never
takes the others with it and every answer says what was wrong with which ticket.
"""
import re
from datetime import timezone

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
from .models import CLOSED, Closing, Order, OrderLine, PosConfig, PosSession
from .order_rules import quarantine
from .orders import insert_orders
from .received_orders import check_received_order, check_received_orders

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
    return Receiver(connection, config_id, session_for, entries).receive()


class Receiver:
    """One batch of entries, in order: runs of new orders at once (`FastRun`), the rest one by
    one; after the first refusal, nothing more."""

    def __init__(self, connection, config_id, session_for, entries):
        self.connection, self.config_id, self.session_for = connection, config_id, session_for
        self.entries = entries
        self.known = _stored_uuids(connection, entries)  # uuids an entry already holds
        self.head = ledger_head(connection, config_id)
        self.results, self.run, self.refused = [], [], False

    def receive(self):
        for index, entry in enumerate(self.entries):
            if self.refused:
                self._answer(entry, "not_applied", "an earlier entry of this batch was refused")
            elif not self._joins_run(entry, index):
                self._flush()
                self._one(entry, index)
        self._flush()
        return self.results

    def _joins_run(self, entry, index):
        """Whether the entry is a new order that follows the run (or the head) and links up,
        refunding nothing: then it is stored with the run."""
        try:
            fields = _entry_fields(entry, index)
        except ValueError:
            return False
        kind, number, uuid, previous_link, _link, record = fields
        if kind != "order" or uuid in self.known or record.get(REFUNDED_ORDER) is not None \
                or (number, previous_link) != (self.head[0] + 1, self.head[1]):
            return False
        self.run.append((entry, fields))
        self.known.add(uuid)
        self.head = (number, fields[4])
        return True

    def _flush(self):
        """Store the run at once; if it fails as a whole, entry by entry."""
        run, self.run = self.run, []
        if not run:
            return
        answers = FastRun(self.connection, self.config_id, self.session_for,
                          [fields for _entry, fields in run]).store()
        if answers is None:
            self.head = ledger_head(self.connection, self.config_id)
            for entry, fields in run:
                if self.refused:
                    self._answer(entry, "not_applied", "an earlier entry of this batch was "
                                 "refused")
                else:
                    self._one(entry, None, fields)
            return
        for (entry, _fields), reason in zip(run, answers):
            self._answer(entry, "stored", reason)

    def _one(self, entry, index, fields=None):
        status, reason = _receive_one(self.connection, self.config_id, entry, index,
                                      self.session_for, fields)
        self.refused = status in REFUSALS
        self.head = ledger_head(self.connection, self.config_id)
        self._answer(entry, status, reason)

    def _answer(self, entry, status, reason):
        number = entry.get("number") if isinstance(entry, dict) else None
        uuid = entry.get("uuid") if isinstance(entry, dict) else None
        self.results.append({"number": number if isinstance(number, int) else None,
                             "uuid": uuid if isinstance(uuid, str) else None,
                             "status": status, "reason": reason})


def _stored_uuids(connection, entries):
    """The uuids among the entries' that the ledger already holds (their entries answer
    `duplicate` or `conflict`, one by one)."""
    uuids = {entry.get("uuid") for entry in entries if isinstance(entry, dict)
             and isinstance(entry.get("uuid"), str)}
    if not uuids:
        return set()
    return set(connection.scalars(select(ENTRY.c.uuid).where(ENTRY.c.uuid.in_(uuids))))


class _Broken(Exception):
    """A record whose stored rows do not give back its entry's link."""

    def __init__(self, number):
        super().__init__(f"ticket {number}'s record does not give its link (altered)")


class FastRun:
    """A run of new orders (no refund among them) that follow the head and link up in memory,
    stored in one savepoint: their sessions looked up once each, the rules checked for all at
    once, one insert per table, the rows read back once and every link checked against them,
    the entries inserted at once and the head moved once."""

    def __init__(self, connection, config_id, session_for, run):
        self.connection, self.config_id = connection, config_id
        self.session_for, self.run = session_for, run
        self.sessions = {}  # session name -> id, for this attempt only (a rollback drops them)

    def store(self):
        """The reason of each entry, all stored; None when nothing is (the run then goes entry
        by entry, which says which ticket is wrong and stores those before it)."""
        savepoint = self.connection.begin_nested()
        try:
            items = self._store()
            savepoint.commit()
        except Exception as error:  # noqa: BLE001 - sorted out entry by entry
            if is_transient(error):
                raise  # the database, not the entries: the whole batch is retried
            savepoint.rollback()
            return None
        self._check_clocks(items)
        return [_stored_words(number, broken) for number, broken, _sealed_at, _at in items]

    def _session(self, name):
        if name not in self.sessions:
            self.sessions[name] = self.session_for(self.connection, self.config_id, name)
        return self.sessions[name]

    def _store(self):
        """[(number, broken rule or None, the till's sealed_at or None, the stored sealed_at)]
        of the run, stored."""
        rows, sessions = [], []
        for _kind, _number, _uuid, _previous, _link, record in self.run:
            sessions.append(self._session(_session_name(self.config_id, record)))
            rows.append(_order_rows(self.connection, record))
        seals = [_seal_values(fields[5]) for fields in self.run]
        broken = check_received_orders(self.connection, self.config_id, [
            (session_id, fields[5]) for session_id, fields in zip(sessions, self.run)])
        _insert_orders(self.connection, list(zip(rows, sessions)))
        entries = self._checked_entries(seals)
        self.connection.execute(insert(ENTRY), entries)
        self.connection.execute(update(HEAD).where(HEAD.c.config_id == self.config_id)
                                .values(number=entries[-1]["number"], link=entries[-1]["link"]))
        for fields, rule in zip(self.run, broken):
            if rule is not None:  # stored as received, counted nowhere (order_rules.py)
                quarantine(self.connection, self.config_id, fields[1], fields[2], *rule)
        return [(fields[1], rule, sealed_at, entry["sealed_at"])
                for fields, rule, (sealed_at, _version), entry
                in zip(self.run, broken, seals, entries)]

    def _checked_entries(self, seals):
        """The entry rows of the run, once the stored rows, read back once, give every link
        (`seals`: each entry's sealed_at and software version)."""
        records = read_records(self.connection, "order", [fields[2] for fields in self.run])
        now, rows = utc_now(), []
        for (_kind, number, uuid, previous_link, link, record), (sealed_at, version) in zip(
                self.run, seals):
            _check_link(records.get(uuid), "order", number, previous_link, link, record, version)
            rows.append({"config_id": self.config_id, "number": number, "kind": "order",
                         "uuid": uuid, "previous_link": previous_link, "link": link,
                         "sealed_at": sealed_at or now, "software_version": version})
        return rows

    def _check_clocks(self, items):
        """The clock check of each ticket against the one before it (`check_clock`, which reads
        that one): asked for the first of the run, and for a later one only when its time is
        before the previous one's (else it cannot have gone back)."""
        previous = None
        for number, _broken, sealed_at, stored_at in items:
            if sealed_at is not None and (previous is None
                                          or _aware(sealed_at) < _aware(previous)):
                check_clock(self.connection, self.config_id, number - 1, sealed_at, TILL)
            previous = stored_at


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _check_link(stored, kind, number, previous_link, link, record, version):
    """The stored record as its entry sealed it; _Broken unless it gives the entry's link."""
    recomputed = as_sealed(stored, record.get("sealed_at"), version)
    if recomputed is None or chain_link(previous_link, canonical_form(kind, recomputed)) != link:
        raise _Broken(number)
    return recomputed


def _stored_words(number, broken):
    if broken is not None:
        return (f"ticket {number} stored, quarantined: it breaks rule {broken[0]}: "
                f"{broken[1]}")
    return f"ticket {number} stored"


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


def _receive_one(connection, config_id, entry, index, session_for, fields=None):
    """(status, reason) of one entry, stored in a savepoint of its own if it may be."""
    try:
        fields = fields or _entry_fields(entry, index)
    except ValueError as error:
        return "invalid", str(error)
    return (_refusal(connection, config_id, *fields[:5])
            or _store_entry(connection, config_id, fields, session_for))


def _refusal(connection, config_id, kind, number, uuid, previous_link, link):
    """(status, reason) of an entry stored already, or that does not follow the head; None
    for the head's next entry."""
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
    return None


def _store_entry(connection, config_id, fields, session_for):
    """Store the head's next entry and its record in a savepoint; (status, reason)."""
    kind, number = fields[0], fields[1]
    savepoint = connection.begin_nested()
    try:
        broken, recomputed, sealed_at = _store_checked(connection, config_id, fields,
                                                       session_for)
        savepoint.commit()
    except _Broken as error:
        savepoint.rollback()
        return "broken", str(error)
    except ValueError as error:
        savepoint.rollback()
        return "invalid", f"ticket {number}: {error}"
    except DBAPIError as error:
        if is_transient(error):  # the database, not the entry: the whole batch is retried
            raise
        savepoint.rollback()
        return "invalid", _unstorable(number, error)
    except Exception:
        savepoint.rollback()
        raise
    if sealed_at is not None:
        check_clock(connection, config_id, number - 1, sealed_at, TILL)
    if kind == "closing":
        check_closing_date(connection, config_id, number, recomputed, TILL)
    return "stored", _stored_words(number, broken)


def _unstorable(number, error):
    if isinstance(error, IntegrityError):
        return (f"ticket {number} cannot be stored here (its uuid is already used, or it names "
                "a product, customer or session this server does not have)")
    return (f"ticket {number} cannot be stored here (a value does not fit: an amount too large "
            "or a text too long)")


def _store_checked(connection, config_id, fields, session_for):
    """Store the record, check that its rows give its link (_Broken), store the entry and move
    the head; (broken rule or None, the record as sealed, the till's sealed_at)."""
    kind, number, uuid, previous_link, link, record = fields
    sealed_at, version = _seal_values(record)
    broken = _broken_rule(connection, config_id, kind, record, session_for)
    _store_record(connection, config_id, kind, record, session_for)
    recomputed = _check_link(read_records(connection, kind, [uuid]).get(uuid), kind, number,
                             previous_link, link, record, version)
    connection.execute(insert(ENTRY).values(
        config_id=config_id, number=number, kind=kind, uuid=uuid,
        previous_link=previous_link, link=link, sealed_at=sealed_at or utc_now(),
        software_version=version))
    connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                       .values(number=number, link=link))
    if broken is not None:  # stored as received, counted nowhere (order_rules.py)
        quarantine(connection, config_id, number, uuid, *broken)
    return broken, recomputed, sealed_at


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
    """(kind, number, uuid, previous link, link, record) of a well-formed entry; ValueError."""
    where = f"entries[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be an object")
    kind, number, uuid = _entry_key(entry, where)
    links = [entry.get("previous_link"), entry.get("link")]
    if not all(isinstance(link, str) and LINK_PATTERN.fullmatch(link) for link in links):
        raise ValueError(f"{where}: previous_link and link must be 64 lowercase hex digits")
    record = entry.get("record")
    if not isinstance(record, dict) or record.get("uuid") != uuid:
        raise ValueError(f"{where}.record must be an object with the entry's uuid")
    return kind, number, uuid, links[0], links[1], record


def _entry_key(entry, where):
    kind, number, uuid = entry.get("kind"), entry.get("number"), entry.get("uuid")
    if kind not in KINDS:
        raise ValueError(f"{where}.kind must be one of {', '.join(KINDS)}")
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 2**31:
        raise ValueError(f"{where}.number must be a positive whole number")
    if not isinstance(uuid, str) or not UUID_PATTERN.fullmatch(uuid):
        raise ValueError(f"{where}.uuid must be 1 to 64 letters, digits, - or _")
    return kind, number, uuid


def _session_name(config_id, record):
    """The name of the session a record of `config_id` names; ValueError."""
    if record.get("config_id") != config_id:
        raise ValueError(f"the record belongs to config {record.get('config_id')!r}, "
                         f"not {config_id}")
    session_name = record.get("session")
    if not isinstance(session_name, str) or not 0 < len(session_name) <= 64:
        raise ValueError("record.session must name the session (1 to 64 characters)")
    return session_name


def _store_record(connection, config_id, kind, record, session_for):
    session_name = _session_name(config_id, record)
    if kind == "closing":
        return _store_closing(connection, session_for(connection, config_id, session_name),
                              record)
    rows = _order_rows(connection, record)
    _insert_orders(connection, [(rows, session_for(connection, config_id, session_name))])


def _order_rows(connection, record):
    """(order values, line rows, payment rows) an order record stores, its refund resolved to
    this server's rows; ValueError says what is wrong with the record."""
    fields = {k: v for k, v in record.items() if k not in ("config_id", "session", "lines",
                                                           "payments", REFUNDED_ORDER,
                                                           *SEAL_FIELDS)}
    values = parsed(fields, ORDER_FIELDS, "record")
    lines, payments = record.get("lines"), record.get("payments")
    if not isinstance(lines, list) or not lines or not isinstance(payments, list) or \
            not all(isinstance(line, dict) for line in lines):
        raise ValueError("record.lines must be a non-empty list of objects and record.payments "
                         "a list")
    values["refunded_order_id"], refunded_lines = _refunded(connection,
                                                            record.get(REFUNDED_ORDER))
    return (values, [_line_row(line, i, refunded_lines) for i, line in enumerate(lines)],
            [parsed(payment, PAYMENT_FIELDS, f"record.payments[{i}]")
             for i, payment in enumerate(payments)])


def _line_row(line, index, refunded_lines):
    where = f"record.lines[{index}]"
    row = parsed({k: v for k, v in line.items() if k != REFUNDED_LINE}, LINE_FIELDS, where)
    row["refunded_line_id"] = None
    if REFUNDED_LINE in line:
        position = line.get(REFUNDED_LINE)
        if isinstance(position, bool) or not isinstance(position, int) or \
                not 0 <= position < len(refunded_lines):
            raise ValueError(f"{where}.{REFUNDED_LINE} must be the position of a line of the "
                             "refunded order")
        row["refunded_line_id"] = refunded_lines[position]
    return row


def _insert_orders(connection, items):
    """Insert orders [((values, lines, payments), session id)], one statement per table."""
    now = utc_now()
    insert_orders(connection, [{**values, "session_id": session_id, "received_at": now}
                               for (values, _lines, _payments), session_id in items],
                  [lines for (_values, lines, _payments), _session_id in items],
                  [payments for (_values, _lines, payments), _session_id in items])


def _store_closing(connection, session_id, record):
    """Store a closing sealed elsewhere (an autonomous till's) as it is, and close its session
    here if it is not closed yet. ValueError says what is wrong with the record."""
    values, by_tax, by_method, moves = _closing_values(record)
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


def _closing_values(record):
    """(column values, totals by tax, totals by method, cash moves or None) of a closing
    record; ValueError says what is wrong with it."""
    fields = {k: v for k, v in record.items()
              if k not in ("config_id", "session", "totals_by_tax", "totals_by_method",
                           "session_opened_at", "cash_moves", *SEAL_FIELDS)}
    values = parsed(fields, CLOSING_FIELDS, "record")
    by_tax, by_method = _closing_totals(record)
    if values["closed_at"] is None or values["order_count"] is None:
        raise ValueError("record.closed_at and record.order_count are required")
    moves = record.get("cash_moves")
    if moves is not None and (not isinstance(moves, list) or not moves):
        raise ValueError("record.cash_moves must be a non-empty list when present")
    return values, by_tax, by_method, moves


def _closing_totals(record):
    by_tax, by_method = record.get("totals_by_tax"), record.get("totals_by_method")
    if not isinstance(by_tax, list) or not isinstance(by_method, list):
        raise ValueError("record.totals_by_tax and record.totals_by_method must be lists")
    for index, total in enumerate(by_tax):
        parsed(total, TAX_TOTAL_FIELDS, f"record.totals_by_tax[{index}]")
    for index, total in enumerate(by_method):
        parsed(total, METHOD_TOTAL_FIELDS, f"record.totals_by_method[{index}]")
    return by_tax, by_method
