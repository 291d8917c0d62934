"""The database: URL resolution, engine creation and the declarative base every model uses."""
import contextlib
import functools
import os
import threading
import time
from pathlib import Path

from sqlalchemy import MetaData, bindparam, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    OperationalError,
)
from sqlalchemy.orm import DeclarativeBase

from core.errors import CoreError

DEFAULT_URL = "sqlite:///core.db"
POOL_SIZE, POOL_OVERFLOW = 20, 10  # PostgreSQL, per process
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT = 30  # seconds a writer waits for another process's write lock

# Stable constraint names, so that migrations can drop what they created on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Base class for the models of the kernel and of every addon."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def resolve_url(url=None):
    """`--db`, else `CORE_DB`, else a SQLite file in the current folder; PostgreSQL uses psycopg 3."""
    url = url or os.environ.get("CORE_DB") or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_name(url):
    """The name POS channels use: the SQLite file's stem or the PostgreSQL database name."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database).stem if parsed.database else "memory"
    return parsed.database


def make_engine(url):
    url = resolve_url(url)
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise CoreError(f"{url!r} is not a database URL; use sqlite:///file.db or "
                        "postgresql://user@host/db") from None
    if backend not in SUPPORTED_BACKENDS:
        raise CoreError(f"unsupported database {backend!r}; use SQLite or PostgreSQL")
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        _make_sqlite_transactional(engine)
        return engine
    # Connections kept open per process: tills' requests come in bursts (a message wakes them
    # all), and a connection opened past the pool for a burst is closed again on return, which
    # costs far more than the query. PostgreSQL's max_connections must exceed
    # workers x (POOL_SIZE + POOL_OVERFLOW).
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    _ping_idle_connections(engine)
    return engine


def autocommit_read(engine):
    """A connection for reads that need no transaction of their own (one SELECT, which sees
    one snapshot either way). On PostgreSQL it runs in autocommit: each read is one round
    trip, without a BEGIN before it and a ROLLBACK when the connection goes back to the pool
    (three round trips otherwise, on paths every till calls several times a second)."""
    connection = engine.connect()
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection


def _ping_idle_connections(engine):
    """SQLAlchemy's `pool_pre_ping`, but only for a connection idle more than IDLE_PING_SECONDS.

    A ping is one more round trip on every checkout: on the bus's hot path (a poll is one
    short read) it cost about as much as the read itself. A connection that worked a moment
    ago is almost surely alive; one idle long enough for PostgreSQL to restart, a firewall to
    drop it or an idle timeout to close it is pinged, and replaced if the ping fails (the pool
    then tries another connection). If the server restarts under load, the requests running
    at that moment fail as they would with a ping, and SQLAlchemy then invalidates every older
    connection of the pool, so the next checkouts reconnect."""

    @event.listens_for(engine, "checkin")
    def note_idle_since(_dbapi_connection, record):
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
            return  # new (just connected), or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool discards it and tries another
            raise DisconnectionError(f"idle connection failed its ping: {error}") from error
        if alive is False:
            raise DisconnectionError("idle connection failed its ping")


IDLE_PING_SECONDS = 10.0
_CHECKED_IN = "core_checked_in_at"


def _make_sqlite_transactional(engine):
    """pysqlite commits before DDL by default; take over BEGIN so a failed migration rolls back
    whole (the SQLAlchemy documentation's recipe), and enforce foreign keys. Write-ahead logging
    lets readers (long polls, the admin) proceed while a till's push writes, and costs fewer
    disk syncs per commit; commits stay durable (synchronous=FULL)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute("PRAGMA synchronous = FULL")

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql(
            "BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE_LOCK) else "BEGIN")

    engine.begin = functools.partial(_begin_writing, engine)


# `engine.begin()` is how the code opens a write transaction. On SQLite it starts with
# BEGIN IMMEDIATE: the write lock is taken first, waiting up to the busy timeout for another
# process's writer. A deferred BEGIN that reads and then writes would instead fail at once with
# "database is locked" when another process wrote meanwhile (SQLite cannot wait there without
# risking a deadlock). Reads (`engine.connect()`) keep the deferred BEGIN and never wait.
WRITE_LOCK = "core_sqlite_write_lock"


_writers_lock = threading.Lock()
_writers = {}  # SQLite database URL -> the RLock its writers of this process take in turn


def sqlite_writer(engine):
    """The lock every write transaction of this process on `engine`'s SQLite file holds from
    its BEGIN IMMEDIATE to its end. Waiting for it is cooperative under gevent, where waiting
    in SQLite's busy handler would stop the whole process: a transaction that stays open across
    a greenlet switch (a group commit, addons/pos_longpolling/group_commit.py) would then never
    end. Created when first asked for, after gevent patched `threading`."""
    key = str(engine.url)
    with _writers_lock:
        writer = _writers.get(key)
        if writer is None:
            writer = _writers[key] = threading.RLock()
        return writer


@contextlib.contextmanager
def _begin_writing(engine):
    with sqlite_writer(engine), engine.connect() as connection:
        connection.execution_options(**{WRITE_LOCK: True})
        with connection.begin():
            yield connection


@contextlib.contextmanager
def migrating(engine):
    """A write transaction for schema changes. On SQLite, foreign keys are not enforced until
    it ends: Alembic's batch mode alters a table by copying it, dropping it and renaming the
    copy, and dropping a table that others reference with ON DELETE CASCADE would delete their
    rows (every order line, when orders get a column). They are checked before the commit
    (`PRAGMA foreign_key_check`), as Alembic's docs advise. The pragma only takes effect
    outside a transaction, hence on the raw connection before BEGIN."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            connection.execution_options(**{WRITE_LOCK: True})
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(3)
                if broken:
                    raise IntegrityError("PRAGMA foreign_key_check", None, Exception(
                        f"the migration leaves rows whose foreign keys point nowhere: {broken}"))
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


class PlainSavepoint:
    """A SAVEPOINT sent as plain SQL, ended by `commit()` (RELEASE) or `rollback()` (ROLLBACK
    TO, then RELEASE), as `Connection.begin_nested()`'s transaction is: that one costs five
    times more Python, on hot paths that take one per batch. Nothing else of the connection's
    transaction state changes (SQLAlchemy does not know of it)."""

    def __init__(self, connection, name="core_batch"):
        self.connection, self.name = connection, name
        connection.exec_driver_sql(f"SAVEPOINT {name}")

    def commit(self):
        self.connection.exec_driver_sql(f"RELEASE SAVEPOINT {self.name}")

    def rollback(self):
        self.connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self.name}")
        self.connection.exec_driver_sql(f"RELEASE SAVEPOINT {self.name}")


class BulkInsert:
    """An INSERT of many rows of `table` (dicts with the columns `keys`, every one given), sent
    as one executemany (or, returning columns, as multi-row INSERTs: `returning`): compiled
    once per dialect, each value through its column type's own bind processor. SQLAlchemy's
    execute builds every row's parameters in Python first, which on a hot path cost more than
    the database's work."""

    RETURNING_PAGE = 100  # rows per multi-row INSERT: a bounded number of statements kept

    def __init__(self, table, keys):
        self.table, self.keys = table, tuple(keys)
        # (dialect, driver, paramstyle, rows or None, returning) -> (SQL, [(key, processor)] in
        # parameter order, parameter names or None if positional); a multi-row statement's
        # keys are (row index, column key)
        self._prepared = {}

    def __call__(self, connection, rows):
        if not rows:
            return
        sql, processors, names = self._prepare(connection.dialect)
        if names is None:
            params = [tuple([row[key] if process is None else process(row[key])
                             for key, process in processors]) for row in rows]
        else:
            params = [{key: row[key] if process is None else process(row[key])
                       for key, process in processors} for row in rows]
        connection.exec_driver_sql(sql, params)

    def returning(self, connection, rows, *columns):
        """Insert `rows` as multi-row INSERT ... VALUES (...), (...) RETURNING `columns`
        (names), RETURNING_PAGE rows a statement; the rows returned, in no promised order
        (SQLite's): return a key with them. SQLAlchemy's own (`insertmanyvalues`) builds each
        row's parameters in Python first, as its executemany does."""
        found = []
        for start in range(0, len(rows), self.RETURNING_PAGE):
            page = rows[start:start + self.RETURNING_PAGE]
            sql, processors, names = self._prepare(connection.dialect, len(page), columns)
            values = [page[index][key] if process is None else process(page[index][key])
                      for (index, key), process in processors]
            params = tuple(values) if names is None else dict(zip(names, values))
            found.extend(connection.exec_driver_sql(sql, params).all())
        return found

    def _prepare(self, dialect, count=None, returning=()):
        cache_key = (dialect.name, dialect.driver, dialect.paramstyle, count, returning)
        prepared = self._prepared.get(cache_key)
        if prepared is None:
            prepared = self._prepared[cache_key] = self._compiled(dialect, count, returning)
        return prepared

    def _processor(self, key, dialect):
        column = self.table.c[key if isinstance(key, str) else key[1]]
        return column.type.dialect_impl(dialect).bind_processor(dialect)

    def _compiled(self, dialect, count, returning):
        """The one-row form (`count` None: executemany's), or `count` rows' returning
        `returning`, as `_prepared` keeps them."""
        compiled, keys = self._statement(dialect, count, returning)
        order = compiled.positiontup if compiled.positional else list(keys)
        if sorted(order) != sorted(keys) or compiled.escaped_bind_names:
            raise ValueError(f"cannot bulk-insert {self.table.name} by {self.keys}")
        processors = [(keys[name], self._processor(keys[name], dialect)) for name in order]
        return str(compiled), processors, None if compiled.positional else order

    def _statement(self, dialect, count, returning):
        """(the compiled INSERT, {parameter name: column key, or (row index, column key)})."""
        if count is None:  # executemany's: no RETURNING of the ids (PostgreSQL's by default)
            return (self.table.insert().compile(dialect=dialect, column_keys=list(self.keys),
                                                for_executemany=True),
                    {key: key for key in self.keys})
        rows = [{key: bindparam(f"{key}__{index}", type_=self.table.c[key].type)
                 for key in self.keys} for index in range(count)]
        statement = self.table.insert().values(rows).returning(
            *[self.table.c[name] for name in returning])
        return statement.compile(dialect=dialect), {
            f"{key}__{index}": (index, key) for index in range(count) for key in self.keys}


def dialect_insert(dialect_name):
    """The INSERT construct of `dialect_name` (SQLite or PostgreSQL), which has ON CONFLICT."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def insert_or_ignore(connection, table, values, index_elements=None):
    """Insert a row unless one with the same key (or `index_elements`) exists, another
    worker's say: one statement, never an error, SQLite and PostgreSQL. Return whether it
    inserted."""
    statement = dialect_insert(connection.dialect.name)(table).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=index_elements)
    return connection.execute(statement.returning(*table.primary_key.columns)).first() is not None


def upsert(connection, table, key, values):
    """Insert a row or update it where `key` (a dict of primary-key values) already exists,
    in one statement, so concurrent saves cannot collide (SQLite and PostgreSQL)."""
    statement = dialect_insert(connection.dialect.name)(table).values(**key, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values))


# PostgreSQL error classes a retry may not meet: connection, transaction rollback (serialization,
# deadlock), insufficient resources, operator intervention.
TRANSIENT_SQLSTATE_CLASSES = {"08", "40", "53", "57"}


def is_transient(error):
    """Whether a database error says "try again later" (a lock held past the busy timeout, a
    lost connection, a serialization failure) rather than something about the data."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES
    message = str(error.orig).lower()
    return isinstance(error, OperationalError) and ("locked" in message or "busy" in message)
