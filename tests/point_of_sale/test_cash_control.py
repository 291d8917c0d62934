"""Cash control over HTTP: the opening float (by denomination), cash in and out with a reason, a
manager above the limit, the expected cash of the session report and its explanation, the moves
sealed with the closing (an edited move breaks the chain) and received by a central server."""
import json
import uuid as uuid_module
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from sqlalchemy import text

from addons.point_of_sale import (
    ledger_entries,
    push_orders,
    receive_sealed_entries,
    session_report,
    verify_chain,
    verify_journal,
)
from addons.point_of_sale.sessions import close_session
from tests import hostile_json as hj
from tests.support import installed_instance, json_error, signed_in_client, tamper


def a_move(kind, amount=None, reason="", **more):
    body = {"uuid": uuid_module.uuid4().hex, "kind": kind, "reason": reason, **more}
    if amount is not None:
        body["amount"] = amount
    return body


def sell_and_refund(instance, session):
    """An espresso paid 10.00 in cash (1.98 kept), one by card, then the cash one refunded."""
    sale = {"uuid": uuid_module.uuid4().hex, "session_id": session,
            "created_at": "2026-12-07T09:00:00Z",
            "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
            "payments": [{"method": "cash", "amount": "10"}]}
    card = {**sale, "uuid": uuid_module.uuid4().hex,
            "payments": [{"method": "card", "amount": "1.98"}]}
    refund = {"uuid": uuid_module.uuid4().hex, "session_id": session,
              "created_at": "2026-12-07T09:05:00Z", "refunded_order_uuid": sale["uuid"],
              "lines": [{"product_id": 1, "qty": "-1", "price_unit": "1.80",
                         "refunded_line_index": 0}],
              "payments": [{"method": "cash", "amount": "-1.98"}]}
    with instance.engine.begin() as connection:
        results = push_orders(connection, [sale, card, refund])
    assert [r["status"] for r in results] == ["created"] * 3, results


def test_expected_cash_is_float_plus_cash_sales_less_refunds_plus_in_less_out(
        admin_client, addon_instance, shop_session):
    url = f"/pos/session/{shop_session}/cash"
    counted = admin_client.post(url, json=a_move("float", denominations=[
        {"value": "20.00", "count": 4}, {"value": "5", "count": 3}, {"value": "0.50", "count": 6}]))
    assert counted.status_code == 201, counted.get_data(as_text=True)
    assert counted.get_json()["move"]["amount"] == "98.00"
    assert counted.get_json()["move"]["denominations"][0] == {"value": "20.00", "count": 4}
    put_in = a_move("in", "30", "Change from the bank")
    assert admin_client.post(url, json=put_in).status_code == 201
    # A retried move (same uuid) is stored once.
    again = admin_client.post(url, json=put_in)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    taken = admin_client.post(url, json=a_move("out", "12.50", "  Window   cleaner "))
    assert taken.get_json()["move"]["reason"] == "Window cleaner"
    sell_and_refund(addon_instance, shop_session)

    state = admin_client.get(url).get_json()
    assert {k: state[k] for k in ("opening_float", "cash_sales", "cash_refunds", "cash_in",
                                  "cash_out", "expected_cash")} == {
        "opening_float": "98.00", "cash_sales": "1.98", "cash_refunds": "1.98",
        "cash_in": "30.00", "cash_out": "12.50", "expected_cash": "115.50"}
    assert [m["kind"] for m in state["moves"]] == ["float", "in", "out"]
    assert state["moves"][1]["by"] == "manager"
    # Each move is journaled once (the retry is not), in the sealed journal of events.
    with addon_instance.engine.connect() as connection:
        events = connection.execute(text(
            "SELECT details FROM point_of_sale_journal_event WHERE kind = 'cash_move' "
            "ORDER BY number")).scalars().all()
        assert verify_journal(connection).ok
    assert [json.loads(d)["reason"] for d in events] == ["", "Change from the bank",
                                                         "Window cleaner"]
    assert json.loads(events[1])["amount"] == "30.00"

    closed = admin_client.post(f"/pos/session/{shop_session}/close",
                               json={"counted_cash": "115.00"}).get_json()
    assert (closed["expected_cash"], closed["cash_difference"]) == ("115.50", "-0.50")
    assert closed["cash_explanation"] == (
        "Expected cash 115.50 = opening float 98.00 + cash sales 1.98 - cash refunds 1.98 "
        "+ cash in 30.00 - cash out 12.50. Counted 115.00: 0.50 less than expected (with 2 cash "
        "moves recorded, listed below).")
    assert closed["method_names"] == {"card": "Card", "cash": "Cash"}
    assert [m["reason"] for m in closed["cash_moves"]] == ["", "Change from the bank",
                                                           "Window cleaner"]
    # The moves are sealed with the closing: an edited move breaks the chain there.
    with addon_instance.engine.connect() as connection:
        [closing] = [e for e in ledger_entries(connection, 1, 0, 10) if e["kind"] == "closing"]
        assert closing["record"]["opening_float"] == "98.00"
        assert len(closing["record"]["cash_moves"]) == 3
        assert verify_chain(connection, 1).ok
    with tamper(addon_instance.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_closing SET cash_out = 2.50"))
    with addon_instance.engine.connect() as connection:
        check = verify_chain(connection, 1)
    assert not check.ok and check.first_broken == closing["number"]
    # No move on a closed session.
    json_error(admin_client.post(url, json=a_move("in", "1", "late")), 409, "session_closed")


def test_the_shops_own_method_names_are_in_the_report(admin_client, addon_instance,
                                                      shop_session):
    with addon_instance.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO point_of_sale_payment_method (config_id, code, name, gives_change, "
            "active, sequence) VALUES (1, 'cash', 'Espèces', true, true, 1), "
            "(1, 'card', 'Carte bancaire', false, true, 2)"))
    sell_and_refund(addon_instance, shop_session)
    report = admin_client.get(f"/pos/session/{shop_session}/report").get_json()
    assert report["method_names"] == {"card": "Carte bancaire", "cash": "Espèces"}
    assert report["cash_explanation"].startswith("Expected cash 0.00 = opening float 0.00 ")


def test_one_opening_float_per_session_and_it_must_add_up(admin_client, addon_instance,
                                                         shop_session):
    url = f"/pos/session/{shop_session}/cash"
    message = json_error(admin_client.post(url, json=a_move(
        "float", "50", denominations=[{"value": "20", "count": 2}])), 400, "float_mismatch")
    assert "add up to 40.00, not 50.00" in message
    assert admin_client.post(url, json=a_move("float", "150")).status_code == 201
    assert "already counted" in json_error(admin_client.post(url, json=a_move("float", "10")),
                                         409, "float_already_counted")
    reused = a_move("in", "5", "coins")
    assert admin_client.post(url, json=reused).status_code == 201
    json_error(admin_client.post(url, json={**reused, "amount": "6"}), 409, "uuid_conflict")


def test_a_move_above_the_limit_needs_a_manager(app, admin_client, addon_instance,
                                                shop_session, token_for):
    url = f"/pos/session/{shop_session}/cash"
    till = app.test_client()
    small = till.post(url, json=a_move("out", "100", "Stamps"), headers=token_for(1))
    assert small.status_code == 201 and small.get_json()["move"]["approved_by"] == ""
    message = json_error(till.post(url, json=a_move("out", "100.01", "Bank deposit"),
                                 headers=token_for(1)), 403, "approval_required")
    assert "A manager of this till must approve a cash out" in message
    approved = admin_client.post(url, json=a_move("out", "400", "Bank deposit"))
    assert approved.get_json()["move"]["approved_by"] == "manager"
    # The limit is the config's field (the admin form's), 0: every move needs a manager.
    with addon_instance.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO core_record_setting (form, record_id, field, addon, value) "
            "VALUES ('pos.config', 1, 'cash_move_approval_limit', 'point_of_sale', '0')"))
    json_error(till.post(url, json=a_move("in", "0.01", "coin"), headers=token_for(1)), 403,
             "approval_required")
    assert till.get(url, headers=token_for(1)).get_json()["approval_limit"] == "0"
    json_error(till.get(url, headers=token_for(2)), 403, "forbidden")
    json_error(app.test_client().get(url), 401, "unauthorized")


def test_a_cashier_records_small_moves_and_a_manager_approves_the_large_ones(
        app, addon_instance, shop_session):
    from tests.point_of_sale.test_staff_roles import add_user
    add_user(addon_instance, "carla", "cashier", 1)
    add_user(addon_instance, "mona", "manager", 1)
    cashier = signed_in_client(app, addon_instance, "carla")
    url = f"/pos/session/{shop_session}/cash"
    small = cashier.post(url, json=a_move("out", "20", "Stamps")).get_json()["move"]
    assert (small["by"], small["approved_by"]) == ("carla", "")
    message = json_error(cashier.post(url, json=a_move("out", "250", "Bank deposit")), 403,
                         "approval_required")
    assert "A manager of this till must approve a cash out" in message
    manager = signed_in_client(app, addon_instance, "mona")
    large = manager.post(url, json=a_move("out", "250", "Bank deposit")).get_json()["move"]
    assert (large["by"], large["approved_by"]) == ("mona", "mona")
    # At the till: the cashier records it with the manager's PIN (staff's approvals).
    from addons.point_of_sale.staff import set_pin
    with addon_instance.engine.begin() as connection:
        mona = connection.scalar(text("SELECT id FROM core_user WHERE login = 'mona'"))
        set_pin(connection, mona, "9753")
    json_error(cashier.post(url, json={**a_move("in", "300", "Change fund"),
                                       "approval": {"user_id": mona, "pin": "1111"}}),
               403, "wrong_pin")
    with_pin = cashier.post(url, json={**a_move("in", "300", "Change fund"),
                                       "approval": {"user_id": mona, "pin": "9753"}})
    assert with_pin.status_code == 201, with_pin.get_data(as_text=True)
    assert (with_pin.get_json()["move"]["by"], with_pin.get_json()["move"]["approved_by"]) == (
        "carla", "mona")
    report = cashier.get(f"/pos/session/{shop_session}/report").get_json()
    assert [(a["action"], a["approver"], a["via"]) for a in report["approvals"]] == [
        ("cash_out", "mona", "signed_in"), ("cash_in", "mona", "pin")]


BAD_MOVES = [
    ({"kind": "in", "amount": "1", "reason": "x"}, 400, "invalid_field"),  # no uuid
    (a_move("sideways", "1", "x"), 400, "invalid_field"),
    (a_move("in", "1"), 400, "reason_required"),
    (a_move("out", "0", "nothing"), 400, "invalid_field"),
    (a_move("out", "-5", "negative"), 400, "invalid_field"),
    (a_move("out", "1e3", "exponent"), 400, "invalid_field"),
    (a_move("in", None, "no amount"), 400, "invalid_field"),
    (a_move("in", "1", "x" * 201), 400, "invalid_field"),
    (a_move("in", "1", 5), 400, "invalid_field"),
    (a_move("in", "1", "x", denominations=[{"value": "1", "count": 1}]), 400, "invalid_field"),
    (a_move("float", denominations=[]), 400, "invalid_field"),
    (a_move("float", denominations=[{"value": "1", "count": -1}]), 400, "invalid_field"),
    (a_move("float", denominations=[{"value": "0", "count": 1}]), 400, "invalid_field"),
    (a_move("float", denominations=[{"value": "1"}]), 400, "invalid_field"),
    (a_move("float", "1", extra=True), 400, "invalid_field"),
    ({**a_move("float", "1"), "uuid": "a b"}, 400, "invalid_field"),
    ([], 400, "invalid_body"),
]


def test_bad_moves_are_refused_and_nothing_is_stored(admin_client, addon_instance,
                                                     shop_session):
    url = f"/pos/session/{shop_session}/cash"
    for body, status, code in BAD_MOVES:
        json_error(admin_client.post(url, json=body), status, code)
    json_error(admin_client.post(url, data="kind=in"), 415, "unsupported_media_type")
    json_error(admin_client.post(url, data="{", content_type="application/json"), 400,
             "malformed_json")
    json_error(admin_client.post("/pos/session/999/cash", json=a_move("in", "1", "x")), 404,
             "unknown_session")
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM point_of_sale_cash_move")) == 0


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=hj.hostile_bodies({"uuid": "a1", "kind": "float", "amount": "10.00",
                               "denominations": [{"value": "5.00", "count": 2}]}))
def test_hostile_move_bodies_never_make_a_5xx(admin_client, addon_instance, shop_session, body):
    response = admin_client.post(f"/pos/session/{shop_session}/cash", data=body,
                                 content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.get_json()) == {"error"}


def test_a_tills_moves_reach_the_central_server_with_its_closing(
        admin_client, addon_instance, shop_session, other_db_url):
    url = f"/pos/session/{shop_session}/cash"
    admin_client.post(url, json=a_move("float", "100"))
    admin_client.post(url, json=a_move("out", "20", "Bakery supplier"))
    sell_and_refund(addon_instance, shop_session)
    with addon_instance.engine.begin() as connection:
        close_session(connection, 1, counted_cash=Decimal("80"))
    central = installed_instance(other_db_url, ["point_of_sale"])
    try:
        with addon_instance.engine.connect() as connection:
            entries = ledger_entries(connection, 1, 0, 100)
        with central.engine.begin() as connection:
            assert [r["status"] for r in receive_sealed_entries(connection, 1, entries)] == [
                "stored"] * 4
        with central.engine.connect() as connection:
            session_id = connection.scalar(text(
                "SELECT id FROM point_of_sale_session WHERE name = 'Shop/00001'"))
            received = session_report(connection, session_id)
            moves = connection.scalar(text("SELECT count(*) FROM point_of_sale_cash_move"))
            assert verify_chain(connection, 1).ok
    finally:
        central.engine.dispose()
    assert (received["expected_cash"], received["cash_difference"]) == ("80.00", "0.00")
    assert received["received_differs"] == [] and moves == 2
    assert received["cash_explanation"].endswith("Counted 80.00: the drawer is right.")


def test_the_database_refuses_to_change_or_delete_a_cash_move(admin_client, addon_instance,
                                                              shop_session):
    import pytest
    from sqlalchemy.exc import DBAPIError
    assert admin_client.post(f"/pos/session/{shop_session}/cash",
                             json=a_move("out", "5", "Stamps")).status_code == 201
    for statement in ("UPDATE point_of_sale_cash_move SET amount = 1",
                      "DELETE FROM point_of_sale_cash_move"):
        with pytest.raises(DBAPIError, match="sealed rows are never changed"):
            with addon_instance.engine.begin() as connection:
                connection.execute(text(statement))
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT amount FROM point_of_sale_cash_move")) in (
            "5.00", 5)
