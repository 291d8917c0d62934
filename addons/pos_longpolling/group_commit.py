"""Group commit on SQLite: the bus transactions of one process that arrive together commit as
one SQLite transaction, so one disk sync (`synchronous = FULL`) serves several shared-order
updates instead of one each.

    with bus_transaction(engine) as bus:   # BusTransaction's face: .connection, .send()
        bus.connection.execute(...)

Each member still runs alone in its own SAVEPOINT: one that fails is rolled back alone and
raises, the others go on. None leaves the `with` before the transaction holding its work has
committed (then its pollers are woken); a failed commit raises in every member of the batch.

The first member of a batch leads it: it waits for the process's SQLite writer lock (while the
previous batch commits), begins, does its own work, yields once so that the requests ready
meanwhile (under gevent: those read while the last commit waited for the disk) join and do
theirs, closes the batch and commits. Alone, a transaction costs what a `BusTransaction`
does, plus a SAVEPOINT and its RELEASE sent straight to SQLite and some 30 µs of
bookkeeping. (Committing in a thread of gevent's pool, so that the process would serve while
the disk syncs, cost more CPU per update than it saved: see bench/README.md.)

PostgreSQL keeps one `BusTransaction` per update: its workers are several processes, and its
server groups commits itself.
"""
import threading
import weakref
from contextlib import contextmanager

import gevent
from gevent import monkey

from core.db import WRITE_LOCK, sqlite_writer

from . import wakeup
from .bus import BusTransaction

_committers = weakref.WeakKeyDictionary()  # engine -> GroupCommit
_committers_lock = threading.Lock()


def bus_transaction(engine):
    """A `BusTransaction` on PostgreSQL; on SQLite, a member of this process's group commit."""
    if engine.dialect.name != "sqlite":
        return BusTransaction(engine)
    with _committers_lock:
        committer = _committers.get(engine)
        if committer is None:
            committer = _committers[engine] = GroupCommit(engine)
    return committer.transaction()


class _Member(BusTransaction):
    """What a member's `with` block gets: `send()` and the batch's connection."""

    def __init__(self, engine, connection):
        super().__init__(engine)
        self.connection = connection


class _Batch:
    def __init__(self):
        self.connection = None
        self.transaction = None
        self.begin_error = None  # the leader could not begin: every member raises it
        self.commit_error = None
        self.pending = 0  # members that joined and have not finished their work
        self.channels = set()  # channels of the messages its members stored
        self.opened = threading.Event()  # begun, or failed to
        self.done = threading.Event()  # committed, or failed to
        self.work_lock = threading.Lock()  # one member at a time on the connection
        self.worked = threading.Condition(threading.Lock())  # signalled as `pending` falls


class GroupCommit:
    def __init__(self, engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._filling = None  # the batch new members join, until its leader closes it
        self._writer = sqlite_writer(engine)
        # Under gevent the leader yields once before closing its batch (cheap there); with
        # threads the members join while the leader waits for the writer lock, and time.sleep(0)
        # would cost a system call per transaction.
        self._let_others_join = gevent.sleep if monkey.is_module_patched("time") else _no_wait

    @contextmanager
    def transaction(self):
        with self._lock:
            batch, leader = self._filling, self._filling is None
            if leader:
                batch = self._filling = _Batch()
            batch.pending += 1
        if leader:
            writer = self._begin(batch)
        batch.opened.wait()
        if batch.begin_error is not None:
            raise batch.begin_error
        failure = None
        try:
            with batch.work_lock:
                member = _Member(self.engine, batch.connection)
                # On the driver's connection: SQLAlchemy's begin_nested() builds and runs each
                # savepoint statement at several times the cost (members never nest).
                driver = batch.connection.connection.driver_connection
                driver.execute("SAVEPOINT group_member")
                try:
                    yield member
                    if member.outgoing:
                        member._store_outgoing()
                except BaseException:
                    driver.execute("ROLLBACK TO group_member")
                    raise
                finally:
                    driver.execute("RELEASE group_member")  # what is kept waits for the commit
                batch.channels |= member.channels
        except BaseException as error:
            failure = error
        finally:
            with batch.worked:
                batch.pending -= 1
                batch.worked.notify_all()
        if leader:
            self._commit(batch, writer)
        batch.done.wait()
        if failure is not None:
            raise failure
        if batch.commit_error is not None:
            raise batch.commit_error

    def _begin(self, batch):
        """Take the writer lock and begin (BEGIN IMMEDIATE); returns the lock, held."""
        writer = self._writer
        writer.acquire()
        try:
            connection = self.engine.connect()
            connection.execution_options(**{WRITE_LOCK: True})
            batch.transaction = connection.begin()
            batch.connection = connection
        except BaseException as error:
            with self._lock:
                self._filling = None
            writer.release()
            batch.begin_error = error
            batch.done.set()
            batch.opened.set()
            raise
        batch.opened.set()
        return writer

    def _commit(self, batch, writer):
        """Let the members that joined do their work, close the batch, commit it, wake."""
        try:
            self._let_others_join()  # the greenlets ready to join run up to their work
            with self._lock:
                self._filling = None
            with batch.worked:
                batch.worked.wait_for(lambda: batch.pending == 0)
            try:
                batch.transaction.commit()
            except BaseException as error:
                batch.commit_error = error
                # Its SQLite connection may still be inside the transaction (SQLAlchemy does
                # not roll back a connection it believes it has ended): discard it.
                batch.connection.invalidate()
        finally:
            try:
                batch.connection.close()
            finally:
                writer.release()
                batch.done.set()
        if batch.commit_error is None and batch.channels:
            wakeup.after_commit(self.engine, batch.channels)


def _no_wait():
    pass
