"""What one update costs the database: statements per update_order (each one a round trip to
PostgreSQL, where the multi-session's lock is held across all of them), and one read of the
bus per wake-up for all the pollers of a process. Counted with SQLAlchemy's cursor events and,
for the statements the sync server runs on the driver's connection (its sql.py), at that
runner, on SQLite and PostgreSQL alike."""
import threading

import pytest
from sqlalchemy import event

from addons.pos_longpolling import bus
from addons.pos_longpolling.bus import pos_channel
from addons.pos_multi_session_sync import protocol, store
from addons.pos_multi_session_sync.sql import Sql
from addons.pos_multi_session_sync.validation import check_update
from tests.pos_multi_session_sync.sync_helpers import DBNAME, Till, line, order

TILLS = range(1, 6)


class DirectClient:
    """The protocol called in this process, as the route calls it."""

    def __init__(self, engine):
        self.engine = engine

    def post(self, path, json, headers):
        return _Reply(protocol.handle_update(self.engine, check_update(json)))


class _Reply:
    status_code = 200

    def __init__(self, reply):
        self.reply = reply

    def get_json(self):
        return self.reply


class StatementLog:
    """Every statement the engine sends (an executemany counts once: one round trip), but
    SQLite's BEGIN IMMEDIATE (PostgreSQL's BEGIN does not go through a cursor either), and
    every statement of the sync server's driver-level runner."""

    def __init__(self, engine, monkeypatch):
        self.statements = []
        event.listen(engine, "before_cursor_execute", self._seen)
        self.engine = engine
        run = Sql.run

        def logged_run(sql, connection, values):
            self.statements.append(sql.text[connection.dialect.name][:80])
            return run(sql, connection, values)
        monkeypatch.setattr(Sql, "run", logged_run)

    def _seen(self, _connection, _cursor, statement, _parameters, _context, _executemany):
        if not statement.startswith("BEGIN"):
            self.statements.append(" ".join(statement.split())[:80])

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def statements(addon_instance, monkeypatch):
    log = StatementLog(addon_instance.engine, monkeypatch)
    yield log
    log.close()


def is_postgresql(instance):
    return instance.engine.dialect.name == "postgresql"


@pytest.fixture
def tills(addon_instance):
    client = DirectClient(addon_instance.engine)
    tills = [Till(client, pos_id=pos_id) for pos_id in TILLS]
    for till in tills:
        till.sync_all()
    return tills


def test_an_update_costs_three_statements_on_postgresql(addon_instance, tills, statements):
    """The lock (with the sender's registration and the order), the writes (the order, the
    multi-session's row, every till's message number: UPDATE ... RETURNING), the bus messages
    (the bus lock, the NOTIFY and every message: one INSERT ... SELECT). On SQLite the writes
    are a statement each, the messages one executemany (and the update one savepoint of a
    group commit, pos_longpolling's group_commit.py, whose SAVEPOINT and RELEASE go to SQLite
    directly). A new order costs the same on PostgreSQL."""
    first = tills[0].update_order(order("A", [line("A", number=1)]))
    created = list(statements.statements)
    del statements.statements[:]
    reply = tills[0].update_order(order("A", [line("A", number=1), line("A", number=2)],
                                        revision=first["revision_ID"]))
    assert reply["revision_ID"] == first["revision_ID"] + 1
    if is_postgresql(addon_instance):
        assert len(created) == 3, created
        assert len(statements.statements) == 3, statements.statements
    else:  # the new order's INSERT and counter; the known one's UPDATE
        assert len(created) == 5, created
        assert len(statements.statements) == 4, statements.statements


def test_an_order_read_with_the_lock_is_the_last_one(addon_instance, tills):
    """An update that waited for the lock while another changed the order gets the order
    that other update committed (on PostgreSQL the lock's own read is then of before that
    commit and is not used; store.py): no change of the first is lost."""
    engine = addon_instance.engine
    first = tills[0].update_order(order("E", [line("E", number=1)]))
    key = store.MultiSessionKey(DBNAME, 1)
    read = []
    holding = threading.Event()

    def second():
        holding.wait()
        with engine.begin() as connection:
            locked = store.lock_multi_session(connection, key, 2, "E")
            run = protocol.Run(key, locked.run_id, locked.order_id, locked.order)
            read.append(run.stored_order(connection, "E"))

    waiting = threading.Thread(target=second)
    waiting.start()
    with engine.begin() as connection:
        store.lock_multi_session(connection, key, 1, "E")
        holding.set()
        waiting.join(0.5)  # the second update waits for the lock meanwhile
        stored = store.load_order(connection, key, "E")
        stored.revision, stored.nonce = first["revision_ID"] + 1, "changed"
        store.write(connection, key, stored)
    waiting.join()
    assert (read[0].revision, read[0].nonce) == (first["revision_ID"] + 1, "changed")


def test_a_till_that_never_synced_is_registered_by_its_first_update(addon_instance, tills):
    newcomer = Till(DirectClient(addon_instance.engine), pos_id=9)
    newcomer.update_order(order("B", [line("B", number=1)], pos_id=9))
    tills[0].update_order(order("C", [line("C", number=1)]))
    with addon_instance.engine.connect() as connection:
        received = bus.fetch(connection, [pos_channel(DBNAME, "pos.multi_session", 9)], 0)
    assert [m["message"]["data"]["message_ID"] for m in received] == [1, 2]
    assert [m["message"]["data"]["uid"] for m in received] == ["B", "C"]


def test_pollers_woken_together_read_the_bus_once(addon_instance, tills, statements):
    """After an update, the other tills' polls are answered from the process's tail: one
    SELECT for all of them, none on PostgreSQL when the sending process put its own messages
    in its tail (unless its listener thread took the NOTIFY first: then one)."""
    engine = addon_instance.engine
    channels = [pos_channel(DBNAME, "pos.multi_session", till.pos_id) for till in tills[1:]]
    with engine.connect() as connection:
        last = max([m["id"] for m in bus.fetch(connection, channels, 0)] or [0])
    bus.poll(engine, channels, last, 0)  # the tail has read the bus as it is now
    tills[0].update_order(order("D", [line("D", number=1)]))
    del statements.statements[:]
    answers = [bus.poll(engine, [channel], last, 5) for channel in channels]
    assert [[m["message"]["data"]["uid"] for m in answer] for answer in answers] == \
        [["D"]] * len(channels)
    if engine.dialect.name == "postgresql":
        assert len(statements.statements) <= 1, statements.statements
    else:
        assert len(statements.statements) == 1, statements.statements
