"""Two real instances (the central one under `core serve`, on PostgreSQL in the PostgreSQL run;
a till made by `package` and `init`): tickets sold while the central server is down reach it
exactly once when it returns, in the till's session; `core autonomous status` says what waits
and the last error in words; a ticket edited in the till's database is alarmed at the next
pass."""
import json

import pytest
from sqlalchemy import create_engine, select, text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.models import TillEvent
from addons.pos_autonomous.central.receive import open_alarms
from tests.pos_autonomous.till_helpers import core, till_state
from tests.pos_autonomous.up_helpers import central_entries, central_order_count, sell
from tests.support import tamper

pytestmark = pytest.mark.timeout(300)  # a dozen `core` commands on a loaded machine


def status(till_url):
    """What `core autonomous status --json` prints (read in process: a command costs seconds)."""
    return till_state(till_url)


def test_tickets_sold_while_the_server_is_down_reach_it_exactly_once(central, central_server,
                                                                     make_till):
    till_url = make_till(1)
    till = create_engine(till_url)
    try:
        early = sell(till, 3)
        core("--db", till_url, "autonomous", "sync", "--once")
        assert [u for _, u in central_entries(central)] == early
        central_server.kill()
        late = sell(till, 4)
        failed = core("--db", till_url, "autonomous", "sync", "--once", check=False)
        assert failed.returncode != 0
        state = status(till_url)
        assert state["state"] == "error" and "cannot reach" in state["last_error"]
        assert (state["up"]["tickets"], state["up"]["last_acknowledged"]) == (4, 3)
        text_status = core("--db", till_url, "autonomous", "status").stdout
        assert "waiting to go up: 4 ticket(s), 0 closing(s)" in text_status
        central_server.start()
        result = core("--db", till_url, "autonomous", "sync", "--once")
        assert "pushed 4 entries" in result.stdout
        core("--db", till_url, "autonomous", "sync", "--once")  # nothing more goes up
        assert central_entries(central) == list(enumerate(early + late, start=1))
        assert central_order_count(central, early + late) == 7
        state = status(till_url)
        assert state["state"] == "ok" and state["last_error"] is None
        assert (state["up"]["tickets"], state["up"]["last_acknowledged"]) == (0, 7)
        with central.engine.connect() as connection:
            sessions = set(connection.execute(
                select(point_of_sale.PosSession.name)
                .join(point_of_sale.Order, point_of_sale.Order.session_id
                      == point_of_sale.PosSession.id)
                .where(point_of_sale.Order.uuid.in_(early + late))).scalars())
            events = [e.kind for e in connection.execute(select(TillEvent))]
            assert point_of_sale.verify_chain(connection, 1).ok
        with till.connect() as connection:
            till_sessions = set(connection.execute(
                select(point_of_sale.PosSession.name)).scalars())
        assert sessions == till_sessions
        assert "sync_error" in events and "sync" in events  # the till's journal came up
        central_state = json.loads(core("--db", central.url, "autonomous", "status",
                                        "--json").stdout)
        assert [(t["last_acknowledged"], t["open_alarms"]) for t in central_state["tills"]] \
            == [(7, 0)]
    finally:
        till.dispose()


def test_a_ticket_edited_in_the_tills_database_is_alarmed_at_the_next_pass(central,
                                                                           central_server,
                                                                           make_till):
    till_url = make_till(1)
    till = create_engine(till_url)
    try:
        uuids = sell(till, 2)
        core("--db", till_url, "autonomous", "sync", "--once")
        with tamper(till) as connection:
            connection.execute(text("UPDATE point_of_sale_payment SET amount = 50 WHERE "
                                    "order_id = (SELECT id FROM point_of_sale_order "
                                    "WHERE uuid = :uuid)"), {"uuid": uuids[1]})
        core("--db", till_url, "autonomous", "sync", "--once")
        with central.engine.connect() as connection:
            assert [(a.kind, a.first_number) for a in open_alarms(connection)] \
                == [("till_chain", 2)]
    finally:
        till.dispose()
