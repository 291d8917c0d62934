"""On PostgreSQL, the updates of one multi-session that wait in a worker at the same moment are
applied by one of them, one after the other, in one transaction: one lock, one INSERT of their
bus messages, one commit.

Why: the updates of a multi-session run one at a time (its row lock). Each waiting in its own
transaction, the lock passed from one request to the next through PostgreSQL, and each holder
then had to wait for its turn in the worker's gevent queue before it could go on (measured
under 10 tills sending flat out: ~300 ms waiting for a pool connection and ~400 ms for the lock,
the holder holding it ~40 ms for 10 ms of its own). Here an update that finds another of its
multi-session under way in this worker queues behind it; the leader, once its batch is done,
takes what queued meanwhile as the next batch (handing it to the first of them, so that its own
reply is not held up by later ones) and does each update's work itself, back to back, its
statements keeping the worker (pos_longpolling's `uninterrupted`) from the lock to the commit.

Each update gets its own reply, or its own refusal (an exception of `refusals`, raised before
it wrote anything); any other failure rolls the batch back and each of its updates is then run
again alone, so that one broken update cannot fail the others. SQLite keeps pos_longpolling's
group commit, which shares a transaction between every update of the process already.
"""
import threading
import weakref
from contextlib import ExitStack

from addons.pos_longpolling import BusTransaction, uninterrupted

_combiners = weakref.WeakKeyDictionary()  # engine -> Combiner
_combiners_lock = threading.Lock()


def combiner_for(engine):
    with _combiners_lock:
        combiner = _combiners.get(engine)
        if combiner is None:
            combiner = _combiners[engine] = Combiner(engine)
        return combiner


class _Member:
    """One update waiting for its reply: `work(bus)` returns it."""

    def __init__(self, work):
        self.work = work
        self.turn = threading.Event()  # its outcome is in, or it leads the next batch
        self.reply, self.error, self.done = None, None, False

    def settle(self, reply=None, error=None):
        self.reply, self.error, self.done = reply, error, True

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.reply


class _Queue:
    """The updates of one multi-session in this worker: the batch under way, those waiting."""

    def __init__(self):
        self.waiting = []
        self.running = False


class Combiner:
    def __init__(self, engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._queues = {}  # multi-session key -> _Queue

    def run(self, key, work, refusals=()):
        """`work(bus)` (one update, in a transaction holding the multi-session `key`'s lock,
        `bus` a BusTransaction) in a batch of this worker's updates of `key`; its reply."""
        member = _Member(work)
        with self._lock:
            queue = self._queues.setdefault(key, _Queue())
            queue.waiting.append(member)
            leads = not queue.running
            queue.running = True
        if not leads:
            member.turn.wait()
            if member.done:
                return member.outcome()
        self._lead(key, queue, refusals)
        return member.outcome()

    def _lead(self, key, queue, refusals):
        """Run what waits in `queue` as one batch, then hand the queue to the next leader."""
        with self._lock:
            batch, queue.waiting = queue.waiting, []
        try:
            self._apply(batch, refusals)
        except BaseException as error:  # the greenlet killed, say: none of them may hang
            for member in batch:
                if not member.done:
                    member.settle(error=error)
            raise
        finally:
            with self._lock:
                successor = queue.waiting[0] if queue.waiting else None
                if successor is None:
                    queue.running = False
                    del self._queues[key]
            for member in batch:
                member.turn.set()
            if successor is not None:
                successor.turn.set()  # not done: it leads the next batch

    def _apply(self, batch, refusals):
        try:
            self._together(batch, refusals)
        except Exception as error:  # noqa: BLE001 - each one alone says whose it was
            if len(batch) == 1:
                batch[0].settle(error=error)
                return
            for member in batch:
                try:
                    self._together([member], refusals)
                except Exception as own_error:  # noqa: BLE001 - its reply is this error
                    member.settle(error=own_error)

    def _together(self, batch, refusals):
        """Every member's work in one transaction; their outcomes once it has committed."""
        outcomes = []
        with ExitStack() as after_the_first, BusTransaction(self.engine) as bus:
            for member in batch:
                try:
                    outcomes.append((member, member.work(bus), None))
                except refusals as refusal:
                    outcomes.append((member, None, refusal))
                if len(outcomes) == 1:  # the lock is ours: the rest keeps the worker
                    after_the_first.enter_context(uninterrupted(bus.connection))
        for member, reply, refusal in outcomes:
            member.settle(reply, refusal)
