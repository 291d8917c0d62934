"""Reading and writing the sync tables. Every function that changes a multi-session's rows
expects the caller to hold that multi-session's lock (`lock_multi_session`) in its transaction:
that is what serializes concurrent updates across worker processes.

An update costs two statements of this module on PostgreSQL: the lock, which also reads the
order the update names, and `write`, which stores the order, the multi-session's counter and
numbers the tills' copies of its message (the statements are in writes.py)."""
import json
from dataclasses import dataclass
from typing import NamedTuple

import orjson
from sqlalchemy import and_, select, update

from core.db import WRITE_LOCK, dialect_insert, insert_or_ignore
from core.models import utc_now

from . import writes
from .models import DRAFT, UNPAID, SyncMultiSession, SyncOrder, SyncPos
from .sql import bind_processor
from .wire import order_to_wire

# A run of 19 digits, looked for with one translate() and one find(): a regular expression
# cost a loaded order (5 KB of JSON) some 120 µs, five times orjson's reading of it.
_DIGITS_AS_ZERO = bytes(ord("0") if byte in b"0123456789" else ord(" ") for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19

EVERY_TILL = writes.EVERY_TILL  # `write(counting=...)`: one more message for every till
NOT_READ = "not read"  # Locked.order when the lock did not (or could not) read the order


@dataclass(frozen=True)
class MultiSessionKey:
    """A multi-session of the main instance's database `dbname`."""
    dbname: str
    multi_session_id: int


@dataclass
class StoredOrder:
    id: int | None  # None until inserted
    uid: str
    order: dict
    sequence_number: int
    nonce: str | None
    run_id: int
    state: str
    revision: int
    stamps: dict
    tombstones: dict
    header_stamp: int
    versions: dict

    def with_revision(self):
        """The order as tills receive it (`wire.order_to_wire`)."""
        return order_to_wire({**self.order, "revision_ID": self.revision})


class Locked(NamedTuple):
    """The multi-session's row as `lock_multi_session` found it, and what it read with it."""
    order_id: int  # the last order number given in this run
    run_id: int
    pos_row: int | None = None  # the till's row id, None if it is not registered
    pos_user_id: int | None = None
    order: object = NOT_READ  # the StoredOrder of `uid`, None if there is none, or NOT_READ


def _where(model, key):
    return and_(model.dbname == key.dbname, model.multi_session_id == key.multi_session_id)


def lock_multi_session(connection, key, pos_id=None, uid=None):
    """Create the multi-session's row if missing and lock it until the transaction ends;
    return it (`Locked`). With `pos_id`, the row also says, read in the same round trip,
    whether that till is registered (`pos_row`, None if not) and its `pos_user_id`; with
    `uid`, the order of that uid (`order`) when the read is known to be the last state (on
    PostgreSQL, a lock that waited for another update's commit read with the snapshot of
    before that commit, which writes.py detects: `order` is then NOT_READ, for `load_order`).

    On PostgreSQL the SELECT ... FOR UPDATE OF the multi-session waits for any other holder of
    the row; the INSERT is tried only when the row is missing (each attempt would otherwise use
    up a value of the id sequence). SQLite ignores FOR UPDATE: a transaction begun by
    `engine.begin()` (BEGIN IMMEDIATE) holds the database's write lock already, and reads
    first too; in another (deferred) transaction the INSERT ... ON CONFLICT DO NOTHING comes
    first, so that its first write takes the write lock before any read and the transaction
    never has to upgrade a read lock (SQLITE_BUSY in WAL mode)."""
    values = {**_key_values(key), "pos_id": pos_id, "uid": uid}
    if (connection.dialect.name == "postgresql"
            or connection.get_execution_options().get(WRITE_LOCK)):
        row = writes.LOCK.run(connection, values).fetchone()
        if row is not None:
            return _locked(row, uid)
    connection.execute(dialect_insert(connection.dialect.name)(SyncMultiSession.__table__)
                       .on_conflict_do_nothing(index_elements=["dbname", "multi_session_id"]),
                       {**_key_values(key), "order_id": 0, "run_id": 1})
    return _locked(writes.LOCK.run(connection, values).fetchone(), uid)


def _locked(row, uid):
    order_id, run_id, pos_row, pos_user_id, fresh = row[:5]
    if uid is None or not fresh:
        order = NOT_READ
    else:
        order = None if row[5] is None else _stored(row[5:])
    return Locked(order_id, run_id, pos_row, pos_user_id, order)


def prepare_new_session(connection, key, run_id):
    """A new run: draft orders of older runs become unpaid (kept for a manager) and order
    numbers start again from 1."""
    connection.execute(update(SyncOrder).where(
        _where(SyncOrder, key), SyncOrder.state == DRAFT, SyncOrder.run_id < run_id
    ).values(state=UNPAID))
    connection.execute(update(SyncMultiSession).where(_where(SyncMultiSession, key))
                       .values(run_id=run_id, order_id=0))


def _loads(text):
    """JSON the columns hold: orjson (several times faster), or the standard library where a
    run of 19 digits or more may be an integer beyond 64 bits (orjson would read it as a float,
    losing digits a till sent)."""
    if _NINETEEN_DIGITS in text.encode().translate(_DIGITS_AS_ZERO):
        return json.loads(text)
    return orjson.loads(text)


def _dumps(value):
    """Compact JSON; the standard library for what orjson refuses (integers beyond 64 bits).
    Non-finite numbers never get here: request bodies refuse them."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# What a StoredOrder is read from, in this order (`_stored`); other columns may follow.
_STORED = tuple(getattr(SyncOrder, name) for name in writes.STORED_COLUMNS)


def _stored(row):
    """The StoredOrder of a row whose first columns are writes.STORED_COLUMNS."""
    (row_id, uid, order_json, sequence_number, nonce, run_id, state, revision, stamps,
     tombstones, header_stamp, versions) = row[:len(writes.STORED_COLUMNS)]
    return StoredOrder(id=row_id, uid=uid, order=_loads(order_json),
                       sequence_number=sequence_number, nonce=nonce, run_id=run_id,
                       state=state, revision=revision, stamps=_loads(stamps),
                       tombstones=_loads(tombstones), header_stamp=header_stamp,
                       versions=_loads(versions))


def load_order(connection, key, uid):
    row = writes.LOAD_ORDER.run(connection, {**_key_values(key), "uid": uid}).fetchone()
    return None if row is None else _stored(row)


def load_order_by_id(connection, order_id):
    """(key, StoredOrder) of the row `order_id`, or None."""
    row = connection.execute(select(*_STORED, SyncOrder.dbname, SyncOrder.multi_session_id)
                             .where(SyncOrder.id == order_id)).first()
    if row is None:
        return None
    return MultiSessionKey(row.dbname, row.multi_session_id), _stored(row)


def draft_orders(connection, key, run_id, uid=None):
    query = select(*_STORED).where(_where(SyncOrder, key), SyncOrder.state == DRAFT,
                                   SyncOrder.run_id == run_id)
    if uid is not None:
        query = query.where(SyncOrder.uid == uid)
    rows = connection.execute(query.order_by(SyncOrder.sequence_number, SyncOrder.id))
    return [_stored(row) for row in rows]


def write(connection, key, order=None, order_counter=None, counting=None):
    """Store what an update changed: `order` (inserted when it has no id yet, else saved),
    the multi-session's `order_counter` (None: unchanged), and with `counting` (a till's
    pos_id, or EVERY_TILL) one more message for that till or every till of the
    multi-session. Returns [(pos_id, its new message id)] of the tills counted, in pos_id
    order (none when not counting). One statement on PostgreSQL."""
    values = _key_values(key)
    if order is not None:
        values.update(_columns(connection, order), row_id=order.id, uid=order.uid)
    if order_counter is not None:
        values["order_id"] = order_counter
    if counting is not None and counting is not EVERY_TILL:
        values["pos_id"] = counting
    counted = []
    for statement, returns_counts in writes.statements(
            connection.dialect.name, None if order is None else order.id is None,
            order_counter is not None, counting):
        cursor = statement.run(connection, values)
        if returns_counts:
            counted = cursor.fetchall()
    return sorted(counted)


def _columns(connection, order: StoredOrder):
    updated_at = utc_now()
    to_driver = bind_processor(SyncOrder.updated_at.type, connection.dialect)
    return {"order_json": _dumps(order.order),
            "sequence_number": order.sequence_number, "nonce": order.nonce,
            "run_id": order.run_id, "state": order.state, "revision_id": order.revision,
            "line_stamps": _dumps(order.stamps), "tombstones": _dumps(order.tombstones),
            "header_stamp": order.header_stamp, "versions": _dumps(order.versions),
            "updated_at": updated_at if to_driver is None else to_driver(updated_at)}


def next_message_ids(connection, key, pos_id=None):
    """Count one more message for every till of the multi-session (or only `pos_id`); return
    [(pos_id, its new message id)] in pos_id order (one UPDATE ... RETURNING)."""
    return write(connection, key, counting=EVERY_TILL if pos_id is None else pos_id)


def register_pos(connection, key, pos_id, user_id, refresh_user=False, known=None):
    """Add the till to the multi-session if missing (its message counter starts at 0); with
    `refresh_user`, record `user_id` as its user either way. `known`: (registered, its user)
    when the caller read them already (lock_multi_session with `pos_id`)."""
    if known is None:
        row = connection.execute(select(SyncPos.user_id).where(
            _where(SyncPos, key), SyncPos.pos_id == pos_id)).first()
        known = (row is not None, None if row is None else row.user_id)
    registered, known_user = known
    if not registered:
        insert_or_ignore(connection, SyncPos.__table__,
                         {"dbname": key.dbname, "multi_session_id": key.multi_session_id,
                          "pos_id": pos_id, "user_id": user_id, "message_id": 0},
                         ["dbname", "multi_session_id", "pos_id"])
    elif refresh_user and user_id is not None and known_user != user_id:
        connection.execute(update(SyncPos).where(_where(SyncPos, key), SyncPos.pos_id == pos_id)
                           .values(user_id=user_id))


def _key_values(key):
    return {"dbname": key.dbname, "multi_session_id": key.multi_session_id}


def unpaid_orders(connection):
    rows = connection.execute(select(*_STORED, SyncOrder.dbname, SyncOrder.multi_session_id,
                                     SyncOrder.updated_at)
                              .where(SyncOrder.state == UNPAID)
                              .order_by(SyncOrder.updated_at.desc(), SyncOrder.id))
    return [(MultiSessionKey(row.dbname, row.multi_session_id), _stored(row), row.updated_at)
            for row in rows]
