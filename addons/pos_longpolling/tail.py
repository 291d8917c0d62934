"""The bus's latest messages, read once per process and kept in memory for its pollers.

Every wake-up (a commit in this process, a NOTIFY from another) makes the next poller that
looks read what is new on the bus, on every channel at once, in one query (`id > high`); the
pollers woken with it wait for that read and answer from memory. Ids grow in commit order
(bus.BusTransaction), so once a read started after a wake-up, every message committed before
that wake-up is in it, and nothing with a smaller id can commit later: the tail holds every
message with `low < id <= high`, none skipped, none twice. Pollers that are behind it (`last <
low`) and first polls (which filter by age) read the database instead. On PostgreSQL the
process that sent a transaction's messages adds them itself when they follow on from `high`
(`append_following`), and wakes its pollers without a read.

The oldest messages are dropped past MAX_MESSAGES or MAX_BYTES (and `low` moves up with them).
A tail last read more than `max_age` seconds ago reads again even without a wake-up: on SQLite
nothing wakes this process when another one (the `core` command) sends a message.
"""
import bisect
import heapq
import itertools
import threading
import time
from dataclasses import dataclass

MAX_MESSAGES = 20000
MAX_BYTES = 64 * 1024 * 1024  # of encoded messages
READ_PAGE = 5000  # messages per query while catching up


@dataclass(frozen=True)
class Entry:
    id: int
    channel: str
    message: str  # encoded JSON, as stored


class MessageTail:
    def __init__(self, max_messages=MAX_MESSAGES, max_bytes=MAX_BYTES, max_age=None):
        self.max_messages, self.max_bytes, self.max_age = max_messages, max_bytes, max_age
        # (low, entries in id order, the same by channel): replaced together, so a reader sees
        # a consistent view; new entries are appended in place. low None: nothing read yet.
        self._view = (None, [], {})
        self.high = None
        self._bytes = 0
        self._wake_ups = 0  # so far
        self._caught_up = -1  # wake-ups every message of which is in the tail
        self._read_at = float("-inf")  # time.monotonic() when the last read started
        self._read_lock = threading.Lock()  # one reader at a time; the others wait for it
        self._count_lock = threading.Lock()

    @property
    def low(self):
        return self._view[0]

    def woken(self):
        """A message may have committed: called by every wake-up, before pollers are woken."""
        with self._count_lock:
            self._wake_ups += 1

    def catch_up(self, read_after, read_high):
        """Read what committed before the last wake-up, unless a read since then already did.
        `read_after(id, limit)`: [(id, channel, message)] with a larger id, in id order;
        `read_high()`: the largest id on the bus (0 if none)."""
        asked_at = time.monotonic()
        wanted = self._wake_ups
        if self._caught_up >= wanted and not self._too_old(asked_at):
            return
        with self._read_lock:
            if self._caught_up >= wanted and not self._too_old(asked_at):
                return  # read by another poller while this one waited
            target = self._wake_ups  # a wake-up after this may not be in what we read
            self._read_at = time.monotonic()
            if self.high is None:
                self.high = read_high()
                self._view = (self.high, [], {})
            else:
                while True:
                    rows = read_after(self.high, READ_PAGE)
                    self._append(rows)
                    if len(rows) < READ_PAGE:
                        break
            self._caught_up = target

    def append_following(self, rows):
        """Add a transaction's own messages [(id, channel, message)], sent by this process,
        without reading them back: only if their ids follow on from `high` with none missing
        (True), since a gap could be another process's messages not read yet. Ids are drawn
        under the bus's send lock, held until commit: once a transaction has committed, every
        id below its first is committed or never will be."""
        first = rows[0][0]
        if rows[-1][0] - first + 1 != len(rows):
            return False
        if not self._read_lock.acquire(blocking=False):
            return False  # a read under way: it or the NOTIFY's read brings them
        try:
            if self.high is None or self.high != first - 1:
                return False
            self._append(rows)
            return True
        finally:
            self._read_lock.release()

    def _too_old(self, now):
        return self.max_age is not None and now - self._read_at > self.max_age

    def after(self, channels, last, limit):
        """[Entry] on `channels` (a set) with id > last, in id order, at most `limit`; None
        if the tail does not hold every message after `last` (read the database)."""
        low, _, by_channel = self._view
        if low is None or last < low:
            return None
        # A till polls its own channel: its entries alone, not every till's since `last`.
        lists = [listed[bisect.bisect_right(listed, last, key=_id):]
                 for listed in map(by_channel.get, channels) if listed]
        if len(lists) <= 1:
            return lists[0][:limit] if lists else []
        return list(itertools.islice(heapq.merge(*lists, key=_id), limit))

    def _append(self, rows):
        _, entries, by_channel = self._view
        for id_, channel, message in rows:
            if id_ <= self.high:  # cannot happen with ids in commit order; never repeat one
                continue
            entry = Entry(id_, channel, message)
            entries.append(entry)
            by_channel.setdefault(channel, []).append(entry)
            self._bytes += len(message)
            self.high = id_
        if len(entries) > self.max_messages or self._bytes > self.max_bytes:
            self._trim()

    def _trim(self):
        """Drop the oldest beyond three quarters of the limits (amortised: not one by one)."""
        entries = self._view[1]
        drop = max(0, len(entries) - self.max_messages * 3 // 4)
        kept_bytes = self._bytes - sum(len(entry.message) for entry in entries[:drop])
        while drop < len(entries) - 1 and kept_bytes > self.max_bytes * 3 // 4:
            kept_bytes -= len(entries[drop].message)
            drop += 1
        if drop:
            kept = entries[drop:]
            self._view = (entries[drop - 1].id, kept, _by_channel(kept))
            self._bytes = kept_bytes


def _by_channel(entries):
    """{channel: [Entry] in id order} of `entries` (in id order)."""
    by_channel = {}
    for entry in entries:
        by_channel.setdefault(entry.channel, []).append(entry)
    return by_channel


def _id(entry):
    return entry.id
