"""Updates of one multi-session waiting together in a worker share one transaction
(combining.py): each gets its own reply or its own refusal, and one that fails does not fail
the others. Threads stand in for a worker's greenlets; the Combiner does not care which."""
import threading
import time

import pytest
from sqlalchemy import text

from addons.pos_longpolling import bus
from addons.pos_multi_session_sync.combining import Combiner
from core.addons import AddonCatalog
from core.instance import Instance

KEY = ("shop", 1)
CHANNEL = '["shop","pos.multi_session","1"]'


class Refused(Exception):
    pass


@pytest.fixture
def engine(db_url):
    instance = Instance(db_url, AddonCatalog())
    instance.install(["pos_longpolling"])
    yield instance.engine
    instance.engine.dispose()


def sent_messages(engine):
    with engine.connect() as connection:
        return [row["message"] for row in bus.fetch(connection, [CHANNEL], 0)]


def run_batch(combiner, works):
    """The first of `works` leads; the others queue behind it while it waits; every work's
    outcome ("reply", value) or ("error", exception), in order."""
    release = threading.Event()
    outcomes = [None] * len(works)

    def leader_work(bus_transaction):
        release.wait(10)
        return works[0](bus_transaction)

    def call(index, work):
        try:
            outcomes[index] = ("reply", combiner.run(KEY, work, refusals=(Refused,)))
        except Exception as error:  # noqa: BLE001 - what the test looks at
            outcomes[index] = ("error", error)

    threads = [threading.Thread(target=call, args=(0, leader_work))]
    threads[0].start()
    while not combiner._queues.get(KEY):
        time.sleep(0.001)
    for index, work in enumerate(works[1:], start=1):
        threads.append(threading.Thread(target=call, args=(index, work)))
        threads[-1].start()
        # One at a time: threads started together may queue in any order (a CI run: b, d, c).
        while len(combiner._queues[KEY].waiting) < index:
            time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(10)
    return outcomes


def sending(message, seen):
    def work(bus_transaction):
        seen.append((message, id(bus_transaction), threading.get_ident()))
        bus_transaction.send(CHANNEL, {"message": message})
        return f"reply {message}"
    return work


def test_waiting_updates_run_in_the_leaders_next_transaction(engine):
    seen = []
    outcomes = run_batch(Combiner(engine), [sending(name, seen) for name in "abcd"])
    assert outcomes == [("reply", f"reply {name}") for name in "abcd"]
    assert sent_messages(engine) == [{"message": name} for name in "abcd"]
    (_, first_bus, leader), *queued = seen
    # The three that queued behind the leader's first batch ran as the next batch, in one
    # transaction, in the thread of the first of them (the next leader), in their order.
    assert len({bus_id for _, bus_id, _ in queued}) == 1
    assert len({thread for _, _, thread in queued}) == 1
    assert queued[0][1] != first_bus


def test_a_refusal_is_its_own_and_the_others_commit(engine):
    seen = []

    def refused(bus_transaction):
        raise Refused("run_ID ahead")

    outcomes = run_batch(Combiner(engine), [sending("a", seen), sending("b", seen), refused,
                                            sending("d", seen)])
    assert outcomes[:2] == [("reply", "reply a"), ("reply", "reply b")]
    assert outcomes[2][0] == "error" and isinstance(outcomes[2][1], Refused)
    assert outcomes[3] == ("reply", "reply d")
    assert sent_messages(engine) == [{"message": name} for name in "abd"]


def test_a_failing_update_fails_alone(engine):
    seen = []

    def broken(bus_transaction):
        bus_transaction.send(CHANNEL, {"message": "never"})
        bus_transaction.connection.execute(text("SELECT * FROM no_such_table"))

    outcomes = run_batch(Combiner(engine), [sending("a", seen), sending("b", seen), broken,
                                            sending("d", seen)])
    assert [outcome for index, outcome in enumerate(outcomes) if index != 2] == [
        ("reply", "reply a"), ("reply", "reply b"), ("reply", "reply d")]
    assert outcomes[2][0] == "error" and "no_such_table" in str(outcomes[2][1])
    # b and d ran again alone after their batch with the broken one was rolled back.
    assert sent_messages(engine) == [{"message": name} for name in "abd"]
    assert not Combiner(engine)._queues


def test_the_queue_is_gone_once_everything_ran(engine):
    combiner = Combiner(engine)
    assert combiner.run(KEY, lambda bus_transaction: "alone") == "alone"
    assert combiner._queues == {}
