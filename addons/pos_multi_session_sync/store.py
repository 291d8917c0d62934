"""Reading and writing the sync tables. Every function that changes a multi-session's rows
expects the caller to hold that multi-session's lock (`lock_multi_session`) in its transaction:
that is what serializes concurrent updates across worker processes."""
import functools
import json
import re
from dataclasses import dataclass

import orjson
from sqlalchemy import and_, bindparam, insert, select, update

from core.db import WRITE_LOCK, dialect_insert, insert_or_ignore
from core.models import utc_now

from .models import DRAFT, UNPAID, SyncMultiSession, SyncOrder, SyncPos
from .wire import order_to_wire

_LONG_DIGITS = re.compile(r"\d{19}")


@dataclass(frozen=True)
class MultiSessionKey:
    """A multi-session of the main instance's database `dbname`."""
    dbname: str
    multi_session_id: int


@dataclass
class StoredOrder:
    id: int
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


def _where(model, key):
    return and_(model.dbname == key.dbname, model.multi_session_id == key.multi_session_id)


def lock_multi_session(connection, key, pos_id=None):
    """Create the multi-session's row if missing and lock it until the transaction ends;
    return it (order_id, run_id). With `pos_id`, the row also says, read in the same round
    trip, whether that till is registered (`pos_row`, None if not) and its `pos_user_id`.

    On PostgreSQL the SELECT ... FOR UPDATE OF the multi-session waits for any other holder of
    the row; the INSERT is tried only when the row is missing (each attempt would otherwise use
    up a value of the id sequence). SQLite ignores FOR UPDATE: a transaction begun by
    `engine.begin()` (BEGIN IMMEDIATE) holds the database's write lock already, and reads
    first too; in another (deferred) transaction the INSERT ... ON CONFLICT DO NOTHING comes
    first, so that its first write takes the write lock before any read and the transaction
    never has to upgrade a read lock (SQLITE_BUSY in WAL mode)."""
    locked = _locking_query(pos_id is not None)
    values = {"dbname": key.dbname, "multi_session_id": key.multi_session_id}
    if pos_id is not None:
        values["pos_id"] = pos_id
    if (connection.dialect.name == "postgresql"
            or connection.get_execution_options().get(WRITE_LOCK)):
        row = connection.execute(locked, values).first()
        if row is not None:
            return row
    connection.execute(_creating_query(connection.dialect.name),
                       {"dbname": key.dbname, "multi_session_id": key.multi_session_id,
                        "order_id": 0, "run_id": 1})
    return connection.execute(locked, values).one()


@functools.cache
def _creating_query(dialect_name):
    """INSERT the multi-session's row unless it exists (built once, per dialect)."""
    return dialect_insert(dialect_name)(SyncMultiSession.__table__).on_conflict_do_nothing(
        index_elements=["dbname", "multi_session_id"])


@functools.cache
def _locking_query(with_pos):
    """Built once: constructing a statement costs more CPU than running it."""
    where = and_(SyncMultiSession.dbname == bindparam("dbname"),
                 SyncMultiSession.multi_session_id == bindparam("multi_session_id"))
    if not with_pos:
        query = select(SyncMultiSession.order_id, SyncMultiSession.run_id)
    else:
        query = select(SyncMultiSession.order_id, SyncMultiSession.run_id,
                       SyncPos.id.label("pos_row"), SyncPos.user_id.label("pos_user_id")
                       ).select_from(SyncMultiSession).outerjoin(SyncPos, and_(
                           SyncPos.dbname == SyncMultiSession.dbname,
                           SyncPos.multi_session_id == SyncMultiSession.multi_session_id,
                           SyncPos.pos_id == bindparam("pos_id")))
    return query.where(where).with_for_update(of=SyncMultiSession)


def prepare_new_session(connection, key, run_id):
    """A new run: draft orders of older runs become unpaid (kept for a manager) and order
    numbers start again from 1."""
    connection.execute(update(SyncOrder).where(
        _where(SyncOrder, key), SyncOrder.state == DRAFT, SyncOrder.run_id < run_id
    ).values(state=UNPAID))
    connection.execute(update(SyncMultiSession).where(_where(SyncMultiSession, key))
                       .values(run_id=run_id, order_id=0))


def set_order_counter(connection, key, order_id):
    connection.execute(_statements().set_order_counter,
                       {**_key_values(key), "order_id": order_id})


def _loads(text):
    """JSON the columns hold: orjson (several times faster), or the standard library where a
    run of 19 digits or more may be an integer beyond 64 bits (orjson would read it as a float,
    losing digits a till sent)."""
    if _LONG_DIGITS.search(text):
        return json.loads(text)
    return orjson.loads(text)


def _dumps(value):
    """Compact JSON; the standard library for what orjson refuses (integers beyond 64 bits).
    Non-finite numbers never get here: request bodies refuse them."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _stored(row):
    return StoredOrder(id=row.id, uid=row.uid, order=_loads(row.order_json),
                       sequence_number=row.sequence_number, nonce=row.nonce, run_id=row.run_id,
                       state=row.state, revision=row.revision_id,
                       stamps=_loads(row.line_stamps), tombstones=_loads(row.tombstones),
                       header_stamp=row.header_stamp, versions=_loads(row.versions))


def load_order(connection, key, uid):
    row = connection.execute(_statements().load_order, {**_key_values(key), "b_uid": uid}).first()
    return None if row is None else _stored(row)


def load_order_by_id(connection, order_id):
    """(key, StoredOrder) of the row `order_id`, or None."""
    row = connection.execute(select(SyncOrder).where(SyncOrder.id == order_id)).first()
    if row is None:
        return None
    return MultiSessionKey(row.dbname, row.multi_session_id), _stored(row)


def draft_orders(connection, key, run_id, uid=None):
    query = select(SyncOrder).where(_where(SyncOrder, key), SyncOrder.state == DRAFT,
                                    SyncOrder.run_id == run_id)
    if uid is not None:
        query = query.where(SyncOrder.uid == uid)
    rows = connection.execute(query.order_by(SyncOrder.sequence_number, SyncOrder.id))
    return [_stored(row) for row in rows]


def _columns(order: StoredOrder):
    return {"order_json": _dumps(order.order),
            "sequence_number": order.sequence_number, "nonce": order.nonce,
            "run_id": order.run_id, "state": order.state, "revision_id": order.revision,
            "line_stamps": _dumps(order.stamps), "tombstones": _dumps(order.tombstones),
            "header_stamp": order.header_stamp, "versions": _dumps(order.versions)}


def insert_order(connection, key, order: StoredOrder):
    """Insert the order and set its `id`."""
    result = connection.execute(insert(SyncOrder).values(
        dbname=key.dbname, multi_session_id=key.multi_session_id, uid=order.uid,
        updated_at=utc_now(), **_columns(order)))
    order.id = result.inserted_primary_key[0]


def save_order(connection, order: StoredOrder):
    connection.execute(_statements().save_order,
                       {"b_row_id": order.id, "updated_at": utc_now(), **_columns(order)})


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


def next_message_ids(connection, key, pos_id=None):
    """Count one more message for every till of the multi-session (or only `pos_id`); return
    [(pos_id, its new message id)] in pos_id order (one UPDATE ... RETURNING)."""
    if pos_id is None:
        rows = connection.execute(_statements().count_message_for_all, _key_values(key))
    else:
        rows = connection.execute(_statements().count_message_for_one,
                                  {**_key_values(key), "b_pos_id": pos_id})
    return sorted(tuple(row) for row in rows)


def _key_values(key):
    return {"b_dbname": key.dbname, "b_multi_session_id": key.multi_session_id}


def _key_condition(model):
    return and_(model.dbname == bindparam("b_dbname"),
                model.multi_session_id == bindparam("b_multi_session_id"))


@dataclass(frozen=True)
class _Statements:
    load_order: object
    save_order: object
    set_order_counter: object
    count_message_for_all: object
    count_message_for_one: object


@functools.cache
def _statements():
    """The statements of every update, built once: building a statement costs SQLAlchemy
    several times the CPU of running it (values come as b_* parameters; an UPDATE's other
    parameters name the columns it sets)."""
    counted = (update(SyncPos).values(message_id=SyncPos.message_id + 1)
               .returning(SyncPos.pos_id, SyncPos.message_id))
    return _Statements(
        load_order=select(SyncOrder).where(_key_condition(SyncOrder),
                                           SyncOrder.uid == bindparam("b_uid")),
        save_order=update(SyncOrder).where(SyncOrder.id == bindparam("b_row_id")),
        set_order_counter=update(SyncMultiSession).where(_key_condition(SyncMultiSession)),
        count_message_for_all=counted.where(_key_condition(SyncPos)),
        count_message_for_one=counted.where(_key_condition(SyncPos),
                                            SyncPos.pos_id == bindparam("b_pos_id")))


def unpaid_orders(connection):
    rows = connection.execute(select(SyncOrder).where(SyncOrder.state == UNPAID)
                              .order_by(SyncOrder.updated_at.desc(), SyncOrder.id))
    return [(MultiSessionKey(row.dbname, row.multi_session_id), _stored(row), row.updated_at)
            for row in rows]
