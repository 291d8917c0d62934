"""The bus: store messages on channels, read those after a poller's `last` id, collect old ones.

Sending happens in a `BusTransaction`, so that a message and the change it announces commit
together, and pollers are woken only once the message can be read:

    with BusTransaction(instance.engine) as bus:
        bus.connection.execute(...)                 # the change
        bus.send(pos_channel(db, "pos.multi_session", 3), {"action": "update_order", ...})

Ids grow in commit order: on PostgreSQL a transaction takes an advisory lock before it stores
its messages, at its very end, and keeps it until it commits, so a message with a smaller id can
never become visible after a poller has read a larger one (Odoo's bus can lose messages that
way). SQLite has one writer at a time, which gives the same order.
"""
import functools
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, insert, select, text

from core.db import autocommit_read
from core.models import utc_now
from core.times import utc_iso
from core.web import strict_json

from . import tail_reader, wakeup
from .encoding import Encoded, dumps
from .models import BusMessage
from .uninterrupted import uninterrupted

MAX_MESSAGES_PER_POLL = 1000
GC_INTERVAL = 60.0  # seconds between two collections in one process
# Any constant shared by every process of the database (pg_advisory_xact_lock takes a bigint).
SEND_LOCK_KEY = 0x706F736C6F6E67  # "poslong"

_last_gc = {}  # database URL -> time.monotonic() of the last collection in this process


def pos_channel(db_name, name, config_id):
    """The channel string of one POS, exactly as the page's JSON.stringify writes it."""
    return compact_json([db_name, name, str(config_id)])


def compact_json(value):
    return dumps(value)


@functools.lru_cache(maxsize=4096)  # the same few channels, again and again
def normalise_channel(channel):
    """`["db", "name", "1"]` and `["db","name","1"]` are one channel; other strings stay as is
    (and those JSON the strict reader refuses: an escaped lone surrogate or NUL, NaN)."""
    try:
        parsed = strict_json.loads(channel)
    except strict_json.JsonRefused:
        return channel
    return compact_json(parsed) if isinstance(parsed, list) else channel


class BusTransaction:
    """`engine.begin()` plus `send()`; the messages are stored together just before the commit
    (one multi-row INSERT) and wake pollers once it is done."""

    def __init__(self, engine):
        self.engine = engine
        self.connection = None
        self.outgoing = []  # rows of BusMessage to insert
        self.stored_rows = None  # PostgreSQL, once stored: [(id, channel, message)]
        self._context = None

    def __enter__(self):
        self._context = self.engine.begin()
        self.connection = self._context.__enter__()
        return self

    def send(self, channel, message):
        self.send_encoded(channel, compact_json(message))

    def send_encoded(self, channel, text):
        """send() of a message already encoded as JSON text (see encoding.NumberedCopies)."""
        self.outgoing.append({"channel": normalise_channel(channel), "message": text,
                              "created_at": utc_now()})

    @property
    def channels(self):
        return {row["channel"] for row in self.outgoing}

    def _store_outgoing(self):
        if self.connection.dialect.name != "postgresql":
            self.connection.execute(_statements().insert, self.outgoing)
            return
        # One statement, one round trip: the lock (held until the commit, so the next sender's
        # ids come after ours are visible; taken before any id is drawn, since every row
        # inserted joins the lock's row), every message (one INSERT of a JSON array of rows, in
        # the order sent, rather than one INSERT per message), and the NOTIFY (delivered at
        # commit) naming the highest id stored. JSON, not arrays of text: psycopg writes a text
        # array's quotes out one regular-expression match at a time, which cost more than all
        # the rest of an update.
        first, last, _notified = self.connection.execute(_statements().lock_notify_insert, {
            "lock_key": SEND_LOCK_KEY, "notify_channel": wakeup.NOTIFY_CHANNEL,
            "payload": wakeup.notify_payload(self.channels),
            "rows": dumps([(row["channel"], row["message"], utc_iso(row["created_at"]))
                           for row in self.outgoing])}).one()
        if last - first + 1 == len(self.outgoing):  # one id each, in the order sent
            self.stored_rows = [(id_, row["channel"], row["message"])
                                for id_, row in zip(range(first, last + 1), self.outgoing)]

    def __exit__(self, exc_type, exc, traceback):
        # From the INSERT (which takes the send lock) to the commit, every sender of every
        # process waits for this one: its statements keep the worker (uninterrupted.py).
        with uninterrupted(self.connection):
            suppress = self._finish(exc_type, exc, traceback)
        if exc_type is None and self.outgoing:
            wakeup.after_commit(self.engine, self.channels, self.stored_rows)
        return suppress

    def _finish(self, exc_type, exc, traceback):
        """Store the messages and commit (or roll back); what the `with` returns."""
        if exc_type is None and self.outgoing:
            try:
                self._store_outgoing()
            except BaseException as error:
                self._context.__exit__(type(error), error, error.__traceback__)
                raise
        return self._context.__exit__(exc_type, exc, traceback)


def fetch(connection, channels, last, since=None, limit=MAX_MESSAGES_PER_POLL):
    """[{id, channel, message}] on `channels` with id > last (and created after `since`)."""
    return [{**item, "message": item["message"].decode()}
            for item in fetch_encoded(connection, channels, last, since, limit)]


def fetch_encoded(connection, channels, last, since=None, limit=MAX_MESSAGES_PER_POLL):
    """fetch() with each message left as JSON text (`encoding.Encoded`)."""
    values = {"channels": list(channels), "last": last, "limit": limit}
    if since is None:
        query = _statements().fetch
    else:
        query, values["since"] = _statements().fetch_since, since
    return [{"id": row.id, "channel": row.channel, "message": Encoded(row.message)}
            for row in connection.execute(query, values)]


@dataclass(frozen=True)
class _Statements:
    lock_notify_insert: object
    insert: object
    fetch: object
    fetch_since: object


@functools.cache
def _statements():
    """The bus's statements, built once: building one costs SQLAlchemy several times the CPU
    of running it."""
    columns = (BusMessage.id, BusMessage.channel, BusMessage.message)
    fetch = (select(*columns).where(BusMessage.channel.in_(bindparam("channels", expanding=True)),
                                    BusMessage.id > bindparam("last"))
             .order_by(BusMessage.id).limit(bindparam("limit")))
    return _Statements(
        lock_notify_insert=text(f"""
            WITH stored AS (
                INSERT INTO {BusMessage.__tablename__} (channel, message, created_at)
                SELECT sent.item ->> 0, sent.item ->> 1, CAST(sent.item ->> 2 AS timestamptz)
                FROM (SELECT pg_advisory_xact_lock(CAST(:lock_key AS bigint))) AS locked
                CROSS JOIN json_array_elements(CAST(:rows AS json))
                    WITH ORDINALITY AS sent(item, position)
                ORDER BY sent.position
                RETURNING id)
            SELECT min(id), max(id), pg_notify(CAST(:notify_channel AS text),
                                               max(id) || ' ' || CAST(:payload AS text))
            FROM stored"""),
        insert=insert(BusMessage),
        fetch=fetch,
        fetch_since=fetch.where(BusMessage.created_at > bindparam("since")))


def collect_garbage(engine, retention_seconds, force=False):
    """Delete messages older than the retention, at most every GC_INTERVAL s per process."""
    key = wakeup.engine_key(engine)
    now = time.monotonic()
    if not force and now - _last_gc.get(key, float("-inf")) < GC_INTERVAL:
        return 0
    _last_gc[key] = now
    cutoff = utc_now() - timedelta(seconds=retention_seconds)
    with engine.begin() as connection:
        return connection.execute(delete(BusMessage).where(BusMessage.created_at < cutoff)).rowcount


def poll(engine, channels, last, timeout, since=None, encoded=False):
    """The messages on `channels` (sorted) after `last`, at once if there are some, else as soon
    as one commits, else [] after `timeout` seconds. No database connection is held while
    waiting. With `encoded`, each message is left as JSON text (`encoding.Encoded`) for an
    answer to write as it is (encoding.json_response)."""
    with subscription(engine, channels) as subscriber:
        messages = subscriber.answer(last, timeout, since)
    return messages if encoded else [{**item, "message": item["message"].decode()}
                                     for item in messages]


@contextmanager
def subscription(engine, channels):
    """A `Subscriber` to `channels` (sorted), registered for their wake-ups until the `with`
    ends: a WebSocket answers again and again, and registering once per socket rather than
    once per answer spares each answer that bookkeeping (a wake-up between two answers is
    kept: the next answer reads after it)."""
    dispatcher = wakeup.dispatcher_for(engine)
    with dispatcher.waiting(channels) as woken:
        yield Subscriber(engine, dispatcher, channels, woken)


class Subscriber:
    def __init__(self, engine, dispatcher, channels, woken):
        self.engine, self.dispatcher, self.woken = engine, dispatcher, woken
        self.channels, self._wanted = channels, set(channels)

    def answer(self, last, timeout, since=None):
        """poll()'s answer, with each message as JSON text (`encoding.Encoded`)."""
        wakeup.ensure_listening(self.engine)
        deadline = time.monotonic() + timeout
        while True:
            self.woken.clear()  # before reading: a wake-up after this read is not lost
            messages = self._read(last, since)
            remaining = deadline - time.monotonic()
            if messages or remaining <= 0:
                return messages
            self.woken.wait(remaining)

    def _read(self, last, since):
        engine, tail = self.engine, self.dispatcher.tail
        if since is None:
            # One read per wake-up for every poller of this process, answered from memory.
            tail.catch_up(*tail_reader.tail_reads(engine))
            entries = tail.after(self._wanted, last, MAX_MESSAGES_PER_POLL)
            if entries is not None:
                return [{"id": e.id, "channel": e.channel, "message": Encoded(e.message)}
                        for e in entries]

        # Behind the tail, or a first poll: the database; pollers woken together share one read.
        def read():
            with autocommit_read(engine) as connection:
                return fetch_encoded(connection, self.channels, last, since)

        return self.dispatcher.reads.read(tuple(self.channels), (last, since), read)
