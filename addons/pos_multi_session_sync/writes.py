"""The SQL of every update (store.py runs it): the lock that reads the order with it, and the
writes of an update in one statement on PostgreSQL.

Reading with the lock: the lock's SELECT ... FOR UPDATE waits for the update before it to
commit, but PostgreSQL (read committed) then returns the other tables' rows as its snapshot
taken *before* that commit: an order read in the same statement may be stale. Every write of
an order therefore also writes the multi-session's row (its counter, or the same value again),
and the lock compares that row's version (`xmin`) as locked with the one its snapshot saw:
equal, nobody wrote an order since the snapshot and the order read is the last one; else
`store.load_order` reads it again in a statement of its own. SQLite has one writer at a time:
what the lock reads is always the last state.

Writing: the order (INSERT or UPDATE), the multi-session's row and the tills' message counters
are one statement on PostgreSQL (data-modifying WITH queries), several on SQLite."""
import functools

from .models import SyncMultiSession, SyncOrder, SyncPos
from .sql import Sql

EVERY_TILL = "every till"

MULTI_SESSION, POS, ORDER = (model.__tablename__ for model in (SyncMultiSession, SyncPos,
                                                                 SyncOrder))
# What store.StoredOrder is read from, in this order.
STORED_COLUMNS = ("id", "uid", "order_json", "sequence_number", "nonce", "run_id", "state",
                  "revision_id", "line_stamps", "tombstones", "header_stamp", "versions")
ORDER_VALUES = ("order_json", "sequence_number", "nonce", "run_id", "state", "revision_id",
                "line_stamps", "tombstones", "header_stamp", "versions", "updated_at")
OF_THE_MULTI_SESSION = "dbname = :dbname AND multi_session_id = :multi_session_id"


def _lock(fresh, for_update):
    # With no pos_id or uid (NULL), a join finds nothing: its columns are NULL.
    return f"""
        SELECT ms.order_id, ms.run_id, pos.id, pos.user_id, {fresh},
            {", ".join(f"o.{name}" for name in STORED_COLUMNS)}
        FROM {MULTI_SESSION} AS ms
        LEFT OUTER JOIN {POS} AS pos ON pos.dbname = ms.dbname
            AND pos.multi_session_id = ms.multi_session_id AND pos.pos_id = :pos_id
        LEFT OUTER JOIN {ORDER} AS o ON o.dbname = ms.dbname
            AND o.multi_session_id = ms.multi_session_id AND o.uid = :uid
        WHERE ms.dbname = :dbname AND ms.multi_session_id = :multi_session_id {for_update}"""


LOCK = Sql(_lock("1", ""), postgresql=_lock(
    f"ms.xmin = (SELECT seen.xmin FROM {MULTI_SESSION} AS seen WHERE seen.id = ms.id)",
    "FOR UPDATE OF ms"))
LOAD_ORDER = Sql(f"SELECT {', '.join(STORED_COLUMNS)} FROM {ORDER} "
                 f"WHERE {OF_THE_MULTI_SESSION} AND uid = :uid")

_INSERT_ORDER = (f"INSERT INTO {ORDER} (dbname, multi_session_id, uid, {', '.join(ORDER_VALUES)})"
                 f" VALUES (:dbname, :multi_session_id, :uid, "
                 f"{', '.join(f':{name}' for name in ORDER_VALUES)})")
_SAVE_ORDER = (f"UPDATE {ORDER} SET {', '.join(f'{name} = :{name}' for name in ORDER_VALUES)}"
               f" WHERE id = :row_id")
_SET_COUNTER = f"UPDATE {MULTI_SESSION} SET order_id = :order_id WHERE {OF_THE_MULTI_SESSION}"
_TOUCH = f"UPDATE {MULTI_SESSION} SET order_id = order_id WHERE {OF_THE_MULTI_SESSION}"
_COUNT = f"UPDATE {POS} SET message_id = message_id + 1 WHERE {OF_THE_MULTI_SESSION}"
_COUNTED = " RETURNING pos_id, message_id"


def statements(dialect_name, inserting, order_counter, counting):
    """[(Sql, whether it returns the counted tills)] for `store.write`: `inserting` None (no
    order), True (an INSERT) or False (an UPDATE); `order_counter` whether the counter moves;
    `counting` None, EVERY_TILL or a pos_id."""
    kind = None if counting is None else "every" if counting is EVERY_TILL else "one"
    return _statements(dialect_name, inserting, order_counter, kind)


@functools.cache
def _statements(dialect_name, inserting, order_counter, counting):
    writes = _writes(dialect_name, inserting, order_counter)
    count = _count(counting)
    if dialect_name != "postgresql":
        return [(Sql(text), False) for text in writes] + ([(Sql(count), True)] if count else [])
    if count is None and not writes:
        return []
    return [(_as_one(writes, count), count is not None)]


def _writes(dialect_name, inserting, order_counter):
    writes = [] if inserting is None else [_INSERT_ORDER if inserting else _SAVE_ORDER]
    if order_counter:
        writes.append(_SET_COUNTER)
    elif writes and dialect_name == "postgresql":
        writes.append(_TOUCH)  # the version the lock compares (module docstring)
    return writes


def _count(counting):
    if counting is None:
        return None
    return _COUNT + (" AND pos_id = :pos_id" if counting == "one" else "") + _COUNTED


def _as_one(writes, count):
    """The writes, then the count (else the last write), as one statement: the first ones
    as data-modifying WITH queries, which PostgreSQL runs whether or not anything reads them."""
    if count is None:
        *writes, count = writes
    if not writes:
        return Sql(count)
    queries = ", ".join(f"write_{index} AS ({text})" for index, text in enumerate(writes))
    return Sql(f"WITH {queries} {count}")
