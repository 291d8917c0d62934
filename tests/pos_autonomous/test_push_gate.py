"""The central's push gate (central/push_gate.py) and the till's answer to a busy central, with
short waits: a push over the bound waits for a slot, then is stored; one that waits too long is
answered 503 central_busy with Retry-After and nothing is stored; waiting pushes take the freed
slots oldest first; a push without a valid till's token (none, malformed, a wrong secret, an
unknown or revoked till) is answered 401 at once while every slot is held, queues nothing and
delays no till; a till revoked while its push waits stores nothing; the till's client sends a
busy-answered request again after Retry-After and a random part of it, and the synchroniser
waits at least that long before its next pass."""
import http.server
import threading
import time

import pytest
from sqlalchemy import select

from addons.pos_autonomous.central import tills
from addons.pos_autonomous.central.models import Acknowledgement
from addons.pos_autonomous.central.push_gate import PUSH_GATE, Busy, PushGate
from addons.pos_autonomous.till.client import BUSY_ANSWERS, CentralClient, SyncError, busy_wait
from tests.pos_autonomous.till_helpers import set_parameters
from tests.pos_autonomous.up_helpers import (
    batch_of,
    central_entries,
    local_till,
    revoked_token,
    sell,
    till_id_of,
    token_of,
)
from tests.support import testing_app as built_app


def gated_app(central, slots, queue_ms):
    set_parameters(central.url, {"pos_autonomous.push_slots": str(slots),
                                 "pos_autonomous.push_queue_ms": str(queue_ms)})
    return built_app(central)


def post_in_thread(app, till, batch):
    """Start the push in a thread; return (thread, [response when answered])."""
    answered = []

    def send():
        answered.append(app.test_client().post(
            "/pos_autonomous/push", json=batch,
            headers={"Authorization": f"Bearer {token_of(till)}"}))
    thread = threading.Thread(target=send)
    thread.start()
    return thread, answered


def test_a_push_over_the_bound_waits_for_a_slot_then_is_stored(central, till):
    app = gated_app(central, slots=1, queue_ms=10_000)
    gate, wait_seconds = app.extensions[PUSH_GATE]
    assert (gate.slots, wait_seconds) == (1, 10.0)
    uuids = sell(till.engine, 3)
    with gate.slot(1):  # another till's push holds the only slot
        thread, answered = post_in_thread(app, till, batch_of(till))
        deadline = time.monotonic() + 5
        while gate.waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gate.waiting == 1 and not answered  # waiting in memory, nothing stored yet
        assert central_entries(central) == []
    thread.join(10)
    assert answered[0].status_code == 200, answered[0].get_json()
    assert [ack["status"] for ack in answered[0].get_json()["acks"]] == ["stored"] * 3
    assert central_entries(central) == list(enumerate(uuids, start=1))
    assert gate.waiting == 0


def test_a_push_waiting_too_long_is_answered_503_with_retry_after_and_nothing_stored(
        central, till):
    app = gated_app(central, slots=1, queue_ms=200)
    gate = app.extensions[PUSH_GATE][0]
    sell(till.engine, 3)
    started = time.monotonic()
    with gate.slot(1):
        thread, answered = post_in_thread(app, till, batch_of(till))
        thread.join(10)
    assert time.monotonic() - started >= 0.2
    response = answered[0]
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "central_busy"
    assert int(response.headers["Retry-After"]) >= 1
    assert central_entries(central) == [] and gate.waiting == 0
    # The slot free again, the same batch is stored.
    again = app.test_client().post("/pos_autonomous/push", json=batch_of(till),
                                   headers={"Authorization": f"Bearer {token_of(till)}"})
    assert again.status_code == 200 and len(central_entries(central)) == 3


def wait_for(condition, seconds=5):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def pushes_without_a_valid_token(central, till, tmp_path):
    """The Authorization headers of pushes no till may make, with the error each is told."""
    secret = token_of(till).partition(".")[2]
    bearer = [("nope", "invalid_token"), ("³.x", "invalid_token"),
              (token_of(till) + "x", "invalid_token"), (f"999.{secret}", "invalid_token"),
              (revoked_token(central, tmp_path), "invalid_token")]
    return [({}, "unauthorized"), ({"Authorization": f"Basic {secret}"}, "unauthorized"),
            *(({"Authorization": f"Bearer {token}"}, code) for token, code in bearer)]


def acknowledged_tills(central):
    """The tills whose pushes were stored, in the order they were."""
    with central.engine.connect() as connection:
        return list(connection.scalars(select(Acknowledgement.till_id)
                                       .order_by(Acknowledgement.id)))


def test_pushes_without_a_valid_tills_token_are_refused_at_once_and_queue_nothing(
        central, till, tmp_path):
    other = local_till(central, tmp_path, name="other", config_id=2)
    refused = pushes_without_a_valid_token(central, till, tmp_path)
    app = gated_app(central, slots=1, queue_ms=5_000)
    gate, wait_seconds = app.extensions[PUSH_GATE]
    sold = sell(till.engine, 2), sell(other.engine, 2, config_id=2)
    with gate.slot(1):  # every slot held: a push that queued would wait here 5 s, then 503
        first, first_answer = post_in_thread(app, till, batch_of(till))
        wait_for(lambda: gate.waiting == 1)
        for headers, code in refused:
            started = time.monotonic()
            response = app.test_client().post("/pos_autonomous/push", json=batch_of(till),
                                              headers=headers)
            assert time.monotonic() - started < wait_seconds
            assert response.status_code == 401, (headers, response.get_json())
            assert response.get_json()["error"]["code"] == code
            assert gate.waiting == 1  # only the till's push waits
        second, second_answer = post_in_thread(app, other, batch_of(other))
        wait_for(lambda: gate.waiting == 2)
        assert central_entries(central) == []
    first.join(10)
    second.join(10)
    assert first_answer[0].status_code == 200 and second_answer[0].status_code == 200
    assert acknowledged_tills(central) == [till_id_of(till),
                                           till_id_of(other)]
    assert central_entries(central) == list(enumerate(sold[0], start=1))
    assert central_entries(central, config_id=2) == list(enumerate(sold[1], start=1))
    other.engine.dispose()


def test_a_till_revoked_while_its_push_waits_stores_nothing(central, till):
    app = gated_app(central, slots=1, queue_ms=10_000)
    gate = app.extensions[PUSH_GATE][0]
    sell(till.engine, 3)
    with gate.slot(1):
        thread, answered = post_in_thread(app, till, batch_of(till))
        wait_for(lambda: gate.waiting == 1)  # its token was good when it came
        with central.engine.begin() as connection:
            tills.revoke(connection, till_id_of(till))
    thread.join(10)
    response = answered[0]
    assert response.status_code == 401, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_token" and "revoked" in error["message"]
    assert central_entries(central) == [] and acknowledged_tills(central) == []


def test_waiting_pushes_take_the_freed_slots_oldest_first():
    gate, order = PushGate(1), []

    def push(name):
        with gate.slot(10):
            order.append(name)

    with gate.slot(1):
        threads = []
        for name in "abcd":
            threads.append(threading.Thread(target=push, args=(name,)))
            threads[-1].start()
            while gate.waiting < len(threads):
                time.sleep(0.005)
    for thread in threads:
        thread.join(10)
    assert order == list("abcd")


def test_the_retry_after_says_how_long_the_pushes_ahead_take():
    gate = PushGate(2)
    for _ in range(2):  # two pushes of about 0.3 s each
        with gate.slot(1):
            time.sleep(0.3)
    holders = [threading.Event() for _ in range(2)]
    release = threading.Event()

    def hold(held):
        with gate.slot(1):
            held.set()
            release.wait(10)
    threads = [threading.Thread(target=hold, args=(held,)) for held in holders]
    for thread in threads:
        thread.start()
    for held in holders:
        held.wait(5)
    def wait_then_push():
        with gate.slot(10):
            pass
    waiters = [threading.Thread(target=wait_then_push) for _ in range(10)]
    for waiter in waiters:
        waiter.start()
    while gate.waiting < 10:
        time.sleep(0.005)
    with pytest.raises(Busy) as busy, gate.slot(0.05):
        pass
    # 10 pushes waiting ahead, 0.3 s each, 2 slots: about 1.5 s.
    assert busy.value.retry_after == 2
    release.set()
    for thread in threads + waiters:
        thread.join(10)


class BusyThenOk(http.server.BaseHTTPRequestHandler):
    """Answers the first `busy` POSTs 503 with Retry-After, then 200 {"ok": true}."""
    busy, retry_after, seen = 2, "1", []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append(time.monotonic())
        if len(self.seen) <= self.busy:
            body, status = b'{"error": {"code": "central_busy", "message": "busy"}}', 503
        else:
            body, status = b'{"ok": true}', 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 503:
            self.send_header("Retry-After", self.retry_after)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def busy_server():
    BusyThenOk.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BusyThenOk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_till_sends_again_after_retry_after_and_a_random_part_of_it(busy_server,
                                                                        monkeypatch):
    client = CentralClient(f"http://127.0.0.1:{busy_server.server_port}", "1.secret", 5)
    waits = []
    client.sleep = waits.append
    assert client.post("/pos_autonomous/push", {"entries": []}) == {"ok": True}
    assert len(BusyThenOk.seen) == 3 and client.busy_answers == 2
    assert all(1.0 <= wait <= 1.5 for wait in waits) and len(waits) == 2
    # Tills turned away together come back spread out.
    spread = {round(busy_wait(2), 3) for _ in range(20)}
    assert len(spread) > 10 and min(spread) >= 2 and max(spread) <= 3
    # Busy every time: after BUSY_ANSWERS waits the request fails, saying when to come back.
    BusyThenOk.seen, BusyThenOk.busy = [], 100
    monkeypatch.setattr(BusyThenOk, "retry_after", "7")
    waits.clear()
    with pytest.raises(SyncError) as refused:
        client.post("/pos_autonomous/push", {"entries": []})
    assert len(waits) == BUSY_ANSWERS and refused.value.status == 503
    assert refused.value.retry_after == 7.0 and refused.value.code == "central_busy"
    client.close()


def test_the_synchroniser_waits_at_least_retry_after_before_its_next_pass(central, tmp_path,
                                                                          monkeypatch):
    from addons.pos_autonomous.till.synchroniser import Synchroniser
    from tests.pos_autonomous.test_till_side import make_till
    till = make_till(central, tmp_path)
    set_parameters(till.url, {"pos_autonomous.retry_wait_ms": "10",
                              "pos_autonomous.max_retry_wait_ms": "20"})
    busy = SyncError("busy")
    busy.status, busy.retry_after = 503, 3.0
    said, slept = [], []
    synchroniser = Synchroniser(till, say=said.append)
    monkeypatch.setattr(synchroniser, "sync_once", lambda: (_ for _ in ()).throw(busy))
    synchroniser.sleep = slept.append
    passes = []
    synchroniser.run(should_stop=lambda: passes.append(1) or len(passes) > 3)
    assert len(slept) == 3 and all(3.0 <= wait <= 4.5 for wait in slept)
    assert len(set(slept)) > 1  # at random, not in lockstep
    till.engine.dispose()
