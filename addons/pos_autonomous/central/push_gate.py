"""How many pushes a server process stores at once (README, "A fleet catching up").

After a regional outage every till pushes at the same moment. Stored all at once, each push
held a database connection for its whole batch while the process's greenlets took turns on one
CPU: the pool ran out (pushes waited for a connection past its timeout), and the CPU per ticket
rose with the greenlets contending. Here at most `pos_autonomous.push_slots` pushes per process
touch the database; the others wait in memory, oldest first, each taking a slot as one is
freed. A push that waited `pos_autonomous.push_queue_ms` without one is answered 503 with
Retry-After before it touches the database (nothing stored: the till sends it again later).
Only a till's pushes queue: the route checks the bearer token before it reads the body and
takes a place here (routes.pushing_till), so a flood of pushes without a valid token delays no
till.

The gate is per process (gevent's greenlets when served, threads in tests: the standard
library's locks, which gevent patches), and kept across the app's rebuilds while its size
stays the same.
"""
import io
import math
import threading
import time
from collections import deque
from contextlib import contextmanager

from flask import current_app, request

from core.web.errors import error_response

from .. import settings

PUSH_GATE = "pos_autonomous.push_gate"  # app.extensions key, set by hooks.configure_app
LONGEST_RETRY_AFTER = 60  # seconds; a till told more would sit idle while slots free up
_gates = {}  # (database URL, slots) -> this process's PushGate for that database
_gates_lock = threading.Lock()


class Busy(Exception):
    """No slot within the wait; `retry_after`: seconds until the pushes ahead are likely done."""

    def __init__(self, retry_after):
        super().__init__(f"no push slot free; retry after {retry_after} s")
        self.retry_after = retry_after


class PushGate:
    """At most `slots` holders at once; the others wait in arrival order (a freed slot passes
    to the oldest waiting push, so no newcomer takes it ahead of them)."""

    def __init__(self, slots):
        self.slots = slots
        self._lock = threading.Lock()
        self._free = slots
        self._waiting = deque()  # an Event per waiting push, oldest first
        self._seconds_per_push = 0.0  # a moving average of the time a slot is held

    @property
    def waiting(self):
        return len(self._waiting)

    @contextmanager
    def slot(self, wait_seconds):
        """Hold a slot for the block; Busy when none came within `wait_seconds`."""
        self._enter(wait_seconds)
        started = time.monotonic()
        try:
            yield
        finally:
            self._leave(time.monotonic() - started)

    def _enter(self, wait_seconds):
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(wait_seconds):
            return
        with self._lock:
            if turn.is_set():  # handed a slot as the wait ended
                return
            self._waiting.remove(turn)
            raise Busy(self._retry_after())

    def _leave(self, held):
        with self._lock:
            self._seconds_per_push += (held - self._seconds_per_push) * (
                0.1 if self._seconds_per_push else 1.0)
            if self._waiting:
                self._waiting.popleft().set()  # the slot passes on, still taken
            else:
                self._free += 1

    def _retry_after(self):
        """Seconds until the pushes waiting now are likely stored (at least 1)."""
        ahead = len(self._waiting) * self._seconds_per_push / self.slots
        return max(1, min(LONGEST_RETRY_AFTER, math.ceil(ahead)))


def gate_for(url, slots):
    """This process's gate of `slots` for the database at `url` (the same one across the app's
    rebuilds)."""
    with _gates_lock:
        if (url, slots) not in _gates:
            _gates[url, slots] = PushGate(slots)
        return _gates[url, slots]


def configure(app, url, parameters):
    """Keep the gate and the wait with the app (read when it is built: it is rebuilt when a
    parameter changes)."""
    app.extensions[PUSH_GATE] = (gate_for(url, max(1, parameters.get(settings.PUSH_SLOTS))),
                                 max(0, parameters.get(settings.PUSH_QUEUE_MS)) / 1000)


def read_body_ahead():
    """Read the request's body off the network before the wait (once its till's token is
    checked: a request refused 401 is not read), parse it once in a slot (the route's
    json_object reads it from memory): a till on a slow link never holds a slot while its batch
    arrives, and a push turned away costs no parsing."""
    length, limit = request.content_length, request.max_content_length
    if length is None or (limit is not None and length > limit):
        return  # chunked or too large: read (or refused) by json_object, as on any route
    request.environ["wsgi.input"] = io.BytesIO(request.environ["wsgi.input"].read(length))


@contextmanager
def push_slot():
    """A slot of this process's gate for the request's push (Busy when none came in time)."""
    gate, wait_seconds = current_app.extensions[PUSH_GATE]
    with gate.slot(wait_seconds):
        yield


def busy_response(busy):
    """503 central_busy with Retry-After (English: the tills' wire)."""
    response = error_response(503, "central_busy", "the central instance is storing other "
                                                   "tills' pushes; nothing was stored: send the "
                                                   "same batch again after Retry-After")
    response.headers["Retry-After"] = str(busy.retry_after)
    return response
