"""A ticket sealed earlier than the one before it (a clock set back) and a closing dated before
its session opened are sealed all the same (the shop goes on) but alarmed, naming the ticket
and whose clock: this server's when it sealed them, the till's when a till sent them."""
from datetime import timedelta

import pytest

from addons.point_of_sale import ledger_alarms, ledger_entries, push_orders, receive_sealed_entries
from addons.point_of_sale.sessions import close_session, open_session
from core.models import utc_now
from tests.support import installed_instance


def an_order(session, uuid):
    return {"uuid": uuid, "session_id": session, "created_at": "2026-11-22T10:15:00Z",
            "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
            "payments": [{"method": "cash", "amount": 5}]}


def set_clock_back(monkeypatch, delta):
    """This server's clock, `delta` behind, for what seals and closes."""
    from addons.point_of_sale import closing, ledger_seal
    monkeypatch.setattr(ledger_seal, "utc_now", lambda: utc_now() - delta)
    monkeypatch.setattr(closing, "utc_now", lambda: utc_now() - delta)


def test_a_ticket_sealed_with_the_clock_set_back_is_alarmed_on_this_server(
        addon_instance, monkeypatch):
    with addon_instance.engine.begin() as connection:
        session = open_session(connection, 1)
        push_orders(connection, [an_order(session, "a")])
    set_clock_back(monkeypatch, timedelta(hours=3))
    with addon_instance.engine.begin() as connection:
        [result] = push_orders(connection, [an_order(session, "b")])
    assert result["number"] == 2  # sealed: the shop goes on
    with addon_instance.engine.connect() as connection:
        [alarm] = ledger_alarms(connection, 1)
    assert (alarm["kind"], alarm["number"], alarm["side"]) == ("clock_back", 2, "local")
    assert "ticket 2 was sealed at" in alarm["message"]
    assert "3 hours before ticket 1" in alarm["message"]
    assert "this server's clock went back" in alarm["message"]


def test_a_small_step_back_within_the_tolerance_is_not_alarmed(addon_instance, monkeypatch):
    with addon_instance.engine.begin() as connection:
        session = open_session(connection, 1)
        push_orders(connection, [an_order(session, "a")])
    set_clock_back(monkeypatch, timedelta(minutes=2))
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(session, "b")])
    with addon_instance.engine.connect() as connection:
        assert ledger_alarms(connection, 1) == []


def test_the_tolerance_is_a_system_parameter(addon_instance, monkeypatch):
    """point_of_sale.ledger_clock_tolerance (seconds, 300 by default): 10 minutes back is an
    alarm by default, not once the tolerance is an hour, and is again at 5 minutes."""
    from addons.point_of_sale.ledger_alarms import CLOCK_TOLERANCE_DEFAULT, CLOCK_TOLERANCE_KEY
    with addon_instance.engine.begin() as connection:
        parameters = addon_instance.parameters(connection)
        assert parameters.get(CLOCK_TOLERANCE_KEY) == CLOCK_TOLERANCE_DEFAULT == 300
        parameters.set(CLOCK_TOLERANCE_KEY, 3600)
        session = open_session(connection, 1)
        push_orders(connection, [an_order(session, "a")])
    set_clock_back(monkeypatch, timedelta(minutes=10))
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(session, "b")])
    with addon_instance.engine.connect() as connection:
        assert ledger_alarms(connection, 1) == []  # within the hour
    with addon_instance.engine.begin() as connection:
        addon_instance.parameters(connection).set(CLOCK_TOLERANCE_KEY, 300)
    set_clock_back(monkeypatch, timedelta(minutes=20))  # 10 minutes before ticket 2
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(session, "c")])
    with addon_instance.engine.connect() as connection:
        [alarm] = ledger_alarms(connection, 1)
    assert (alarm["kind"], alarm["number"]) == ("clock_back", 3)
    assert "10 minutes before ticket 2" in alarm["message"]


def test_a_closing_dated_before_its_session_opened_is_alarmed(addon_instance, monkeypatch):
    with addon_instance.engine.begin() as connection:
        session = open_session(connection, 1)
        push_orders(connection, [an_order(session, "a")])
    set_clock_back(monkeypatch, timedelta(days=30))
    with addon_instance.engine.begin() as connection:
        close_session(connection, 1, addon_instance.plugin_manager())
    with addon_instance.engine.connect() as connection:
        kinds = {alarm["kind"]: alarm for alarm in ledger_alarms(connection, 1)}
    alarm = kinds["closing_before_opening"]
    assert (alarm["number"], alarm["side"]) == (2, "local")
    assert "closing ticket 2 of session Shop/00001 is dated" in alarm["message"]
    assert "30 days before the session opened" in alarm["message"]


@pytest.fixture
def central(other_db_url):
    instance = installed_instance(other_db_url, ["point_of_sale"])
    yield instance
    instance.engine.dispose()


def test_a_tills_ticket_and_closing_sealed_with_its_clock_back_are_alarmed_on_the_central(
        addon_instance, central, monkeypatch):
    with addon_instance.engine.begin() as connection:
        session = open_session(connection, 1)
        push_orders(connection, [an_order(session, "a")])
    set_clock_back(monkeypatch, timedelta(days=30))
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(session, "b")])
        close_session(connection, 1, addon_instance.plugin_manager())
    with addon_instance.engine.connect() as connection:
        entries = ledger_entries(connection, 1)
    with central.engine.begin() as connection:
        results = receive_sealed_entries(connection, 1, entries)
    assert [r["status"] for r in results] == ["stored"] * 3
    with central.engine.connect() as connection:
        alarms = {alarm["kind"]: alarm for alarm in ledger_alarms(connection, 1)}
    assert (alarms["clock_back"]["number"], alarms["clock_back"]["side"]) == (2, "till")
    assert "the till's clock went back" in alarms["clock_back"]["message"]
    closing = alarms["closing_before_opening"]
    assert (closing["number"], closing["side"]) == (3, "till")
    assert "30 days before the session opened" in closing["message"]


def test_the_seal_refuses_a_config_served_elsewhere_and_moves_nothing(addon_instance):
    """The last guard, folded into the head's update: nothing numbered, CoreError."""
    from addons.point_of_sale import ledger_head, seal_record
    from addons.point_of_sale.models import ConfigWriter
    from core.errors import CoreError
    with addon_instance.engine.begin() as connection:
        session = open_session(connection, 1)
        push_orders(connection, [an_order(session, "a")])
        connection.execute(ConfigWriter.__table__.insert().values(
            config_id=1, writer="till 7", reason="handed to an autonomous till"))
    with pytest.raises(CoreError, match="served by till 7"), \
            addon_instance.engine.begin() as connection:
        seal_record(connection, 1, "order", "a")
    with addon_instance.engine.connect() as connection:
        assert ledger_head(connection, 1)[0] == 1
