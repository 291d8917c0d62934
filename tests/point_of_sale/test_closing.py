"""Closings: the figures of a closed session, sealed in the config's chain and equal to what the
stored tickets give again; the till's close route and its hostile input; the admin's session
page; a till's closing received by a central server."""
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
)
from addons.point_of_sale.closing import session_figures
from addons.point_of_sale.sessions import close_session, open_session
from tests import hostile_json as hj
from tests.support import csrf_token, installed_instance, tamper


def an_order(session, lines, payments):
    return {"uuid": str(uuid_module.uuid4()), "session_id": session,
            "created_at": "2026-11-22T10:15:00Z", "lines": lines, "payments": payments}


# Espresso: product 1 at 1.80 + 10 %; croissant: product 16 at 1.60 + 5.5 %.
ESPRESSOS = [{"product_id": 1, "qty": 2, "price_unit": "1.80"}]  # 3.96
CROISSANT = [{"product_id": 16, "qty": 1, "price_unit": "1.60"}]  # 1.69


def sell_a_day(instance, session):
    """Three orders: 3.96 in cash (10.00 given), 1.69 by card, 5.65 half card half cash."""
    with instance.engine.begin() as connection:
        results = push_orders(connection, [
            an_order(session, ESPRESSOS, [{"method": "cash", "amount": "10"}]),
            an_order(session, CROISSANT, [{"method": "card", "amount": "1.69"}]),
            an_order(session, ESPRESSOS + CROISSANT, [{"method": "card", "amount": "3"},
                                                      {"method": "cash", "amount": "2.65"}]),
        ])
    assert [r["status"] for r in results] == ["created"] * 3
    return results


def close(instance, counted=None, config_id=1):
    with instance.engine.begin() as connection:
        return close_session(connection, config_id, counted_cash=counted)


def report(instance, session_id):
    with instance.engine.connect() as connection:
        return session_report(connection, session_id)


def test_a_closing_totals_the_session_per_tax_rate_and_method_and_is_sealed(addon_instance,
                                                                           shop_session):
    sell_a_day(addon_instance, shop_session)
    close(addon_instance, Decimal("6.50"))
    closed = report(addon_instance, shop_session)
    assert closed["closed"] and closed["ticket"]["number"] == 4
    assert {k: closed[k] for k in ("order_count", "refund_count", "refund_total", "period_total",
                                   "perpetual_total", "expected_cash", "counted_cash",
                                   "cash_difference")} == {
        "order_count": 3, "refund_count": 0, "refund_total": "0.00", "period_total": "11.30",
        "perpetual_total": "11.30", "expected_cash": "6.61", "counted_cash": "6.50",
        "cash_difference": "-0.11"}
    assert closed["totals_by_tax"] == [
        {"tax_rate": "5.50", "untaxed": "3.20", "tax": "0.18", "total": "3.38"},
        {"tax_rate": "10.00", "untaxed": "7.20", "tax": "0.72", "total": "7.92"}]
    assert closed["totals_by_method"] == [{"method": "card", "amount": "4.69"},
                                          {"method": "cash", "amount": "6.61"}]
    with addon_instance.engine.connect() as connection:
        [entry] = ledger_entries(connection, 1, 3, 10)
        assert entry["kind"] == "closing" and entry["record"]["session"] == "Shop/00001"
        assert verify_chain(connection, 1).checked == 4
        # The figures recomputed from the stored tickets equal the sealed record.
        again = session_figures(connection, shop_session, before_number=4)
    assert again == {k: entry["record"][k] for k in again}


def test_the_perpetual_total_carries_over_and_late_orders_stay_out_of_a_closing(
        addon_instance, shop_session):
    sell_a_day(addon_instance, shop_session)
    close(addon_instance)
    with addon_instance.engine.begin() as connection:
        second = open_session(connection, 1)
        push_orders(connection, [an_order(second, CROISSANT, [{"method": "cash",
                                                                "amount": "1.69"}])])
        # An order pushed into the closed session afterwards (no pos_check_session_state here):
        # sealed after the closing, so not in its figures.
        push_orders(connection, [an_order(shop_session, CROISSANT, [{"method": "cash",
                                                                      "amount": "2"}])])
    first = report(addon_instance, shop_session)
    assert (first["order_count"], first["counted_cash"], first["cash_difference"]) == (
        3, None, None)
    assert report(addon_instance, second)["perpetual_total"] == "12.99"  # open: so far
    close(addon_instance, Decimal("1.69"))
    closed = report(addon_instance, second)
    assert (closed["period_total"], closed["perpetual_total"], closed["cash_difference"]) == (
        "1.69", "12.99", "0.00")
    with addon_instance.engine.connect() as connection:
        assert verify_chain(connection, 1).ok


def test_refunds_are_counted_apart_and_an_edited_closing_breaks_the_chain(addon_instance,
                                                                          shop_session):
    sell_a_day(addon_instance, shop_session)
    with addon_instance.engine.begin() as connection:  # a refund as counter's refunds store it
        order_id = connection.execute(text(
            "INSERT INTO point_of_sale_order (uuid, reference, session_id, created_at, "
            "received_at, amount_untaxed, amount_tax, amount_total, amount_paid, amount_return) "
            "VALUES ('refund-1', 'R1', :s, :t, :t, -1.60, -0.09, -1.69, -1.69, 0) RETURNING id"),
            {"s": shop_session, "t": "2026-11-22 11:00:00"}).scalar()
        connection.execute(text(
            "INSERT INTO point_of_sale_order_line (order_id, product_id, qty, price_unit, "
            "discount, price_subtotal, price_subtotal_incl, tax_rate) "
            "VALUES (:o, 16, -1, 1.60, 0, -1.60, -1.69, 5.5)"), {"o": order_id})
        connection.execute(text("INSERT INTO point_of_sale_payment (order_id, method, amount) "
                                "VALUES (:o, 'cash', -1.69)"), {"o": order_id})
    close(addon_instance, Decimal("4.92"))
    closed = report(addon_instance, shop_session)
    assert (closed["order_count"], closed["refund_count"], closed["refund_total"],
            closed["period_total"], closed["expected_cash"], closed["cash_difference"]) == (
        4, 1, "-1.69", "9.61", "4.92", "0.00")
    with tamper(addon_instance.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_closing SET counted_cash = 6.61"))
    with addon_instance.engine.connect() as connection:
        check = verify_chain(connection, 1)
    assert (check.first_broken, "closing" in check.reason) == (4, True)


def test_a_tills_closing_reaches_the_central_server_which_recomputes_the_same_figures(
        addon_instance, shop_session, other_db_url):
    sell_a_day(addon_instance, shop_session)
    close(addon_instance, Decimal("7"))
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
            recomputed = session_figures(connection, session_id, before_number=4)
            assert verify_chain(connection, 1).ok
        till = report(addon_instance, shop_session)
        assert received["session"]["state"] == "closed"
        for key in ("order_count", "period_total", "perpetual_total", "expected_cash",
                    "counted_cash", "cash_difference", "totals_by_tax", "totals_by_method",
                    "ticket"):
            assert received[key] == till[key], key
        assert recomputed == {k: till[k] for k in recomputed}
        assert received["received"] == recomputed and received["received_differs"] == []
    finally:
        central.engine.dispose()


# -- the till's routes -------------------------------------------------------------------------

def error_of(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = json.loads(response.get_data(as_text=True))
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return body["error"]["message"]


def test_the_till_closes_its_session_with_the_counted_cash_and_gets_the_report(
        admin_client, addon_instance, shop_session):
    sell_a_day(addon_instance, shop_session)
    so_far = admin_client.get(f"/pos/session/{shop_session}/report").get_json()
    assert (so_far["closed"], so_far["expected_cash"], so_far["open_tills"]) == (
        False, "6.61", [])
    response = admin_client.post(f"/pos/session/{shop_session}/close",
                                 json={"counted_cash": "6.60"})
    assert response.status_code == 200, response.get_data(as_text=True)
    closed = response.get_json()
    assert (closed["closed"], closed["cash_difference"], closed["ticket"]["number"]) == (
        True, "-0.01", 4)
    assert closed["session"]["state"] == "closed"
    again = admin_client.post(f"/pos/session/{shop_session}/close", json={"counted_cash": 1})
    assert "already closed" in error_of(again, 409, "session_closed")
    assert admin_client.get(f"/pos/session/{shop_session}/report").get_json()["ticket"] == \
        closed["ticket"]


def test_closing_is_a_managers_decision(anonymous, app, addon_instance, shop_session, token_for):
    body = {"counted_cash": "0"}
    error_of(anonymous.post(f"/pos/session/{shop_session}/close", json=body), 401,
             "unauthorized")
    till = app.test_client()
    error_of(till.post(f"/pos/session/{shop_session}/close", json=body, headers=token_for(1)),
             403, "manager_only")
    # A till's token reads its own session's report, not another config's.
    assert till.get(f"/pos/session/{shop_session}/report",
                    headers=token_for(1)).status_code == 200
    error_of(till.get(f"/pos/session/{shop_session}/report", headers=token_for(2)), 403,
             "forbidden")
    error_of(anonymous.get(f"/pos/session/{shop_session}/report"), 401, "unauthorized")
    assert report(addon_instance, shop_session)["closed"] is False


BAD_COUNTS = [
    ({}, 400, "counted_cash_required"),
    ({"counted_cash": None}, 400, "counted_cash_required"),
    ({"counted_cash": "-1"}, 400, "invalid_field"),
    ({"counted_cash": -1}, 400, "invalid_field"),
    ({"counted_cash": "1e3"}, 400, "invalid_field"),
    ({"counted_cash": "12,50"}, 400, "invalid_field"),
    ({"counted_cash": True}, 400, "invalid_field"),
    ({"counted_cash": [1]}, 400, "invalid_field"),
    ({"counted_cash": 10**12}, 400, "invalid_field"),
    ([], 400, "invalid_body"),
]


def test_a_bad_cash_count_is_refused_and_the_session_stays_open(
        admin_client, addon_instance, shop_session):
    for body, status, code in BAD_COUNTS:
        message = error_of(admin_client.post(f"/pos/session/{shop_session}/close", json=body),
                           status, code)
        assert "counted_cash" in message or "JSON object" in message
    assert report(addon_instance, shop_session)["closed"] is False


def test_hostile_close_bodies_and_unknown_sessions(admin_client, addon_instance, shop_session):
    for raw in ["NaN", "Infinity", "1e400", hj.deep_array(), hj.deep_object(), '"\\ud800"']:
        response = admin_client.post(f"/pos/session/{shop_session}/close",
                                     data=f'{{"counted_cash": {raw}}}',
                                     content_type="application/json")
        assert 400 <= response.status_code < 500, raw
    error_of(admin_client.post(f"/pos/session/{shop_session}/close", data="counted_cash=1"),
             415, "unsupported_media_type")
    error_of(admin_client.post(f"/pos/session/{shop_session}/close", data="{",
                               content_type="application/json"), 400, "malformed_json")
    error_of(admin_client.post("/pos/session/999/close", json={"counted_cash": 1}), 404,
             "unknown_session")
    error_of(admin_client.get("/pos/session/999/report"), 404, "unknown_session")
    assert report(addon_instance, shop_session)["closed"] is False


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=hj.hostile_bodies({"counted_cash": "10.00"}))
def test_hostile_close_bodies_never_make_a_5xx(admin_client, addon_instance, shop_session, body):
    response = admin_client.post(f"/pos/session/{shop_session}/close", data=body,
                                 content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)
    with addon_instance.engine.connect() as connection:
        closings = connection.scalar(text("SELECT count(*) FROM point_of_sale_closing"))
    assert closings == (1 if response.status_code == 200 else closings)
    assert closings <= 1


# -- the admin's session page ------------------------------------------------------------------

def test_the_admin_closes_a_session_with_its_cash_count_on_the_session_page(
        admin_client, addon_instance, shop_session):
    sell_a_day(addon_instance, shop_session)
    page = admin_client.get(f"/web/pos/sessions/{shop_session}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Close the session" in html and "expected 6.61" in html
    bad = admin_client.post("/web/pos/configs/1/close-session", data={
        "csrf_token": csrf_token(html), "session_id": shop_session, "counted_cash": "lots",
        "next": f"/web/pos/sessions/{shop_session}"}, follow_redirects=True)
    assert "is not a number" in bad.get_data(as_text=True)
    assert report(addon_instance, shop_session)["closed"] is False
    done = admin_client.post("/web/pos/configs/1/close-session", data={
        "csrf_token": csrf_token(html), "session_id": shop_session, "counted_cash": "6,61",
        "next": f"/web/pos/sessions/{shop_session}"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "Session Shop/00001 is closed." in html
    assert "Closing sealed as ticket 4" in html and "Close the session" not in html
    assert report(addon_instance, shop_session)["cash_difference"] == "0.00"
    assert "The 3 tickets stored here add up to this closing." in html
    with tamper(addon_instance.engine) as connection:  # a payment altered after the closing
        connection.execute(text("UPDATE point_of_sale_payment SET amount = amount + 1 "
                                "WHERE id = (SELECT min(id) FROM point_of_sale_payment)"))
    html = admin_client.get(f"/web/pos/sessions/{shop_session}").get_data(as_text=True)
    assert "do not add up to this closing" in html and "totals_by_method" in html
    assert admin_client.get("/web/pos/sessions/999").status_code == 404
