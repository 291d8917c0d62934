"""pos_longpolling's part of GET /web/health: the bus listener of this process."""
import os

import psycopg
import pytest

from addons.pos_longpolling import wakeup

LISTENER = "pos_longpolling: bus listener"


def test_health_says_the_bus_listener_works(anonymous):
    answer = anonymous.get("/web/health")
    assert answer.status_code == 200, answer.json
    assert answer.json["checks"] == {"database": "ok", LISTENER: "ok"}


@pytest.mark.skipif(not os.environ.get("CORE_TEST_DB"), reason="SQLite wakes pollers in memory")
def test_health_answers_503_while_the_bus_listener_cannot_listen(addon_instance, anonymous,
                                                                 monkeypatch):
    def refused(*args, **kwargs):
        raise psycopg.OperationalError("connection refused (test)")
    monkeypatch.setattr(wakeup.psycopg, "connect", refused)
    monkeypatch.setattr(wakeup, "HEALTH_WAIT", 0.2)
    monkeypatch.setitem(wakeup._listeners, str(addon_instance.engine.url), None)
    answer = anonymous.get("/web/health")
    assert answer.status_code == 503
    assert answer.json["checks"][LISTENER].startswith("the bus listener is not listening")
