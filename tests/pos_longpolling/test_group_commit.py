"""bus_transaction: on SQLite the transactions that arrive together share one commit, each in
its own savepoint; a failed one takes no other with it, and none returns before its work has
committed. On PostgreSQL each is a BusTransaction of its own: the same outcomes hold."""
import threading

import pytest
from sqlalchemy import event

from addons.pos_longpolling import bus, bus_transaction
from core.db import sqlite_writer

CHANNEL = bus.pos_channel("test", "pos.longpolling", 1)


class Boom(Exception):
    pass


def messages(engine):
    with engine.connect() as connection:
        return sorted(item["message"] for item in bus.fetch(connection, [CHANNEL], 0))


def send_together(engine, count, work):
    """`count` threads run `work(bus, n)` in a bus_transaction, started while the SQLite
    writer lock is held here, so that they all join one batch; their outcomes, by n."""
    outcomes, started = {}, threading.Barrier(count + 1)

    def member(n):
        started.wait()
        try:
            with bus_transaction(engine) as transaction:
                work(transaction, n)
            outcomes[n] = ("committed", messages(engine))  # read from another connection
        except Exception as error:  # noqa: BLE001 - the outcome is what is tested
            outcomes[n] = ("raised", error)

    threads = [threading.Thread(target=member, args=(n,)) for n in range(count)]
    holder = sqlite_writer(engine) if engine.dialect.name == "sqlite" else threading.Lock()
    with holder:
        for thread in threads:
            thread.start()
        started.wait()
        threading.Event().wait(0.2)  # the members line up behind the writer lock
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.fixture
def commits(addon_instance):
    counted = []
    listener = lambda _connection: counted.append(1)  # noqa: E731
    event.listen(addon_instance.engine, "commit", listener)
    yield counted
    event.remove(addon_instance.engine, "commit", listener)


def test_members_commit_together_and_a_failed_one_alone_is_rolled_back(addon_instance,
                                                                          commits):
    engine = addon_instance.engine

    def work(transaction, n):
        transaction.send(CHANNEL, f"m{n}")
        if n == 2:
            raise Boom("this one fails")

    outcomes = send_together(engine, 5, work)
    assert messages(engine) == ["m0", "m1", "m3", "m4"]
    assert isinstance(outcomes[2][1], Boom)
    for n in (0, 1, 3, 4):
        state, seen = outcomes[n]
        assert state == "committed" and f"m{n}" in seen  # committed before the member left
    if engine.dialect.name == "sqlite":
        assert len(commits) < 5  # at least two members shared a commit


def test_a_failed_commit_fails_every_member_and_stores_nothing(addon_instance):
    engine = addon_instance.engine

    def refuse(_connection):
        raise Boom("the disk is gone")

    event.listen(engine, "commit", refuse)
    try:
        outcomes = send_together(engine, 3, lambda transaction, n: transaction.send(CHANNEL,
                                                                                  f"m{n}"))
    finally:
        event.remove(engine, "commit", refuse)
    assert [state for state, _ in outcomes.values()] == ["raised"] * 3
    assert messages(engine) == []
    with bus_transaction(engine) as transaction:  # the next batch works again
        transaction.send(CHANNEL, "after")
    assert messages(engine) == ["after"]


def test_a_member_alone_commits_its_work_with_its_messages(addon_instance):
    engine = addon_instance.engine
    with bus_transaction(engine) as transaction:
        transaction.send(CHANNEL, "alone")
    assert messages(engine) == ["alone"]
