"""Sealing: every order and closing a config stores first gets the next number of a gap-free
sequence per config and a link in the hash chain (ledger_form.py), in the transaction that
stores it. The ledger keeps numbers and links only (`point_of_sale_ledger_entry`); the head row
(`point_of_sale_ledger_head`) holds the config's last number and link.

Sealing locks the config's head row (`UPDATE ... SET number = number + n` first), so concurrent
pushes from several workers queue on it: numbers never repeat nor skip, and a transaction that
rolls back takes its numbers with it.
"""
import importlib.metadata
from dataclasses import dataclass
from datetime import timezone

from sqlalchemy import Integer, bindparam, exists, literal_column, select, update

from core.db import BulkInsert, insert_or_ignore
from core.errors import CoreError
from core.models import utc_now

from .ledger_alarms import LOCAL, clock_tolerance, raise_ledger_alarm
from .ledger_form import (
    KINDS,
    TIME,
    ZERO_LINK,
    as_sealed,
    canonical_form,
    chain_link,
    read_records,
)
from .models import ConfigWriter, LedgerEntry, LedgerHead

SOFTWARE_VERSION = importlib.metadata.version("comptoir")

PAGE = 500  # records read per query when walking a chain
# In a connection's info: the configs it sealed tickets of since its last commit or rollback,
# for whoever writes something at the commit (an autonomous till's high-water mark).
SEALED_CONFIGS = "point_of_sale.sealed_configs"

HEAD = LedgerHead.__table__
ENTRY = LedgerEntry.__table__
WRITER = ConfigWriter.__table__
ENTRY_INSERT = BulkInsert(ENTRY, ("config_id", "number", "kind", "uuid", "previous_link", "link",
                                  "sealed_at", "software_version"))


@dataclass(frozen=True)
class SealedEntry:
    number: int
    link: str
    previous_link: str


def seal_record(connection, config_id, kind, uuid):
    """Seal one record stored in this transaction; see `seal_records`."""
    return seal_records(connection, config_id, kind, [uuid])[0]


def seal_records(connection, config_id, kind, uuids, records=None):
    """Give the records `uuids` (stored in this transaction, in this order) the config's next
    numbers and links; return their SealedEntry. Call it in the transaction that stored them:
    the head row stays locked until that transaction ends. `records` ({uuid: canonical dict,
    as `read_records` gives}) are the records as the caller has just stored them, hashed as
    they are instead of being read back (the push: orders.py).

    What it costs per batch: one update of the head row that locks it and moves its number
    unless the config is served elsewhere (the writer guard), returning the number and link it
    held and when the last ticket was sealed (for the clock check); one insert of every entry,
    and the head's new link."""
    if not uuids:
        return []
    number, previous, before = _move_head(connection, config_id, len(uuids))
    connection.info.setdefault(SEALED_CONFIGS, set()).add(config_id)
    if records is None:
        records = read_records(connection, kind, uuids)
    now = utc_now()
    _clock_alarm(connection, config_id, number, before, now, LOCAL)
    sealed, rows = _chained(config_id, kind, uuids, records, number, previous, now)
    ENTRY_INSERT(connection, rows)
    connection.execute(NEW_LINK, {"config": config_id, "new_link": sealed[-1].link})
    if kind == "closing":
        for uuid, entry in zip(uuids, sealed):
            check_closing_date(connection, config_id, entry.number, records[uuid], LOCAL)
    return sealed


def _chained(config_id, kind, uuids, records, number, previous, now):
    """(SealedEntry per uuid, entry rows) of `uuids` numbered after `number`, chained after the
    link `previous`, hashed in memory."""
    sealed, rows = [], []
    sealed_at = TIME[0](now)  # its canonical text, written once for the batch
    for uuid in uuids:
        number += 1
        link = chain_link(previous, canonical_form(kind, as_sealed(records[uuid], sealed_at,
                                                                   SOFTWARE_VERSION)))
        sealed.append(SealedEntry(number, link, previous))
        rows.append({"config_id": config_id, "number": number, "kind": kind, "uuid": uuid,
                     "previous_link": previous, "link": link, "sealed_at": now,
                     "software_version": SOFTWARE_VERSION})
        previous = link
    return sealed, rows


# RETURNING renders the head's columns unqualified, which inside the subquery would name the
# entry's own `number`: the head's is named in full (its value after the update). Built once:
# building it at each push cost about what running it does.
_HEAD_NUMBER = literal_column(f"{HEAD.name}.number", Integer)
_LAST_SEALED = select(ENTRY.c.sealed_at).where(
    ENTRY.c.config_id == bindparam("config"),
    ENTRY.c.number == _HEAD_NUMBER - bindparam("count")).scalar_subquery()
MOVE_HEAD = (update(HEAD).where(HEAD.c.config_id == bindparam("config"), ~exists().where(
                 WRITER.c.config_id == bindparam("config")))
             .values(number=HEAD.c.number + bindparam("count"))
             .returning(HEAD.c.number, HEAD.c.link, _LAST_SEALED))

NEW_LINK = update(HEAD).where(HEAD.c.config_id == bindparam("config")).values(
    link=bindparam("new_link"))


def _move_head(connection, config_id, count):
    """Lock the config's head row by moving its number on by `count` (creating the row the
    first time), in one statement that also says when the last ticket was sealed and moves
    nothing when the config is served elsewhere (then CoreError: the last guard; open, sell
    and close refuse it in words first); return the (number, link) it held before and that
    time (None without tickets)."""
    values = {"config": config_id, "count": count}
    row = connection.execute(MOVE_HEAD, values).first()
    if row is None:
        _refuse_served_elsewhere(connection, config_id)
        _create_head(connection, config_id)
        row = connection.execute(MOVE_HEAD, values).first()
    return row[0] - count, row[1], row[2]


def _refuse_served_elsewhere(connection, config_id):
    writer = connection.scalar(select(WRITER.c.writer).where(WRITER.c.config_id == config_id))
    if writer is not None:
        raise CoreError(f"POS config {config_id} is served by {writer}: this server seals "
                        "none of its tickets")


def take_sealed_configs(connection):
    """The configs `connection` sealed tickets of since this was last called (or since its
    last commit or rollback, when the caller calls it then), forgotten once taken."""
    return connection.info.pop(SEALED_CONFIGS, set())


def check_clock(connection, config_id, previous_number, sealed_at, side):
    """Alarm when ticket `previous_number + 1`, sealed at `sealed_at`, is earlier than ticket
    `previous_number` by more than the clock tolerance (point_of_sale.ledger_clock_tolerance:
    the clock of `side` went back); the parameter is read only when the clock did go back."""
    if previous_number < 1:
        return
    before = connection.scalar(select(ENTRY.c.sealed_at).where(
        ENTRY.c.config_id == config_id, ENTRY.c.number == previous_number))
    _clock_alarm(connection, config_id, previous_number, before, sealed_at, side)


def _clock_alarm(connection, config_id, previous_number, before, sealed_at, side):
    """The alarm of `check_clock`, ticket `previous_number` sealed at `before` (None: no
    such ticket, nothing to compare)."""
    if before is None:
        return
    before, sealed_at = _aware(before), _aware(sealed_at)
    if sealed_at < before and sealed_at < before - clock_tolerance(connection):
        where = "this server's" if side == LOCAL else "the till's"
        raise_ledger_alarm(connection, config_id, "clock_back", previous_number + 1, side, (
            f"ticket {previous_number + 1} was sealed at {sealed_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"{_duration(before - sealed_at)} before ticket {previous_number} "
            f"({before:%Y-%m-%d %H:%M:%S} UTC): {where} clock went back"))


def check_closing_date(connection, config_id, number, record, side):
    """Alarm when closing `number` (its sealed `record`) is dated before its session opened by
    more than the clock tolerance."""
    opened, closed = record.get("session_opened_at"), record.get("closed_at")
    if opened is None or closed is None:
        return
    opened, closed = TIME[1](opened), TIME[1](closed)
    if closed < opened and closed < opened - clock_tolerance(connection):
        where = "this server's" if side == LOCAL else "the till's"
        raise_ledger_alarm(connection, config_id, "closing_before_opening", number, side, (
            f"closing ticket {number} of session {record.get('session')} is dated "
            f"{closed:%Y-%m-%d %H:%M:%S} UTC, {_duration(opened - closed)} before the session "
            f"opened ({opened:%Y-%m-%d %H:%M:%S} UTC): {where} clock or database is wrong"))


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _duration(delta):
    minutes = round(delta.total_seconds() / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def take_numbers(connection, config_id, count):
    """Lock the config's head row by moving its number on by `count` (creating the row the
    first time); return the new number. `count` 0 only takes the lock."""
    moved = connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                               .values(number=HEAD.c.number + count))
    if moved.rowcount == 0:
        _create_head(connection, config_id)
        connection.execute(update(HEAD).where(HEAD.c.config_id == config_id)
                           .values(number=HEAD.c.number + count))
    return connection.scalar(select(HEAD.c.number).where(HEAD.c.config_id == config_id))


def _create_head(connection, config_id):
    """The config's head row, unless a concurrent transaction created it first."""
    insert_or_ignore(connection, HEAD, {"config_id": config_id, "number": 0, "link": ZERO_LINK})


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
             "record": as_sealed(records[r["kind"]].get(r["uuid"]), r["sealed_at"],
                                 r["software_version"])} for r in rows]
