"""Bus reads shared by the pollers of one process.

When a message commits, every poller of its channel wakes and asks the database the same
question: what is there on these channels after id `last`? The first answer is kept until the
next wake-up of one of those channels, so a thousand pollers of one channel cost one query, not
a thousand. Each channel has a generation, bumped by every wake-up; an answer is kept only if
no wake-up came while it was read (it may predate the message that caused it), and used only
while the generations it was read at are current.
"""
import threading
from collections import OrderedDict

WAKE_ALL = "*"
MAX_ANSWERS = 4096  # least recently used answers go first


class SharedReads:
    def __init__(self):
        self._lock = threading.Lock()
        self._generations = {}  # channel -> wake-ups so far
        self._wake_alls = 0
        self._answers = OrderedDict()  # (channels, last) -> (generations, messages)

    def _stamp(self, channels):
        return (self._wake_alls, *(self._generations.get(c, 0) for c in channels))

    def read(self, channels, last, fetch):
        """The messages on `channels` (a tuple) after `last`: a kept answer, or fetch()'s.
        The list returned may be shared: do not change it."""
        key = (channels, last)
        with self._lock:
            stamp = self._stamp(channels)
            kept = self._answers.get(key)
            if kept is not None and kept[0] == stamp:
                self._answers.move_to_end(key)
                return kept[1]
        messages = fetch()
        with self._lock:
            if self._stamp(channels) == stamp:
                self._answers[key] = (stamp, messages)
                self._answers.move_to_end(key)
                while len(self._answers) > MAX_ANSWERS:
                    self._answers.popitem(last=False)
        return messages

    def invalidate(self, channels):
        """Called by every wake-up, before the pollers are woken."""
        with self._lock:
            if channels == WAKE_ALL:
                self._wake_alls += 1
            else:
                for channel in channels:
                    self._generations[channel] = self._generations.get(channel, 0) + 1
