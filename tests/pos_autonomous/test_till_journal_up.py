"""The till's chained journal of technical events (point_of_sale's journal of its instance) goes
up with the pushes: the central instance keeps each event once, exactly as sealed on the till,
checks that it continues the till's chain (an edited event is an alarm naming it) and
acknowledges the journal's head; `core autonomous journal TILL` and the central admin show them.
A jump of the till's clock is the till's alarm (status, admin) and goes up as an alarm."""
import json

from sqlalchemy import select, text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central import receive
from addons.pos_autonomous.central.models import TillJournalEvent
from addons.pos_autonomous.till import journal
from addons.pos_autonomous.till.client import SyncError
from addons.pos_autonomous.till.status import lines, till_status
from addons.pos_autonomous.till.synchroniser import Synchroniser
from tests.pos_autonomous.till_helpers import core
from tests.pos_autonomous.up_helpers import batch_of, record, token_of
from tests.support import signed_in_client, table_row, tamper, text_of


def post(app, till, batch):
    response = app.test_client().post("/pos_autonomous/push", json=batch,
                                      headers={"Authorization": f"Bearer {token_of(till)}"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    record(till, batch, answer)
    return answer


def till_journal(till):
    with till.engine.connect() as connection:
        return point_of_sale.journal_events(connection, limit=10**6)


def central_journal(central, till):
    with central.engine.connect() as connection:
        return receive.till_journal(connection, int(token_of(till).split(".")[0]), limit=10**6)


def alarms(central):
    with central.engine.connect() as connection:
        return [(a.kind, a.first_number, a.message) for a in receive.open_alarms(connection)]


def test_the_tills_journal_goes_up_once_as_sealed(app, central, till):
    with till.engine.begin() as connection:
        journal.record(connection, journal.SYNC_ERROR, "cannot reach the server")
        journal.record(connection, journal.SYNC, "pushed 0 entries")
    sealed = till_journal(till)
    assert [e["kind"] for e in sealed][-2:] == ["till_sync_error", "till_sync"]
    batch = batch_of(till)
    assert batch["journal"] == sealed
    answer = post(app, till, batch)
    assert answer["journal_acknowledged"] == len(sealed)
    held = central_journal(central, till)
    assert [{k: v for k, v in e.items() if k != "till_id"} for e in held] == sealed
    assert batch_of(till)["journal"] == []  # acknowledged: not sent again
    # The same batch again (a reply lost after the commit): nothing stored twice.
    assert post(app, till, batch)["journal_acknowledged"] == len(sealed)
    with central.engine.connect() as connection:
        assert connection.scalar(select(text("count(*)")).select_from(
            TillJournalEvent.__table__)) == len(sealed)
    # Later events go up after the acknowledged ones, and the chain on the central goes on.
    with till.engine.begin() as connection:
        journal.record(connection, journal.FULL_RELOAD, "product: schema changed")
    assert [e["number"] for e in batch_of(till)["journal"]] == [len(sealed) + 1]
    assert post(app, till, batch_of(till))["journal_acknowledged"] == len(sealed) + 1
    assert alarms(central) == []
    with till.engine.connect() as connection:
        assert till_status(connection)["up"]["journal_waiting"] == 0
    # `core autonomous journal TILL` and the central admin list them.
    till_id = token_of(till).split(".")[0]
    shown = core("--db", central.url, "autonomous", "journal", till_id).stdout
    assert "till_full_reload" in shown and "chain intact" in shown, shown
    as_json = json.loads(core("--db", central.url, "autonomous", "journal", till_id,
                              "--json").stdout)
    assert [e["number"] for e in as_json] == list(range(1, len(sealed) + 2))
    page = text_of(signed_in_client(app, central).get("/web/pos_autonomous/"))
    assert "till_full_reload" in page and "till_sync_error" in page
    # A central database that went back (its later rows lost): the till sends again from there.
    with central.engine.begin() as connection:
        connection.execute(TillJournalEvent.__table__.delete().where(
            TillJournalEvent.number > 2))
    with till.engine.begin() as connection:
        journal.record(connection, journal.SYNC, "pushed 1 entry")
    assert post(app, till, batch_of(till))["journal_acknowledged"] == 2  # a gap: stops there
    assert post(app, till, batch_of(till))["journal_acknowledged"] == len(sealed) + 2
    assert [e["number"] for e in central_journal(central, till)] == list(
        range(1, len(sealed) + 3))
    assert alarms(central) == []


def test_an_event_edited_on_the_till_is_alarmed_naming_it(app, central, till):
    post(app, till, batch_of(till))  # what init journaled goes up
    acknowledged = len(till_journal(till))
    with till.engine.begin() as connection:
        journal.record(connection, journal.SYNC, "pushed 3 entries")
        journal.record(connection, journal.SYNC, "pushed 4 entries")
    edited = acknowledged + 1
    with tamper(till.engine) as connection:
        connection.execute(text(
            "UPDATE point_of_sale_journal_event SET details = :details "
            "WHERE chain = 'local' AND number = :number"),
            {"details": '{"message":"pushed 0 entries"}', "number": edited})
    answer = post(app, till, batch_of(till))
    assert answer["journal_acknowledged"] == edited + 1  # kept as received, and alarmed
    found = [(kind, number, message) for kind, number, message in alarms(central)
             if kind == receive.TILL_JOURNAL]
    assert [(kind, number) for kind, number, _ in found] == [(receive.TILL_JOURNAL, edited)]
    assert f"event {edited} (till_sync)" in found[0][2] and "till" in found[0][2]
    held = central_journal(central, till)
    assert json.loads(json.dumps(held[edited - 1]["details"])) == {"message": "pushed 0 entries"}
    # Sent again: stored once, the alarm counts up rather than piling up.
    post(app, till, batch_of(till, after=None) | {"journal": till_journal(till)[edited - 1:]})
    assert len(central_journal(central, till)) == edited + 1
    assert len([a for a in alarms(central) if a[0] == receive.TILL_JOURNAL]) == 1


class Clocks:
    def __init__(self):
        self.wall, self.monotonic = 1_000_000.0, 50.0


def test_a_clock_jump_is_the_tills_alarm_and_goes_up_as_one(app, central, till):
    synchroniser = Synchroniser(till)
    clocks = Clocks()
    synchroniser.clock = journal.ClockWatch(lambda: clocks.wall, lambda: clocks.monotonic)
    for wall_jump in (0, 3600):  # the first pass only remembers; the second sees the jump
        clocks.wall += 30 + wall_jump
        clocks.monotonic += 30
        try:
            synchroniser.sync_once()  # no server on port 9: the pass fails after the check
        except SyncError:
            pass
    with till.engine.connect() as connection:
        state = till_status(connection)
    assert state["alarm"].startswith("the till's clock went forward by 3600 s")
    assert any(line.startswith("ALARM: the till's clock went forward") for line in lines(state))
    assert "till_clock_change" in [e["kind"] for e in till_journal(till)]
    post(app, till, batch_of(till))
    assert [(kind, message) for kind, _number, message in alarms(central)
            if kind == receive.CLOCK_CHANGE] == [
        (receive.CLOCK_CHANGE, "till Shop reports: the till's clock went forward by 3600 s "
                               "between two passes")]
    from core.web.users import set_password
    from tests.support import testing_app
    with till.engine.begin() as connection:
        set_password(connection, "manager", "password123")
    till_page = text_of(signed_in_client(testing_app(till), till).get("/web/pos_autonomous/"))
    assert table_row(till_page, "sync-alarm")[0].startswith("the till's clock went forward")


def test_a_journal_event_of_the_wrong_shape_refuses_the_push_with_a_400(app, central, till):
    """A month 13 passes the time's pattern but is no time; a details that is not an object, or
    numbers that do not follow each other, are refused too: 400 and nothing stored."""
    with till.engine.begin() as connection:
        journal.record(connection, journal.SYNC, "pushed 0 entries")
    sealed = till_journal(till)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token_of(till)}"}
    wrong = [[dict(sealed[0], at="2026-13-45T10:00:00.000000Z")],
             [dict(sealed[0], details=[1])],
             [sealed[0], dict(sealed[0], number=sealed[0]["number"] + 2)]]
    for events in wrong:
        answer = client.post("/pos_autonomous/push", headers=headers,
                             json=batch_of(till) | {"journal": events})
        assert answer.status_code == 400, answer.get_json()
        assert answer.get_json()["error"]["code"] == "invalid_push"
    assert central_journal(central, till) == []
