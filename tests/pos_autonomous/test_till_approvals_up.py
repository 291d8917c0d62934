"""An autonomous till's managers' approvals reach the central with its tickets: the till's
POS route applies the same rule as the central's (order_approvals.py), keeps the approval with
the ticket and journals it; the event goes up with the till's journal in the push, and the
central keeps the approval with the ticket's uuid (once, however often the batch is sent)."""
from sqlalchemy import text

import addons.point_of_sale as point_of_sale
from tests.pos_autonomous.conftest import TILL_MANAGER, TILL_MANAGER_PIN
from tests.pos_autonomous.test_till_journal_up import post
from tests.pos_autonomous.up_helpers import batch_of, local_till, order
from tests.support import bearer_header, signed_in_client
from tests.support import testing_app as app_of


def approvals(instance):
    with instance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT order_uuid, action, approver, via FROM point_of_sale_approval ORDER BY id"))]


def test_the_tills_approvals_go_up_with_its_tickets(app, central, tmp_path):
    with central.engine.begin() as connection:  # the till's manager, allowed on Shop
        point_of_sale.set_allowed_configs(connection, connection.scalar(text(
            "SELECT id FROM core_user WHERE login = :l"), {"l": TILL_MANAGER}), [1])
    till = local_till(central, tmp_path, name="approving")
    till_app = app_of(till)
    with till.engine.begin() as connection:
        session_id = point_of_sale.open_session(connection, 1)
        manager_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :l"),
                                       {"l": TILL_MANAGER})
    # Pushed by the page of the till's signed-in manager: approved by the push.
    by_manager = order(session_id, number=1)
    by_manager["lines"][0]["discount"] = 50
    manager_page = signed_in_client(till_app, till, TILL_MANAGER)
    [stored] = manager_page.post("/pos/orders", json=[by_manager]).json["results"]
    assert stored["status"] == "created", stored
    # A cashier's page (here: the till's token) needs the manager's PIN, checked by the till.
    page, token = till_app.test_client(), bearer_header(till, 1)
    discounted = order(session_id, number=2)
    discounted["lines"][0]["discount"] = 50
    [refused] = page.post("/pos/orders", json=[discounted], headers=token).json["results"]
    assert refused["error"]["code"] == "approval_required"
    answer = page.post("/pos/config/1/approval", headers=token, json={
        "action": "discount", "order_uuid": discounted["uuid"],
        "approval": {"user_id": manager_id, "pin": TILL_MANAGER_PIN}})
    assert answer.status_code == 200, answer.json
    carried = {**discounted, "approvals": [{"action": "discount",
                                            "uuid": answer.json["approval"]["uuid"]}]}
    [stored] = page.post("/pos/orders", json=[carried], headers=token).json["results"]
    assert stored["status"] == "created", stored
    on_till = approvals(till)
    assert on_till == [(by_manager["uuid"], "discount", TILL_MANAGER, "signed_in"),
                       (discounted["uuid"], "discount", TILL_MANAGER, "pin")]

    batch = batch_of(till)
    assert [e["uuid"] for e in batch["entries"]] == [by_manager["uuid"], discounted["uuid"]]
    post(app, till, batch)
    assert approvals(central) == on_till  # each kept with its ticket's uuid
    with central.engine.connect() as connection:
        assert [e["uuid"] for e in point_of_sale.ledger_entries(connection, 1)] == [
            by_manager["uuid"], discounted["uuid"]]
    post(app, till, batch)  # the same batch again: nothing twice
    assert approvals(central) == on_till
    till.engine.dispose()


def test_odd_approval_events_of_a_till_are_left_in_its_journal_alone(central):
    """What the central keeps from a till's journal never refuses the push: an `approval` event
    that does not read as one is kept in the till's journal only."""
    at = "2026-12-07T10:00:00.000000Z"
    good = {"approval": "a-1", "action": "refund", "approver": "mona", "via": "pin",
            "order_uuid": "o-1", "details": ["not", "an", "object"]}
    events = [{"kind": "approval", "at": at, "details": details} for details in (
        None, "text", {"approval": 5}, {"approval": "x" * 65}, {"approval": ""},
        {**good, "approval": "a-2", "order_uuid": "o" * 65}, good)]
    events.append({"kind": "session_open", "at": at, "details": {"approval": "a-3"}})
    with central.engine.begin() as connection:
        assert point_of_sale.received_approvals(connection, 1, events, "till") == 2
        assert point_of_sale.received_approvals(connection, 1, events, "till") == 0
    assert approvals(central) == [(None, "refund", "mona", "pin"), ("o-1", "refund", "mona",
                                                                     "pin")]
