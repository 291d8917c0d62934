"""Bus reads shared by the pollers of one process.

When a message commits, every poller of its channel wakes and asks the database the same
question: what is there on these channels after id `last`? One of them reads; the others wait
for that read if it is under way (PostgreSQL reads yield to other greenlets) and take its answer,
which is kept until the next wake-up of one of those channels: a thousand pollers of one
channel cost one query, not a thousand. Each channel has a generation, bumped by every wake-up;
an answer is shared only with questions asked at the same generations, and kept only if no
wake-up came while it was read (it may predate the message that caused it).
"""
import threading
from collections import OrderedDict

WAKE_ALL = "*"
MAX_ANSWERS = 4096  # least recently used answers go first


class _Read:
    """One read under way; the pollers asking the same question meanwhile wait for it."""

    def __init__(self):
        self.done = threading.Event()
        self.messages = None  # None: the read failed; the waiters read for themselves


class SharedReads:
    def __init__(self):
        self._lock = threading.Lock()
        self._generations = {}  # channel -> wake-ups so far
        self._wake_alls = 0
        self._answers = OrderedDict()  # (channels, last) -> (generations, messages)
        self._under_way = {}  # (channels, last, generations) -> _Read

    def _stamp(self, channels):
        return (self._wake_alls, *(self._generations.get(c, 0) for c in channels))

    def read(self, channels, last, fetch):
        """The messages on `channels` (a tuple) after `last` (any hashable position): a kept
        answer, the answer of the same read under way, or fetch()'s. The list returned may be
        shared: do not change it."""
        key = (channels, last)
        with self._lock:
            stamp = self._stamp(channels)
            kept = self._answers.get(key)
            if kept is not None and kept[0] == stamp:
                self._answers.move_to_end(key)
                return kept[1]
            joined = self._under_way.get((*key, stamp))
            if joined is None:
                mine = self._under_way[(*key, stamp)] = _Read()
        if joined is not None:
            joined.done.wait()
            return joined.messages if joined.messages is not None else fetch()
        try:
            mine.messages = fetch()
        finally:
            with self._lock:
                del self._under_way[(*key, stamp)]
                if mine.messages is not None and self._stamp(channels) == stamp:
                    self._answers[key] = (stamp, mine.messages)
                    self._answers.move_to_end(key)
                    while len(self._answers) > MAX_ANSWERS:
                        self._answers.popitem(last=False)
            mine.done.set()
        return mine.messages

    def invalidate(self, channels):
        """Called by every wake-up, before the pollers are woken."""
        with self._lock:
            if channels == WAKE_ALL:
                self._wake_alls += 1
            else:
                for channel in channels:
                    self._generations[channel] = self._generations.get(channel, 0) + 1
