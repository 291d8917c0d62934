"""The tail's reads of the bus: what is new on every channel, and the largest id.

Each wake-up makes one read of what is new on the bus in every process (tail.py), one read at a
time (the tail's read lock), and every poller of the process waits for it. On PostgreSQL a read
through the pool cost ~160 µs of the worker's CPU for a ~50 µs query: the checkout, the
isolation level set and reset, SQLAlchemy's execution and rows. There the process keeps one
psycopg connection for these reads (`TailReader`), in autocommit, with the statements compiled
once and prepared. One that fails is closed and the read tried once more on a new one (a server
restart or a migration costs no poll). A forked process (gunicorn's workers) never uses its
parent's connection. SQLite reads through the pool.
"""
import functools
import os
import threading

import psycopg
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from core.db import autocommit_read

from . import wakeup
from .models import BusMessage
from .uninterrupted import driver_uninterrupted

_readers = {}  # (database URL, process id) -> TailReader
_registry_lock = threading.Lock()


@functools.cache
def _statements():
    """(messages with id > :after, at most :limit; the largest id), built once."""
    return (select(BusMessage.id, BusMessage.channel, BusMessage.message)
            .where(BusMessage.id > bindparam("after"))
            .order_by(BusMessage.id).limit(bindparam("limit")),
            select(func.coalesce(func.max(BusMessage.id), 0)))


@functools.cache
def _postgresql_texts():
    """The statements as psycopg runs them (named parameters, the 0 written in)."""
    after, high = _statements()
    dialect = PGDialect_psycopg()
    return (str(after.compile(dialect=dialect)),
            str(high.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))


def tail_reads(engine):
    """(read_after(after, limit) -> [(id, channel, message)] in id order, read_high() -> the
    largest id or 0) for the tail of `engine`'s bus."""
    if engine.dialect.name == "postgresql":
        reader = reader_for(engine)
        return reader.after, reader.high
    return functools.partial(_pooled_after, engine), functools.partial(_pooled_high, engine)


def _pooled_after(engine, after, limit):
    with autocommit_read(engine) as connection:
        return connection.execute(_statements()[0], {"after": after, "limit": limit}).all()


def _pooled_high(engine):
    with autocommit_read(engine) as connection:
        return connection.execute(_statements()[1]).scalar()


class TailReader:
    def __init__(self, conninfo):
        self.conninfo = conninfo
        self._connection = None

    def after(self, after, limit):
        return self._run(_postgresql_texts()[0], {"after": after, "limit": limit}).fetchall()

    def high(self):
        return self._run(_postgresql_texts()[1], None).fetchone()[0]

    def close(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _run(self, statement, values):
        kept = self._connection is not None and not self._connection.closed
        try:
            return self._execute(statement, values)
        except psycopg.Error:
            if not kept:
                raise
        # The kept connection was lost (a server restart, an idle timeout) or its prepared
        # statement no longer fits the table (a migration changed a column): once more, anew.
        return self._execute(statement, values)

    def _execute(self, statement, values):
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.conninfo, autocommit=True)
        try:
            # Every poller of the process waits for this read: it keeps the worker
            # (uninterrupted.py) rather than coming back a chunk per turn of its queue.
            with driver_uninterrupted(self._connection):
                return self._connection.execute(statement, values, prepare=True)
        except psycopg.Error:
            self.close()  # a broken or dropped connection: the next read makes a new one
            raise


def reader_for(engine):
    """This process's TailReader of the PostgreSQL database of `engine`."""
    slot = (wakeup.engine_key(engine), os.getpid())
    reader = _readers.get(slot)
    if reader is not None:
        return reader
    with _registry_lock:
        if slot not in _readers:
            _readers[slot] = TailReader(engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False))
        return _readers[slot]
