"""The tail's reads of the bus on PostgreSQL, on a connection of their own.

Each wake-up makes one read of what is new on the bus in every process (tail.py), one read at a
time (the tail's read lock), and every poller of the process waits for it. Through the pool, a
read cost ~160 µs of the worker's CPU for a ~50 µs query: the checkout, the isolation level set
and reset, SQLAlchemy's execution and rows. Here the process keeps one psycopg connection for
these reads, in autocommit, with the statements prepared. One that fails is closed and the read
tried once more on a new one (a server restart or a migration costs no poll). A forked
process (gunicorn's workers) never uses its parent's connection. SQLite reads through the pool.
"""
import os
import threading

import psycopg

from .models import BusMessage
from .uninterrupted import driver_uninterrupted

_AFTER = (f"SELECT id, channel, message FROM {BusMessage.__tablename__} "
          f"WHERE id > %s ORDER BY id LIMIT %s")
_HIGH = f"SELECT coalesce(max(id), 0) FROM {BusMessage.__tablename__}"

_readers = {}  # (database URL, process id) -> TailReader
_registry_lock = threading.Lock()


class TailReader:
    def __init__(self, conninfo):
        self.conninfo = conninfo
        self._connection = None

    def after(self, after, limit):
        """[(id, channel, message)] with id > after, in id order, at most `limit`."""
        return self._run(_AFTER, (after, limit)).fetchall()

    def high(self):
        """The largest id on the bus (0 if none)."""
        return self._run(_HIGH, ()).fetchone()[0]

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


def reader_for(engine, key):
    """This process's TailReader of the PostgreSQL database of `engine` (`key`: its URL as
    text, wakeup.engine_key)."""
    slot = (key, os.getpid())
    reader = _readers.get(slot)
    if reader is not None:
        return reader
    with _registry_lock:
        if slot not in _readers:
            _readers[slot] = TailReader(engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False))
        return _readers[slot]
