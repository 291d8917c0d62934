"""PostgreSQL connections are pinged on checkout only after they sat idle in the pool
(core.db.IDLE_PING_SECONDS): a connection used a moment ago costs no extra round trip, and one
whose server side died while it was idle is replaced without the caller seeing an error."""
import pytest
from sqlalchemy import create_engine, text

from core import db


@pytest.fixture
def engine(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the pool pings PostgreSQL connections; set CORE_TEST_DB to run this test")
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine, monkeypatch):
    counted = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection):
        counted.append(dbapi_connection)
        return real_ping(dbapi_connection)
    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    return counted


def backend_pid(engine):
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_used_a_moment_ago_is_not_pinged(engine, pings):
    first = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_connection_whose_backend_died_is_replaced_silently(engine, pings, db_url,
                                                                    monkeypatch):
    dead = backend_pid(engine)
    killer = create_engine(db.resolve_url(db_url))
    with killer.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead}).scalar()
    killer.dispose()
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    replaced = backend_pid(engine)
    assert replaced != dead
    assert len(pings) == 1
