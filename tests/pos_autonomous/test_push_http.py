"""POST /pos_autonomous/push through Flask's test client, with a real till database made from
its package: each ticket stored once, acknowledged per ticket and journaled; the same batch
twice; batches out of order (a gap alarm that closes); a ticket edited, deleted or reordered in
the till's database (alarms); the till's sessions on the central instance; the technical events
journal; who may push, and bad input."""
import io
import json
import shutil
import sqlite3

import pytest
from sqlalchemy import select, text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.models import Acknowledgement, Alarm, TillEvent, TillSession
from addons.pos_autonomous.central.receive import open_alarms
from addons.pos_autonomous.till import journal
from addons.pos_autonomous.till.high_water import DatabaseBehind
from core.web.users import set_password
from tests.hostile_json import deep_array, deep_object
from tests.pos_autonomous.up_helpers import (
    batch_of,
    central_entries,
    central_order_count,
    local_till,
    record,
    revoked_token,
    sell,
    token_of,
)
from tests.support import post_form, signed_in_client, table_row, tamper, text_of
from tests.support import testing_app as built_app


def post(app, token, body, raw=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        return app.test_client().post("/pos_autonomous/push", headers=headers, data=raw,
                                      content_type="application/json")
    return app.test_client().post("/pos_autonomous/push", headers=headers, json=body)


def push(app, till, batch):
    response = post(app, token_of(till), batch)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    record(till, batch, answer)
    return answer


def backup(source, target):
    """SQLite's online backup, as a shop's backup tool takes and restores one."""
    source, target = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def alarms(central):
    with central.engine.connect() as connection:
        return [(a.kind, a.first_number) for a in open_alarms(connection)]


def test_tickets_are_stored_once_acknowledged_per_ticket_and_journaled(app, central, till):
    uuids = sell(till.engine, 5)
    batch = batch_of(till)
    assert (batch["first"], batch["last"], batch["head"]["number"]) == (1, 5, 5)
    answer = push(app, till, batch)
    assert [a["status"] for a in answer["acks"]] == ["stored"] * 5
    assert answer["acknowledged"] == 5
    assert central_entries(central) == list(enumerate(uuids, start=1))
    # The same batch again (a reply lost after the commit): acknowledged, nothing new stored.
    again = post(app, token_of(till), batch).get_json()
    assert [a["status"] for a in again["acks"]] == ["duplicate"] * 5
    assert central_order_count(central, uuids) == 5
    with central.engine.connect() as connection:
        journal_rows = connection.execute(select(Acknowledgement).order_by(
            Acknowledgement.id)).all()
        assert [(r.first_number, r.last_number, r.stored, r.duplicates, r.acknowledged)
                for r in journal_rows] == [(1, 5, 5, 0, 5), (1, 5, 0, 5, 5)]
        chain = point_of_sale.verify_chain(connection, 1)
    assert chain.ok and chain.checked == 5  # the central chain is the till's, link for link
    assert alarms(central) == []
    assert batch_of(till)["entries"] == []  # the till recorded its acknowledgement


def test_the_tills_tickets_are_in_the_tills_session_on_the_central_instance(app, central,
                                                                           till):
    uuids = sell(till.engine, 2)
    push(app, till, batch_of(till))
    with till.engine.connect() as connection:
        till_session = connection.execute(select(point_of_sale.PosSession)).one()
    with central.engine.connect() as connection:
        mapped = connection.execute(select(TillSession)).one()
        session = connection.execute(select(point_of_sale.PosSession).where(
            point_of_sale.PosSession.id == mapped.session_id)).one()
        sessions_of_orders = set(connection.execute(select(point_of_sale.Order.session_id).where(
            point_of_sale.Order.uuid.in_(uuids))).scalars())
    assert (mapped.till_session_id, session.name, session.state, session.config_id) == (
        till_session.id, till_session.name, "opened", 1)
    assert sessions_of_orders == {session.id}
    # The session closes on the till: its closing goes up and the central session closes.
    with till.engine.begin() as connection:
        point_of_sale.close_session(connection, 1, till.plugin_manager())
    answer = push(app, till, batch_of(till))
    assert all(a["status"] == "stored" for a in answer["acks"])
    with central.engine.connect() as connection:
        assert connection.scalar(select(point_of_sale.PosSession.state).where(
            point_of_sale.PosSession.id == session.id)) == "closed"
    assert batch_of(till)["sessions"] == []  # acknowledged in its closed state


def test_batches_out_of_order_raise_a_gap_alarm_that_closes_when_they_arrive(app, central,
                                                                            till):
    sell(till.engine, 6)
    first, second = batch_of(till, after=0, limit=3), batch_of(till, after=3, limit=3)
    answer = post(app, token_of(till), second).get_json()
    assert [a["status"] for a in answer["acks"]] == ["gap", "not_applied", "not_applied"]
    assert alarms(central) == [("gap", 4)]
    assert post(app, token_of(till), first).get_json()["acknowledged"] == 3
    assert alarms(central) == []  # the missing numbers arrived
    assert post(app, token_of(till), second).get_json()["acknowledged"] == 6
    assert [n for n, _ in central_entries(central)] == [1, 2, 3, 4, 5, 6]
    with central.engine.connect() as connection:
        gap = connection.execute(select(Alarm)).one()
    assert gap.resolved_at is not None and "4" in gap.message


def test_a_ticket_edited_in_the_tills_database_is_refused_and_alarmed(app, central, till):
    uuids = sell(till.engine, 3)
    with tamper(till.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_order SET amount_total = 0.01 "
                                "WHERE uuid = :uuid"), {"uuid": uuids[1]})
    batch = batch_of(till)
    assert batch["chain"]["ok"] is False and batch["chain"]["first_broken"] == 2
    answer = push(app, till, batch)
    assert [a["status"] for a in answer["acks"]] == ["stored", "broken", "not_applied"]
    assert sorted(alarms(central)) == [("broken", 2), ("till_chain", 2)]
    assert central_order_count(central, uuids) == 1
    # Sent again at the next pass: the same alarms count up, they do not pile up.
    push(app, till, batch_of(till))
    with central.engine.connect() as connection:
        assert sorted((a.kind, a.occurrences) for a in open_alarms(connection)) == [
            ("broken", 2), ("till_chain", 2)]
    with till.engine.connect() as connection:
        refusal = connection.execute(text("SELECT last_refusal FROM pos_autonomous_push_state")
                                     ).scalar()
    assert "entry 2 (broken)" in refusal


def test_an_acknowledged_ticket_edited_later_is_seen_by_the_tills_chain_check(app, central,
                                                                              till):
    uuids = sell(till.engine, 2)
    push(app, till, batch_of(till))
    with tamper(till.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_order_line SET qty = 2 WHERE order_id = "
                                "(SELECT id FROM point_of_sale_order WHERE uuid = :uuid)"),
                           {"uuid": uuids[0]})
    push(app, till, batch_of(till))
    assert alarms(central) == [("till_chain", 1)]


def test_a_ticket_deleted_in_the_tills_database_is_refused_and_alarmed(app, central, till):
    uuids = sell(till.engine, 3)
    with tamper(till.engine) as connection:
        connection.execute(text("DELETE FROM point_of_sale_order WHERE uuid = :uuid"),
                           {"uuid": uuids[1]})
    answer = push(app, till, batch_of(till))
    assert [a["status"] for a in answer["acks"]][:2] == ["stored", "invalid"]
    assert sorted(alarms(central)) == [("invalid", 2), ("till_chain", 2)]


def test_tickets_reordered_in_the_tills_database_are_refused_and_alarmed(app, central, till):
    sell(till.engine, 3)
    with tamper(till.engine) as connection:  # swap what tickets 2 and 3 seal
        rows = dict(connection.execute(text(
            "SELECT number, uuid FROM point_of_sale_ledger_entry WHERE number IN (2, 3)")).all())
        for number, other in ((2, 3), (3, 2)):
            connection.execute(text("UPDATE point_of_sale_ledger_entry SET uuid = :uuid || 'x' "
                                    "WHERE number = :number"),
                               {"uuid": rows[other], "number": number})
        connection.execute(text("UPDATE point_of_sale_ledger_entry SET uuid = "
                                "substr(uuid, 1, length(uuid) - 1) WHERE number IN (2, 3)"))
    answer = push(app, till, batch_of(till))
    assert [a["status"] for a in answer["acks"]][:2] == ["stored", "broken"]
    assert ("broken", 2) in alarms(central)


def test_the_technical_events_go_up_once_and_a_restore_raises_an_alarm(app, central, till):
    with till.engine.begin() as connection:
        journal.record(connection, journal.SYNC_ERROR, "cannot reach the server")
        journal.record(connection, journal.RESTORE, "the database went back")
    batch = batch_of(till)
    assert [e["kind"] for e in batch["events"]] == ["sync_error", "restore"]
    answer = push(app, till, batch)
    assert answer["events_acknowledged"] == 2
    assert batch_of(till)["events"] == []
    post(app, token_of(till), batch)  # the same events again: kept once
    with central.engine.connect() as connection:
        assert [(e.kind, e.message) for e in connection.execute(
            select(TillEvent).order_by(TillEvent.event_id))] == [
            ("sync_error", "cannot reach the server"), ("restore", "the database went back")]
    assert alarms(central) == [("restore", None)]


def test_a_till_restored_from_an_older_copy_learns_it_and_its_new_tickets_conflict(
        app, central, till, tmp_path):
    sell(till.engine, 2)
    backup(tmp_path / "till.db", tmp_path / "till-copy.db")  # a backup of the whole machine,
    mark = tmp_path / "till.db.high-water"  # the high-water mark beside the database included
    shutil.copy(mark, tmp_path / "mark-copy")
    sell(till.engine, 2)
    push(app, till, batch_of(till))  # 4 tickets acknowledged
    till.engine.dispose()
    backup(tmp_path / "till-copy.db", tmp_path / "till.db")  # restored: 2 tickets, none acked
    with pytest.raises(DatabaseBehind):  # the database alone: ticket 3 is never sold again
        sell(till.engine, 1)
    shutil.copy(tmp_path / "mark-copy", mark)  # the mark too: only the central can tell
    sell(till.engine, 1)  # ticket 3 again, another one
    answer = push(app, till, batch_of(till))
    assert [a["status"] for a in answer["acks"]] == ["duplicate", "duplicate", "conflict"]
    assert ("conflict", 3) in alarms(central)
    with till.engine.connect() as connection:
        kinds = [row.kind for row in journal.recent(connection)]
    assert "restore" in kinds


def test_a_push_needs_its_own_tills_valid_token(app, central, till, tmp_path):
    batch = batch_of(till)
    assert post(app, None, batch).status_code == 401
    assert post(app, token_of(till) + "x", batch).status_code == 401
    for not_a_number in ("³.secret", "99999999999999999999.secret"):  # str.isdigit() says yes
        assert post(app, not_a_number, batch).status_code == 401
    other = local_till(central, tmp_path, name="other", config_id=2)  # one till per config
    answer = post(app, token_of(other), batch)
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "wrong_till"
    other.engine.dispose()


class CountedBody(io.BytesIO):
    """A request's body that counts its reads."""
    reads = 0

    def read(self, *args):
        self.reads += 1
        return super().read(*args)

    def readline(self, *args):
        self.reads += 1
        return super().readline(*args)


def test_a_push_without_a_valid_token_is_refused_before_its_body_is_read(app, central, till,
                                                                          tmp_path):
    """401 from the token alone (a revoked till's too): the body, here not even JSON, is
    neither read nor parsed. The till's own push is read."""
    for token in (None, "nope", token_of(till) + "x", revoked_token(central, tmp_path)):
        body = CountedBody(b"{" * 1000)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = app.test_client().post("/pos_autonomous/push", headers=headers,
                                        input_stream=body, content_length=1000,
                                        content_type="application/json")
        assert answer.status_code == 401 and body.reads == 0, (token, answer.get_json())
    body = CountedBody(b"{" * 1000)
    answer = app.test_client().post(
        "/pos_autonomous/push", headers={"Authorization": f"Bearer {token_of(till)}"},
        input_stream=body, content_length=1000, content_type="application/json")
    assert answer.status_code == 400 and body.reads > 0


BAD_BATCHES = [
    (lambda b: b.update(serial=0), "serial"),
    (lambda b: b.update(serial=-1), "serial"),
    (lambda b: b.update(head="x"), "head"),
    (lambda b: b["head"].update(link="XYZ"), "head.link"),
    (lambda b: b.update(entries={}), "entries"),
    (lambda b: b.update(entries=[1]), "entries[0]"),
    (lambda b: b["entries"][0].update(number=True), "entries[0].number"),
    (lambda b: b["entries"][0].update(kind="refund"), "entries[0].kind"),
    (lambda b: b["entries"][0].update(uuid="a b"), "entries[0].uuid"),
    (lambda b: b["entries"][0].update(link="0" * 63), "entries[0].link"),
    (lambda b: b["entries"][0].update(record=[]), "entries[0].record"),
    (lambda b: b.update(entries=b["entries"][::-1]), "entries"),
    (lambda b: b.update(first=7), "first and last"),
    (lambda b: b["head"].update(number=1), "head.number"),
    (lambda b: b.update(sessions=[{"id": 1, "name": "x", "state": "lost"}]), "sessions[0].state"),
    (lambda b: b.update(sessions=[{"id": 1, "name": "x" * 65, "state": "opened"}]),
     "sessions[0].name"),
    (lambda b: b.update(events=[{"id": 1, "at": "yesterday", "kind": "x", "message": ""}]),
     "events[0].at"),
    (lambda b: b.update(events=[{"id": 1, "at": "2026-11-26T10:00:00", "kind": "x",
                                 "message": ""}]), "events[0].at"),
    (lambda b: b.update(events=[{"id": 1, "at": "2026-11-26T10:00:00Z", "kind": "x",
                                 "message": "m" * 2001}]), "events[0].message"),
    (lambda b: b.update(chain={"ok": "yes"}), "chain.ok"),
    (lambda b: b.update(entries=b["entries"] * 600), "entries"),
]
MALFORMED = ["[]", "null", "{", '{"till": NaN}', deep_array(), deep_object(), '{"till": 1e400}',
             '{"till": 1, "serial": 18446744073709551616}']


def test_bad_batches_are_refused_naming_the_field_and_nothing_is_stored(app, central, till):
    sell(till.engine, 2)
    good = batch_of(till)
    for change, field in BAD_BATCHES:
        batch = json.loads(json.dumps(good))
        change(batch)
        answer = post(app, token_of(till), batch)
        assert answer.status_code == 400, (field, answer.get_json())
        error = answer.get_json()["error"]
        assert error["code"] == "invalid_push" and error["message"].startswith(field), error
    for raw in MALFORMED:
        answer = post(app, token_of(till), None, raw=raw)
        assert 400 <= answer.status_code < 500 and "error" in answer.get_json(), raw
    assert central_entries(central) == []
    assert post(app, token_of(till), good).status_code == 200  # the good one still goes


def test_the_admins_show_what_waits_what_was_acknowledged_and_the_alarms(app, central, till):
    uuids = sell(till.engine, 3)
    with till.engine.begin() as connection:
        set_password(connection, "manager", "password123")
    till_page = text_of(signed_in_client(built_app(till), till).get("/web/pos_autonomous/"))
    assert "Waiting to go up" in till_page
    assert table_row(till_page, "up-tickets") == ["3"]
    with tamper(till.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_order SET amount_total = 0.01 "
                                "WHERE uuid = :uuid"), {"uuid": uuids[2]})
    push(app, till, batch_of(till))
    till_page = text_of(signed_in_client(built_app(till), till).get("/web/pos_autonomous/"))
    assert table_row(till_page, "up-last-acknowledged") == ["2"]
    assert "entry 3 (broken)" in till_page
    client = signed_in_client(app, central)
    page = client.get("/web/pos_autonomous/").get_data(as_text=True)
    till_id = token_of(till).split(".")[0]
    row = table_row(page, f"till-push-{till_id}")
    assert row[3:] == ["2", row[4], "2"]  # last acknowledged 2, two open alarms
    with central.engine.connect() as connection:
        alarm = next(a for a in open_alarms(connection) if a.kind == "broken")
    assert "entry 3" in " ".join(table_row(page, f"alarm-{alarm.id}"))
    post_form(client, f"/web/pos_autonomous/alarms/{alarm.id}/resolve",
              {"resolution": "ticket restored from the receipt roll"},
              page="/web/pos_autonomous/")
    assert ("broken", 3) not in alarms(central)


def test_the_central_customer_routes_refuse_bad_values_with_a_json_error(app, till):
    client, headers = app.test_client(), {"Authorization": f"Bearer {token_of(till)}"}
    for path, body in [("/pos_autonomous/customers", {"values": "Zoé"}),
                       ("/pos_autonomous/customers", {"values": {"name": "Zoé", "vip": "1"}}),
                       ("/pos_autonomous/customers", {"values": {"name": 7}}),
                       ("/pos_autonomous/customers", {"values": {"name": "x" * 200}}),
                       ("/pos_autonomous/customers/1", {"values": {"phone": "call me"}}),
                       ("/pos_autonomous/customers/999", {"values": {"phone": "0612345678"}}),
                       ("/pos_autonomous/customers/999/delete", {})]:
        answer = client.post(path, json=body, headers=headers)
        assert 400 <= answer.status_code < 500, (path, body, answer.get_json())
        assert answer.get_json()["error"]["message"], (path, body)
    created = client.post("/pos_autonomous/customers", json={"values": {"name": "Zoé"}},
                          headers=headers).get_json()["customer"]
    assert created["name"] == "Zoé" and created["is_customer_template"] is False
