"""The synchroniser's timings, with short ones: a request that gets no answer fails after the
request timeout; while the server is unreachable the waits double from the retry wait up to
the longest one, and the state says why; the loop waits its interval between passes."""
import socket
import threading
import time

import pytest

from addons.pos_autonomous.till.client import SyncError
from addons.pos_autonomous.till.synchroniser import Synchroniser
from tests.pos_autonomous.test_till_side import make_till
from tests.pos_autonomous.till_helpers import set_parameters, till_state
from tests.support import free_port


@pytest.fixture
def till(central, tmp_path):
    till = make_till(central, tmp_path)
    yield till
    till.engine.dispose()


def point_at(till, url):
    with till.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE pos_autonomous_link SET server_url = ?", (url,))


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_request_without_an_answer_fails_after_the_request_timeout(till, silent_server):
    point_at(till, silent_server)
    set_parameters(till.url, {"pos_autonomous.request_timeout_ms": "300"})
    synchroniser = Synchroniser(till)
    started = time.monotonic()
    with pytest.raises(SyncError, match="timed out"):
        synchroniser.sync_once()
    assert 0.25 < time.monotonic() - started < 3
    state = till_state(till.url)
    assert state["state"] == "error" and "timed out" in state["last_error"]
    assert state["failures"] == 1


def test_waits_double_while_the_server_is_unreachable_up_to_the_longest(till):
    point_at(till, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    set_parameters(till.url, {"pos_autonomous.retry_wait_ms": "100",
                              "pos_autonomous.max_retry_wait_ms": "300"})
    said, attempts = [], []
    synchroniser = Synchroniser(till, say=said.append)

    def stop_after_five():
        attempts.append(time.monotonic())
        return len(attempts) > 5
    synchroniser.run(should_stop=stop_after_five)
    waits = [float(line.rpartition("next try in ")[2].split()[0]) for line in said]
    assert waits == [0.1, 0.2, 0.3, 0.3, 0.3]
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:])]
    assert all(gap >= wait for gap, wait in zip(gaps, waits))
    assert "cannot reach" in said[0]
    state = till_state(till.url)
    assert state["state"] == "error" and state["failures"] == 5
    assert "cannot reach" in state["last_error"]


def test_the_loop_waits_its_interval_and_reads_new_timings_at_each_pass(till, central,
                                                                        central_server):
    point_at(till, central_server.url)
    set_parameters(till.url, {"pos_autonomous.sync_interval_ms": "50"})
    said, passes = [], []
    synchroniser = Synchroniser(till, say=said.append)

    def stop_after_four():
        passes.append(time.monotonic())
        if len(passes) == 3:  # the admin changes the interval while the loop runs
            set_parameters(till.url, {"pos_autonomous.sync_interval_ms": "400"})
        return len(passes) > 4
    synchroniser.run(should_stop=stop_after_four)
    synchroniser.client.close()
    assert sum("synchronised" in line for line in said) == 4
    gaps = [later - earlier for earlier, later in zip(passes, passes[1:])]
    assert all(gap >= 0.05 for gap in gaps[:2]) and all(gap >= 0.4 for gap in gaps[2:])
    assert till_state(till.url)["state"] == "ok"
