"""`uninterrupted`: statements that wait for PostgreSQL with a plain poll(2), up to a budget,
then with psycopg's own wait; the same results either way. Without gevent the tests hand it
the kernel's poll themselves (under gevent it takes the unpatched one)."""
import importlib
import select

import pytest
from psycopg import waiting
from sqlalchemy import create_engine, text

from addons.pos_longpolling.uninterrupted import uninterrupted
from core.db import resolve_url


@pytest.fixture
def engine(db_url):
    engine = create_engine(resolve_url(db_url))
    yield engine
    engine.dispose()


@pytest.fixture
def postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's driver never yields: nothing to keep")


class CountingPoll:
    """select.poll, counting the waits."""

    def __init__(self):
        self.waits = 0

    def __call__(self):
        counter, poller = self, select.poll()

        class Poller:
            def register(self, fileno, events):
                poller.register(fileno, events)

            def poll(self, milliseconds):
                counter.waits += 1
                return poller.poll(milliseconds)
        return Poller()


@pytest.fixture
def psycopg_waits(monkeypatch):
    """The calls of psycopg's own wait (every statement outside a block, and those of a
    block past their budget), still waiting as psycopg does."""
    calls, psycopg_wait = [], waiting.wait

    def counted(*args, **kwargs):
        calls.append(args)
        return psycopg_wait(*args, **kwargs)
    monkeypatch.setattr(waiting, "wait", counted)
    return calls


def test_statements_wait_alone_and_answer_as_usual(engine, postgresql, psycopg_waits):
    poll = CountingPoll()
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        with uninterrupted(connection, poll=poll):
            before = len(psycopg_waits)
            assert "wait" in vars(driver)
            rows = connection.execute(text("SELECT n FROM generate_series(1, 3) AS n")).all()
            assert connection.exec_driver_sql("SELECT 'kept'").scalar() == "kept"
            assert len(psycopg_waits) == before
        assert "wait" not in vars(driver)
    assert [row.n for row in rows] == [1, 2, 3]
    assert poll.waits >= 2


def test_a_statement_past_the_budget_waits_as_psycopg_does(engine, postgresql, psycopg_waits):
    with engine.begin() as connection:
        with uninterrupted(connection, budget=0.01, poll=CountingPoll()):
            before = len(psycopg_waits)
            assert connection.exec_driver_sql("SELECT 'late' FROM pg_sleep(0.2)").scalar() \
                == "late"
            assert len(psycopg_waits) == before + 1


def test_an_error_of_the_database_is_raised_as_usual(engine, postgresql):
    with engine.connect() as connection:
        with uninterrupted(connection, poll=CountingPoll()):
            with pytest.raises(Exception, match="division by zero"):
                connection.exec_driver_sql("SELECT 1 / 0")


def test_nested_blocks_leave_the_restoring_to_the_outer_one(engine, postgresql):
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        with uninterrupted(connection, poll=CountingPoll()):
            outer = driver.wait
            with uninterrupted(connection, poll=CountingPoll()):
                assert driver.wait is outer
            assert driver.wait is outer
        assert "wait" not in vars(driver)


def test_nothing_changes_without_gevent_or_on_sqlite(engine):
    # (the package's name `uninterrupted` is the function: the module is imported by path)
    module = importlib.import_module("addons.pos_longpolling.uninterrupted")
    assert module._unpatched_poll() is None  # the test process is not monkey-patched
    with engine.connect() as connection:
        with uninterrupted(connection):
            assert connection.exec_driver_sql("SELECT 2").scalar() == 2
