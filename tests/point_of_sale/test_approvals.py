"""Managers' approvals: a cashier's till closes its session with a manager's PIN, an action at
the till is approved by a manager (PIN, or signed in), each kept with its session or ticket and
journaled; a cashier's PIN, a wrong PIN or no approval are refused."""
from sqlalchemy import text

from tests.point_of_sale.test_staff_pins import add_user
from tests.support import scalar, signed_in_client


def journal_kinds(instance):
    with instance.engine.connect() as connection:
        return [row.kind for row in connection.execute(
            text("SELECT kind FROM point_of_sale_journal_event ORDER BY number"))]


def test_a_cashier_closes_with_a_managers_pin_recorded_with_the_session(
        app, addon_instance, shop_session):
    add_user(addon_instance, "carla", "cashier", pin="4821")
    mona = add_user(addon_instance, "mona", "manager", pin="9753")
    carla = scalar(addon_instance, "SELECT id FROM core_user WHERE login = 'carla'")
    till = signed_in_client(app, addon_instance, "carla")
    url = f"/pos/session/{shop_session}/close"
    refused = till.post(url, json={"counted_cash": "0"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "approval_required")
    wrong = till.post(url, json={"counted_cash": "0", "approval": {"user_id": mona, "pin": "1"}})
    assert wrong.json["error"]["code"] == "wrong_pin"
    own = till.post(url, json={"counted_cash": "0", "approval": {"user_id": carla,
                                                                 "pin": "4821"}})
    assert (own.status_code, own.json["error"]["code"]) == (403, "manager_only")
    assert scalar(addon_instance, "SELECT state FROM point_of_sale_session WHERE id = :s",
                  s=shop_session) == "opened"
    closed = till.post(url, json={"counted_cash": "0",
                                  "approval": {"user_id": mona, "pin": "9753"}})
    assert closed.status_code == 200, closed.json
    assert [(a["action"], a["approver"], a["via"]) for a in closed.json["approvals"]] == [
        ("closing", "mona", "pin")]
    assert "approval" in journal_kinds(addon_instance)


def test_a_manager_approves_a_refund_at_the_till_kept_with_the_ticket(app, addon_instance):
    add_user(addon_instance, "carla", "cashier", pin="4821")
    mona = add_user(addon_instance, "mona", "manager", pin="9753")
    till = signed_in_client(app, addon_instance, "carla")
    body = {"action": "refund", "order_uuid": "refund-1", "details": {"total": "-2.20"}}
    assert till.post("/pos/config/1/approval", json=body).json["error"]["code"] \
        == "approval_required"
    answer = till.post("/pos/config/1/approval",
                       json={**body, "approval": {"user_id": mona, "pin": "9753"}})
    assert answer.status_code == 200
    assert answer.json["approval"]["approver"] == "mona" and answer.json["approval"]["via"] \
        == "pin"
    assert scalar(addon_instance, "SELECT approver FROM point_of_sale_approval "
                                  "WHERE order_uuid = 'refund-1'") == "mona"
    manager = signed_in_client(app, addon_instance, "mona")  # signed in: no PIN needed
    itself = manager.post("/pos/config/1/approval", json={"action": "discount",
                                                          "order_uuid": "o-2"})
    assert itself.json["approval"]["via"] == "signed_in"
    assert manager.post("/pos/config/2/approval", json={"action": "discount"}).json[
        "error"]["code"] == "not_your_till"
    assert till.post("/pos/config/1/approval", json={"action": "launch"}).json["error"][
        "code"] == "invalid_action"
    assert journal_kinds(addon_instance).count("approval") == 2
