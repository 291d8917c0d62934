"""Requests that queued behind the reloader's periodic check do not each check again: one
read of the installed addons and parameters per interval, however many requests came."""
import threading

from core.web import create_app
from core.web.reloader import ReloadingApp


def test_requests_waiting_for_a_check_do_not_repeat_it(instance):
    app = ReloadingApp(instance, lambda inst: create_app(instance=inst), interval=3600)
    reads = []
    real_read = app._read_state
    app._read_state = lambda: reads.append(1) or real_read()
    app._checked_at -= 7200  # the check is due
    app._lock.acquire()  # a check under way: the requests below queue behind it
    waiting = [threading.Thread(target=app._reload_if_changed) for _ in range(5)]
    for thread in waiting:
        thread.start()
    app._checked_at += 7200  # ... and it is done
    app._lock.release()
    for thread in waiting:
        thread.join(5)
    assert reads == []
    app._checked_at -= 7200
    app._reload_if_changed()
    assert reads == [1]
