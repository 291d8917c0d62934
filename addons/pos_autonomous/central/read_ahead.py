"""Reading ahead (central): while a till applies a page of a long import, the server prepares
the page the till will ask for next, so the till's applying and the server's reading overlap.

The till still asks for every page, and a page is still sent only when asked: a kill costs at
most the one page fetched again, as without reading ahead. A prepared page is an answer
computed a little early, exactly as if the till had asked then (what changes later comes in
later pages, with larger versions). It is used once, by the same till asking from exactly the
positions it was prepared for, with the same page size, within PREPARED_FOR seconds, in the
process (and on the database) that prepared it: with several workers, a miss simply computes
the page."""
import logging
import threading
import time

import orjson

log = logging.getLogger(__name__)

PREPARED_FOR = 10.0  # seconds a prepared page may wait for its till
MAX_PREPARED = 64  # pages kept at most (one per till importing)
WAIT_FOR_PREPARING = 30.0  # seconds a request waits for the page being prepared for it

_prepared = {}  # (database, till id, positions, page size) -> _Page
_lock = threading.Lock()


class _Page:
    def __init__(self):
        self.ready = threading.Event()
        self.answer = None
        self.made_at = time.monotonic()


def _key(database, till_id, positions, page_size):
    return database, till_id, orjson.dumps(positions, option=orjson.OPT_SORT_KEYS), page_size


def take(database, till_id, positions, page_size):
    """The answer prepared for this request, or None."""
    with _lock:
        page = _prepared.pop(_key(database, till_id, positions, page_size), None)
    if page is None or time.monotonic() - page.made_at > PREPARED_FOR:
        return None
    page.ready.wait(WAIT_FOR_PREPARING)
    return page.answer


def prepare(database, till_id, positions, page_size, compute):
    """Compute `compute()` in the background for the till's next request from `positions`.
    Under gevent (`core serve`) the thread is a greenlet: it runs once the current answer is
    on its way."""
    page = _Page()
    key = _key(database, till_id, positions, page_size)
    with _lock:
        now = time.monotonic()
        for stale in [k for k, p in _prepared.items() if now - p.made_at > PREPARED_FOR
                      or k[:2] == (database, till_id)]:
            del _prepared[stale]
        if len(_prepared) >= MAX_PREPARED:
            return
        _prepared[key] = page

    def run():
        try:
            page.answer = compute()
        except Exception:  # the till's request will compute the page itself and say why
            log.exception("reading ahead for till %s failed", till_id)
        finally:
            page.ready.set()
    threading.Thread(target=run, name=f"read-ahead-{till_id}", daemon=True).start()


def forget_all():
    with _lock:
        _prepared.clear()
