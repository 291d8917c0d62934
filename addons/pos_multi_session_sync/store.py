"""Reading and writing the sync tables. Every function that changes a multi-session's rows
expects the caller to hold that multi-session's lock (`lock_multi_session`) in its transaction:
that is what serializes concurrent updates across worker processes."""
import json
from dataclasses import dataclass

from sqlalchemy import and_, insert, select, update

from core.models import utc_now

from .models import DRAFT, UNPAID, SyncMultiSession, SyncOrder, SyncPos
from .wire import order_to_wire


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


def _insert_ignore(connection, table, values, index_elements):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    connection.execute(dialect_insert(table).values(**values)
                       .on_conflict_do_nothing(index_elements=index_elements))


def lock_multi_session(connection, key):
    """Create the multi-session's row if missing and lock it until the transaction ends;
    return it (order_id, run_id).

    On SQLite the INSERT ... ON CONFLICT DO NOTHING comes first: that first write takes the
    database's write lock before any read, so the transaction never has to upgrade a read
    lock (SQLITE_BUSY in WAL mode), and FOR UPDATE is ignored. On PostgreSQL the SELECT ...
    FOR UPDATE waits for any other holder of the row; the INSERT is tried only when the row
    is missing (each attempt would otherwise use up a value of the id sequence)."""
    locked = select(SyncMultiSession.order_id, SyncMultiSession.run_id).where(
        _where(SyncMultiSession, key)).with_for_update()
    if connection.dialect.name == "postgresql":
        row = connection.execute(locked).first()
        if row is not None:
            return row
    _insert_ignore(connection, SyncMultiSession.__table__,
                   {"dbname": key.dbname, "multi_session_id": key.multi_session_id,
                    "order_id": 0, "run_id": 1}, ["dbname", "multi_session_id"])
    return connection.execute(locked).one()


def prepare_new_session(connection, key, run_id):
    """A new run: draft orders of older runs become unpaid (kept for a manager) and order
    numbers start again from 1."""
    connection.execute(update(SyncOrder).where(
        _where(SyncOrder, key), SyncOrder.state == DRAFT, SyncOrder.run_id < run_id
    ).values(state=UNPAID))
    connection.execute(update(SyncMultiSession).where(_where(SyncMultiSession, key))
                       .values(run_id=run_id, order_id=0))


def set_order_counter(connection, key, order_id):
    connection.execute(update(SyncMultiSession).where(_where(SyncMultiSession, key))
                       .values(order_id=order_id))


def _stored(row):
    return StoredOrder(id=row.id, uid=row.uid, order=json.loads(row.order_json),
                       sequence_number=row.sequence_number, nonce=row.nonce, run_id=row.run_id,
                       state=row.state, revision=row.revision_id,
                       stamps=json.loads(row.line_stamps), tombstones=json.loads(row.tombstones),
                       header_stamp=row.header_stamp, versions=json.loads(row.versions))


def load_order(connection, key, uid):
    row = connection.execute(select(SyncOrder).where(_where(SyncOrder, key),
                                                     SyncOrder.uid == uid)).first()
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
    return {"order_json": json.dumps(order.order, ensure_ascii=False, allow_nan=False),
            "sequence_number": order.sequence_number, "nonce": order.nonce,
            "run_id": order.run_id, "state": order.state, "revision_id": order.revision,
            "line_stamps": json.dumps(order.stamps, allow_nan=False),
            "tombstones": json.dumps(order.tombstones, allow_nan=False),
            "header_stamp": order.header_stamp,
            "versions": json.dumps(order.versions, allow_nan=False)}


def insert_order(connection, key, order: StoredOrder):
    """Insert the order and set its `id`."""
    result = connection.execute(insert(SyncOrder).values(
        dbname=key.dbname, multi_session_id=key.multi_session_id, uid=order.uid,
        updated_at=utc_now(), **_columns(order)))
    order.id = result.inserted_primary_key[0]


def save_order(connection, order: StoredOrder):
    connection.execute(update(SyncOrder).where(SyncOrder.id == order.id)
                       .values(updated_at=utc_now(), **_columns(order)))


def register_pos(connection, key, pos_id, user_id, refresh_user=False):
    """Add the till to the multi-session if missing (its message counter starts at 0); with
    `refresh_user`, record `user_id` as its user either way."""
    where = and_(_where(SyncPos, key), SyncPos.pos_id == pos_id)
    known = connection.execute(select(SyncPos.user_id).where(where)).first()
    if known is None:
        _insert_ignore(connection, SyncPos.__table__,
                       {"dbname": key.dbname, "multi_session_id": key.multi_session_id,
                        "pos_id": pos_id, "user_id": user_id, "message_id": 0},
                       ["dbname", "multi_session_id", "pos_id"])
    elif refresh_user and user_id is not None and known.user_id != user_id:
        connection.execute(update(SyncPos).where(where).values(user_id=user_id))


def next_message_ids(connection, key, pos_id=None):
    """Count one more message for every till of the multi-session (or only `pos_id`); return
    [(pos_id, its new message id)]."""
    condition = _where(SyncPos, key)
    if pos_id is not None:
        condition = and_(condition, SyncPos.pos_id == pos_id)
    connection.execute(update(SyncPos).where(condition)
                       .values(message_id=SyncPos.message_id + 1))
    return [tuple(row) for row in connection.execute(
        select(SyncPos.pos_id, SyncPos.message_id).where(condition).order_by(SyncPos.pos_id))]


def unpaid_orders(connection):
    rows = connection.execute(select(SyncOrder).where(SyncOrder.state == UNPAID)
                              .order_by(SyncOrder.updated_at.desc(), SyncOrder.id))
    return [(MultiSessionKey(row.dbname, row.multi_session_id), _stored(row), row.updated_at)
            for row in rows]
