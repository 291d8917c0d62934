"""The end of a transaction that holds a lock others wait for, run without handing the worker
to its other requests.

Under gevent (`core serve`), psycopg waits for each answer of PostgreSQL cooperatively: the
request's greenlet goes back to the hub's queue and runs again only after every greenlet ready
before it (polls to answer, other updates to parse and merge). That is right while a request
waits for a lock, and wrong once it holds one: a shared-order update holds its multi-session's
row lock from its first statement to its commit, and the bus's send lock from its INSERT to its
commit, while every other update of that multi-session (of every multi-session, for the send
lock) waits. Each of its statements then cost the others a turn of the whole worker's queue
(measured: 140 ms per update under the lock at 70 updates/s, for 6 ms of CPU).

`uninterrupted(connection)` makes the statements of the `with` block wait for PostgreSQL in
this greenlet alone (a poll(2) on the connection's socket, the worker's other greenlets standing
still meanwhile), up to BLOCKING_BUDGET seconds a statement; a statement still unanswered by
then waits cooperatively as before, so that a slow database, or a lock held by another greenlet
of this very worker, never stalls the worker for longer than that. Without gevent psycopg waits
this way already: the block changes nothing.
"""
import select
import time
from contextlib import contextmanager

from psycopg import waiting

BLOCKING_BUDGET = 0.05  # seconds a statement may hold the worker before it yields as usual

_EVENTS = {waiting.WAIT_R: select.POLLIN, waiting.WAIT_W: select.POLLOUT,
           waiting.WAIT_RW: select.POLLIN | select.POLLOUT}


def _unpatched_poll():
    """select.poll as the kernel gives it, or None where psycopg does not yield (no gevent)."""
    try:
        from gevent import monkey
    except ImportError:
        return None
    if not monkey.is_module_patched("select"):
        return None
    return monkey.get_original("select", "poll")


@contextmanager
def uninterrupted(connection, budget=BLOCKING_BUDGET, poll=None):
    """Within the block, the statements of `connection` (SQLAlchemy's, on psycopg) wait for
    PostgreSQL without yielding, up to `budget` seconds each. `poll`: the poll(2) to wait with
    (tests); by default the unpatched one under gevent, nothing to do otherwise."""
    if connection.dialect.name != "postgresql":
        yield
        return
    with driver_uninterrupted(connection.connection.driver_connection, budget, poll):
        yield


@contextmanager
def driver_uninterrupted(driver, budget=BLOCKING_BUDGET, poll=None):
    """uninterrupted() of a psycopg connection itself."""
    poll = poll or _unpatched_poll()
    if poll is None or "wait" in vars(driver):  # no gevent, or inside an outer block already
        yield
        return
    driver.wait = _waiting_alone(driver, budget, poll)  # psycopg calls self.wait(generator)
    try:
        yield
    finally:
        del driver.wait


def _waiting_alone(driver, budget, poll):
    def wait(generator, interval=0.1, timeout=None):
        """psycopg's Connection.wait: run `generator` (psycopg's protocol: it yields what it
        waits for, it is sent what is ready) to its end, blocking up to `budget` seconds."""
        fileno = driver.pgconn.socket
        deadline = time.monotonic() + min(budget, timeout if timeout is not None else budget)
        poller = poll()
        try:
            state = next(generator)
            while True:
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    poller.register(fileno, _EVENTS[state])
                    ready = _ready(poller.poll(remaining * 1000))
                if remaining <= 0 or ready is None:  # too long, or an error for psycopg to see
                    return waiting.wait(_resumed(generator, state), fileno, interval=interval,
                                        timeout=timeout)
                if ready:
                    state = generator.send(ready)
        except StopIteration as done:
            return done.value
    return wait


def _ready(events):
    """psycopg's Ready flags of poll(2)'s `events` (0: nothing yet); None for an error or a
    hang-up, which psycopg's own wait reports."""
    if not events:
        return 0
    mask = events[0][1]
    ready = (waiting.READY_R if mask & select.POLLIN else 0) | (
        waiting.READY_W if mask & select.POLLOUT else 0)
    return ready or None


def _resumed(generator, state):
    """`generator`, already waiting for `state`, as a new generator for psycopg's wait."""
    try:
        while True:
            ready = yield state
            state = generator.send(ready)
    except StopIteration as done:
        return done.value
