"""The tail's own PostgreSQL connection: it reads what the pool reads, survives the loss of its
connection without failing a read, and is never shared with a forked process."""
import os

import psycopg
import pytest

from addons.pos_longpolling import bus, tail_reader


@pytest.fixture
def engine(addon_instance):
    if addon_instance.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads the tail through the pool")
    return addon_instance.engine


def reader_of(engine):
    return tail_reader.reader_for(engine)


def send(engine, *channels):
    with bus.BusTransaction(engine) as transaction:
        for channel in channels:
            transaction.send(channel, {"to": channel})


def test_it_reads_what_the_pool_reads(engine):
    reader = reader_of(engine)
    start = reader.high()
    send(engine, "a", "b", "a")
    rows = reader.after(start, 10)
    with engine.connect() as connection:
        stored = bus.fetch_encoded(connection, ["a", "b"], start)
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (item["id"], item["channel"], item["message"].text) for item in stored]
    assert reader.high() == rows[-1][0] and reader.after(start, 2) == rows[:2]


def test_a_lost_connection_costs_no_read(engine):
    reader = reader_of(engine)
    high = reader.high()
    pid = reader._connection.info.backend_pid
    with psycopg.connect(reader.conninfo, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    send(engine, "c")
    assert [row[1] for row in reader.after(high, 10)] == ["c"]
    assert reader._connection.info.backend_pid != pid


def test_a_column_changed_while_serving_costs_no_read(engine):
    """A migration changes a column's type under the kept connection's prepared statement
    (PostgreSQL: "cached plan must not change result type")."""
    reader = reader_of(engine)
    high = reader.high()
    reader.after(high, 10)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "ALTER TABLE pos_longpolling_message ALTER COLUMN channel TYPE varchar(500)")
    send(engine, "d")
    assert [row[1] for row in reader.after(high, 10)] == ["d"]


def test_a_failed_first_connection_says_why(engine):
    reader = tail_reader.TailReader(engine.url.set(
        drivername="postgresql", database="no_such_database_here").render_as_string(False))
    with pytest.raises(psycopg.OperationalError, match="no_such_database_here"):
        reader.high()
    assert reader._connection is None


def test_a_forked_process_gets_a_reader_of_its_own(engine, monkeypatch):
    parent = reader_of(engine)
    monkeypatch.setattr(os, "getpid", lambda: -1)
    child = reader_of(engine)
    assert child is not parent and child._connection is None and reader_of(engine) is child
