"""Waking the pollers that wait on a channel once a message for it has committed.

In one process the wake-up is in memory (a `Dispatcher` per database). On PostgreSQL every
process also LISTENs: the sending transaction NOTIFYs the channels, PostgreSQL delivers that at
commit to every listening process (every worker), and each wakes its own pollers. A poller
registers *before* it reads the bus, so a message committed between its read and its wait
still wakes it.

SQLite has no NOTIFY: while pollers wait in a process, a `SqliteWatcher` tails the bus table
every SQLITE_WATCH_INTERVAL seconds (one indexed read of the ids above the last it saw) and
wakes the pollers of the channels that another process wrote to (`core pos close` from the
command line, a second `core serve`). It stops after SQLITE_WATCH_IDLE seconds without a poller.

Under gevent (`core serve`) the listener is a greenlet and psycopg waits cooperatively; in a
plain process it is a daemon thread.
"""
import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from contextlib import contextmanager

import psycopg
from sqlalchemy import bindparam, func, select

from core.db import autocommit_read
from core.values import whole_number

from .models import BusMessage
from .shared_reads import WAKE_ALL, SharedReads
from .tail import MessageTail

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "pos_longpolling"
MAX_PAYLOAD = 7870  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more (with the id)
MAX_SENT_HERE = 1024
LISTEN_READY_TIMEOUT = 5.0
HEALTH_WAIT = 2.0  # a health check waits at most this long for a listener being (re)started
RECONNECT_DELAY = 1.0

_registry_lock = threading.Lock()
_dispatchers = {}  # database URL -> Dispatcher
_listeners = {}  # database URL -> PostgresListener
_watchers = {}  # database URL -> SqliteWatcher
_engine_keys = weakref.WeakKeyDictionary()  # engine -> str(engine.url)


SQLITE_TAIL_MAX_AGE = 1.0  # seconds: nothing wakes us for another process's SQLite commits
SQLITE_WATCH_INTERVAL = 0.25  # seconds between two looks at the bus table (SqliteWatcher)
SQLITE_WATCH_IDLE = 10.0  # seconds without a poller before the watcher stops
SQLITE_WATCH_PAGE = 1000


class Dispatcher:
    """The pollers of one database waiting in this process, by channel, and what they read:
    the bus's latest messages (`tail`) and, for pollers behind it, shared database reads."""

    def __init__(self, tail_max_age=None):
        self._lock = threading.Lock()
        self._waiting = {}  # channel -> set of threading.Event
        self._sent_here = OrderedDict()  # highest ids of this process's transactions (sent_here)
        self.reads = SharedReads()
        self.tail = MessageTail(max_age=tail_max_age)

    @contextmanager
    def waiting(self, channels):
        """An Event set whenever a message on one of `channels` may have committed."""
        event = threading.Event()
        with self._lock:
            for channel in channels:
                self._waiting.setdefault(channel, set()).add(event)
        try:
            yield event
        finally:
            with self._lock:
                for channel in channels:
                    events = self._waiting.get(channel)
                    if events is not None:
                        events.discard(event)
                        if not events:
                            del self._waiting[channel]

    def sent_here(self, last_id):
        """Messages up to `last_id` (a transaction's highest) are in the tail and their pollers
        woken: its NOTIFY (`notified`) wakes nobody again."""
        with self._lock:
            self._sent_here[last_id] = None
            while len(self._sent_here) > MAX_SENT_HERE:  # a NOTIFY that never came
                self._sent_here.popitem(last=False)

    def notified(self, payload):
        """A NOTIFY from a sending transaction (`notify_payload`, after its highest id)."""
        head, _, channels = payload.partition(" ")
        last_id = whole_number(head, max_digits=19)
        if last_id is None:  # without the id: an older process's
            channels = payload
        else:
            with self._lock:
                if self._sent_here.pop(last_id, False) is None:
                    return  # this process's own, in the tail and woken already
        self.wake(_channels_of(channels))

    def wake(self, channels, read=True):
        """Wake the pollers of `channels` (or WAKE_ALL). `read=False`: the tail holds what
        woke them already."""
        if read:
            self.tail.woken()  # before any woken poller reads again
        self.reads.invalidate(channels)
        with self._lock:
            if channels == WAKE_ALL:
                events = set().union(*self._waiting.values())
            else:
                events = set().union(*(self._waiting.get(c, ()) for c in channels))
        for event in events:
            event.set()

    def waiting_count(self):
        with self._lock:
            return len(set().union(*self._waiting.values()))


def engine_key(engine):
    """The engine's URL as text, what the registries are keyed by (rendering a URL costs more
    than a poll's other bookkeeping: done once per engine)."""
    try:
        return _engine_keys[engine]
    except KeyError:
        key = _engine_keys[engine] = str(engine.url)
        return key


def dispatcher_for(engine):
    key = engine_key(engine)
    dispatcher = _dispatchers.get(key)  # every poll asks: no lock once it exists
    if dispatcher is not None:
        return dispatcher
    with _registry_lock:
        if key not in _dispatchers:
            _dispatchers[key] = Dispatcher(
                None if engine.dialect.name == "postgresql" else SQLITE_TAIL_MAX_AGE)
        return _dispatchers[key]


def notify_payload(channels):
    """What the sending transaction passes to `pg_notify(NOTIFY_CHANNEL, ...)` on PostgreSQL
    (delivered at commit only) to wake the pollers of `channels` in every process; the
    statement puts its highest id and a space before it."""
    payload = json.dumps(sorted(channels), separators=(",", ":"))
    return WAKE_ALL if len(payload.encode()) > MAX_PAYLOAD else payload


def after_commit(engine, channels, stored_rows=None):
    """After the commit: without LISTEN/NOTIFY (SQLite), wake this process's pollers. On
    PostgreSQL, `stored_rows` [(id, channel, message)] (what the transaction stored) go into
    this process's tail if they follow on from what it holds: its pollers are woken at once,
    without reading them back, and the transaction's NOTIFY, when it comes, is passed over."""
    dispatcher = dispatcher_for(engine)
    if engine.dialect.name != "postgresql":
        dispatcher.wake(channels)
    elif stored_rows and dispatcher.tail.append_following(stored_rows):
        dispatcher.sent_here(stored_rows[-1][0])
        dispatcher.wake(channels, read=False)


def ensure_listening(engine, timeout=LISTEN_READY_TIMEOUT):
    """On PostgreSQL, make sure this process LISTENs before a poller reads the bus; on a SQLite
    file, that a watcher tails the bus for other processes' messages."""
    if engine.dialect.name != "postgresql":
        if _watchable(engine):
            _ensure_watching(engine)
        return
    key = engine_key(engine)
    listener = _listeners.get(key)  # every poll asks: no lock while it listens
    if listener is not None and listener.alive() and listener.ready.is_set():
        return
    dispatcher = dispatcher_for(engine)
    with _registry_lock:
        listener = _listeners.get(key)
        if listener is None or not listener.alive():
            listener = _listeners[key] = PostgresListener(engine, dispatcher)
            listener.start()
    listener.ready.wait(timeout)


def _ensure_watching(engine):
    key = engine_key(engine)
    watcher = _watchers.get(key)
    if watcher is None or not watcher.alive():
        dispatcher = dispatcher_for(engine)  # takes _registry_lock itself
        with _registry_lock:
            watcher = _watchers.get(key)
            if watcher is None or not watcher.alive():
                watcher = _watchers[key] = SqliteWatcher(engine, dispatcher)
                watcher.start()


def listener_problem(engine):
    """For the health check: None when this process's pollers will be woken (always on SQLite,
    where the wake-up is in memory), else what is wrong. Starts the listener if need be."""
    if engine.dialect.name != "postgresql":
        return None
    ensure_listening(engine, HEALTH_WAIT)
    with _registry_lock:
        listener = _listeners.get(engine_key(engine))
    if listener is not None and listener.alive() and listener.ready.is_set():
        return None
    return "the bus listener is not listening (PostgreSQL LISTEN); it keeps reconnecting"


class PostgresListener:
    """LISTEN on one database and wake the dispatcher's pollers for every NOTIFY."""

    def __init__(self, engine, dispatcher):
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.dispatcher = dispatcher
        self.ready = threading.Event()
        self._running = False  # Thread.is_alive() takes a lock: polls ask this instead
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"pos_longpolling listener {engine.url.database}")

    def start(self):
        self._running = True
        self._thread.start()

    def alive(self):
        return self._running

    def _run(self):
        try:
            self._listen()
        finally:
            self._running = False

    def _listen(self):
        while True:
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.ready.set()
                    # Messages sent while this process was not listening: let every poller look.
                    self.dispatcher.wake(WAKE_ALL)
                    for notify in connection.notifies():
                        self.dispatcher.notified(notify.payload)
            except psycopg.OperationalError as exc:
                self.ready.clear()
                if "does not exist" in str(exc):
                    logger.info("bus listener stops: %s", exc)
                    return  # the database was dropped (tests do that); nothing left to wake
                logger.warning("bus listener lost its connection (%s); reconnecting", exc)
            except Exception:  # keep waking pollers whatever happened; say what it was
                self.ready.clear()
                logger.exception("bus listener failed; reconnecting")
            # Until it is back, pollers look every RECONNECT_DELAY seconds instead.
            self.dispatcher.wake(WAKE_ALL)
            time.sleep(RECONNECT_DELAY)


def _watchable(engine):
    """A SQLite database other processes can write to: a file, not `:memory:`."""
    database = engine.url.database
    return bool(database) and database != ":memory:" and not database.startswith("file::memory:")


_WATCH_HIGH = select(func.coalesce(func.max(BusMessage.id), 0))
_WATCH_AFTER = (select(BusMessage.id, BusMessage.channel).where(BusMessage.id > bindparam("after"))
                .order_by(BusMessage.id).limit(SQLITE_WATCH_PAGE))


class SqliteWatcher:
    """On SQLite, wake this process's pollers for messages other processes committed: every
    SQLITE_WATCH_INTERVAL seconds while pollers wait, read the (id, channel) of the rows above
    the highest id seen and wake those channels. Messages this process sent woke its pollers
    already (`after_commit`); waking them again costs a look at the in-memory tail."""

    def __init__(self, engine, dispatcher, interval=None, idle=None):
        self.engine, self.dispatcher = engine, dispatcher
        self.interval = SQLITE_WATCH_INTERVAL if interval is None else interval
        self.idle = SQLITE_WATCH_IDLE if idle is None else idle
        self.seen = None
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"pos_longpolling watcher {engine.url.database}")

    def start(self):
        with autocommit_read(self.engine) as connection:
            self.seen = connection.execute(_WATCH_HIGH).scalar()
        self._thread.start()

    def alive(self):
        return self._thread.is_alive()

    def look(self):
        """One look at the bus: the channels written above `seen` (and `seen` moves up)."""
        channels = set()
        with autocommit_read(self.engine) as connection:
            while True:
                rows = connection.execute(_WATCH_AFTER, {"after": self.seen}).all()
                for id_, channel in rows:
                    channels.add(channel)
                    self.seen = id_
                if len(rows) < SQLITE_WATCH_PAGE:
                    return channels

    def _run(self):
        quiet_since = None
        while True:
            time.sleep(self.interval)
            if not self.dispatcher.waiting_count():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= self.idle:
                    return  # started again by the next poller (ensure_listening)
                continue
            quiet_since = None
            try:
                channels = self.look()
            except Exception as exc:  # the file went away (tests drop it), a locked moment
                logger.debug("bus watcher: %s", exc)
                continue
            if channels:
                self.dispatcher.wake(sorted(channels))


def _channels_of(payload):
    if payload == WAKE_ALL:
        return WAKE_ALL
    try:
        channels = json.loads(payload)
    except ValueError:
        return WAKE_ALL
    return channels if isinstance(channels, list) else WAKE_ALL
