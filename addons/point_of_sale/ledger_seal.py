"""Sealing: every order and closing a config stores first gets the next number of a gap-free
sequence per config and a link in the hash chain (ledger_form.py), in the transaction that
stores it. The ledger keeps numbers and links only (`point_of_sale_ledger_entry`); the head row
(`point_of_sale_ledger_head`) holds the config's last number and link.

Sealing locks the config's head row (`UPDATE ... SET number = number + n` first), so concurrent
pushes from several workers queue on it: numbers never repeat nor skip, and a transaction that
rolls back takes its numbers with it.
"""
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from core.models import utc_now

from .ledger_form import KINDS, ZERO_LINK, canonical_form, chain_link, read_records
from .models import LedgerEntry, LedgerHead

PAGE = 500  # records read per query when walking a chain

HEAD = LedgerHead.__table__
ENTRY = LedgerEntry.__table__


@dataclass(frozen=True)
class SealedEntry:
    number: int
    link: str
    previous_link: str


def seal_record(connection, config_id, kind, uuid):
    """Seal one record stored in this transaction; see `seal_records`."""
    return seal_records(connection, config_id, kind, [uuid])[0]


def seal_records(connection, config_id, kind, uuids):
    """Give the records `uuids` (stored in this transaction, in this order) the config's next
    numbers and links; return their SealedEntry. Call it in the transaction that stored them:
    the head row stays locked until that transaction ends."""
    if not uuids:
        return []
    last = take_numbers(connection, config_id, len(uuids))
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
