"""pos_check_session_state on the server: the state route, the frequency field, the per-order
refusal of orders for a session that is not opened, the kept payloads, attaching them to the
open session, and the addon's schema."""
import json
import uuid as uuid_module

import pytest
from sqlalchemy import func, inspect, select, text

from addons.point_of_sale import sessions
from addons.point_of_sale.models import Order, PosSession
from addons.point_of_sale.orders import ParsedOrder, parse_order, push_orders
from addons.pos_check_session_state.models import RejectedOrder
from addons.pos_check_session_state.rejected import AttachError, attach
from tests.support import (
    ADMIN_LOGIN,
    assert_migrations_build_exactly_the_models,
    bearer_header,
    csrf_token,
)

TABLE = "pos_check_session_state_rejected_order"


def an_order(session_id, **changes):
    """Two espressos (1.80, 10 % tax), 1.5 croissants (1.60, 5.5 % tax, 10 % off): 6.24."""
    order = {"uuid": str(uuid_module.uuid4()), "session_id": session_id,
             "created_at": "2026-11-22T10:15:00Z", "reference": "Order 00001-001-0001",
             "sequence_number": 1, "partner_id": None,
             "lines": [{"product_id": 1, "qty": 2, "price_unit": "1.80"},
                       {"product_id": 16, "qty": "1.5", "price_unit": 1.6, "discount": 10}],
             "payments": [{"method": "cash", "amount": 10}], "amount_total": "6.24"}
    order.update(changes)
    return order


def open_session(instance, config_id=1):
    with instance.engine.begin() as connection:
        return sessions.open_session(connection, config_id)


def close_session(instance, config_id=1):
    with instance.engine.begin() as connection:
        return sessions.close_session(connection, config_id)


def start_closing(instance, config_id=1):
    with instance.engine.begin() as connection:
        return sessions.start_closing(connection, config_id)


def bearer(instance, config_id):
    return bearer_header(instance, config_id)


def push(instance, *orders):
    with instance.engine.begin() as connection:
        return push_orders(connection, list(orders),
                           check_order=instance.plugin_manager().hook.check_pos_order)


def rejected_rows(instance):
    with instance.engine.connect() as connection:
        return connection.execute(select(RejectedOrder).order_by(RejectedOrder.id)).all()


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert response.json["error"]["code"] == code


# -- the state route ------------------------------------------------------------------------

def test_an_opened_session_is_open(addon_instance, admin_client):
    session_id = open_session(addon_instance)
    response = admin_client.get(f"/pos_check_session_state/state/{session_id}")
    assert response.status_code == 200
    assert response.json == {"session_id": session_id, "name": "Shop/00001", "state": "opened",
                             "is_open": True}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_session_in_closing_control_is_not_open(addon_instance, admin_client):
    session_id = open_session(addon_instance)
    start_closing(addon_instance)
    response = admin_client.get(f"/pos_check_session_state/state/{session_id}")
    assert (response.json["state"], response.json["is_open"]) == ("closing_control", False)


def test_a_closed_session_is_not_open(addon_instance, admin_client):
    session_id = open_session(addon_instance)
    close_session(addon_instance)
    response = admin_client.get(f"/pos_check_session_state/state/{session_id}")
    assert (response.json["state"], response.json["is_open"]) == ("closed", False)


def test_a_session_in_opening_control_is_not_open(addon_instance, admin_client):
    with addon_instance.engine.begin() as connection:
        session_id = connection.execute(PosSession.__table__.insert().values(
            config_id=2, name="Bar/00001", state="opening_control", login_number=0,
            sequence_number=0)).inserted_primary_key[0]
    response = admin_client.get(f"/pos_check_session_state/state/{session_id}")
    assert (response.json["state"], response.json["is_open"]) == ("opening_control", False)


def test_an_unknown_session_is_404_json(addon_instance, admin_client):
    assert_error(admin_client.get("/pos_check_session_state/state/999"), 404,
                 "unknown_session")


def test_an_anonymous_caller_gets_401_json(addon_instance, app):
    session_id = open_session(addon_instance)
    client = app.test_client()
    assert_error(client.get(f"/pos_check_session_state/state/{session_id}"), 401,
                 "unauthorized")
    assert_error(client.get("/pos_check_session_state/state/999"), 401, "unauthorized")


def test_a_forged_token_gets_401_json(addon_instance, app):
    session_id = open_session(addon_instance)
    response = app.test_client().get(f"/pos_check_session_state/state/{session_id}",
                                           headers={"Authorization": "Bearer not.a.token"})
    assert_error(response, 401, "invalid_token")


def test_a_token_of_the_sessions_config_may_ask(addon_instance, app):
    session_id = open_session(addon_instance)
    response = app.test_client().get(f"/pos_check_session_state/state/{session_id}",
                                           headers=bearer(addon_instance, 1))
    assert response.status_code == 200 and response.json["is_open"] is True


def test_a_token_for_another_config_gets_403_json(addon_instance, app):
    session_id = open_session(addon_instance)
    response = app.test_client().get(f"/pos_check_session_state/state/{session_id}",
                                           headers=bearer(addon_instance, 2))
    assert_error(response, 403, "forbidden")


def test_the_pos_page_includes_the_check_module_and_serves_it(addon_instance, admin_client):
    open_session(addon_instance)
    page = admin_client.get("/pos/ui/1").get_data(as_text=True)
    assert '<script type="module" src="/pos_check_session_state/static/session_state.js' in page
    script = admin_client.get("/pos_check_session_state/static/session_state.js")
    assert script.status_code == 200
    assert "check_session_frequency" in script.get_data(as_text=True)


# -- the frequency field --------------------------------------------------------------------

def test_the_frequency_defaults_to_60_seconds_in_the_pos_data(addon_instance, admin_client):
    open_session(addon_instance)
    response = admin_client.get("/pos/config/1/data")
    assert response.json["config"]["check_session_frequency"] == 60


def settings_post(client, value):
    page = client.get("/web/settings/pos.config/1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Check frequency (seconds)" in html
    assert "0 turns the periodic check off" in html
    return client.post("/web/settings/pos.config/1",
                       data={"check_session_frequency": value, "csrf_token": csrf_token(html)})


@pytest.mark.parametrize("value, message", [
    ("-1", "must be at least 0"),
    ("86401", "must be at most 86400"),
    ("abc", "whole number"),
])
def test_a_frequency_out_of_range_or_not_a_number_is_refused_with_a_message(
        addon_instance, admin_client, value, message):
    response = settings_post(admin_client, value)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert admin_client.get("/pos/config/1/data").json["config"][
        "check_session_frequency"] == 60


def test_a_frequency_of_zero_is_accepted_and_reaches_the_pos_data(addon_instance,
                                                                   admin_client):
    response = settings_post(admin_client, "0")
    assert response.status_code == 302
    assert admin_client.get("/pos/config/1/data").json["config"][
        "check_session_frequency"] == 0
    assert settings_post(admin_client, "86400").status_code == 302


# -- refusing orders for a session that is not opened ---------------------------------------

def test_a_push_refuses_only_the_order_on_a_closed_session(addon_instance):
    closed = open_session(addon_instance)
    close_session(addon_instance)
    opened = open_session(addon_instance)
    late, fine = an_order(closed), an_order(opened)
    results = push(addon_instance, late, fine)
    assert results[0]["status"] == "rejected"
    assert results[0]["error"]["code"] == "session_closed"
    assert "Shop/00001" in results[0]["error"]["message"]
    assert "is closed" in results[0]["error"]["message"]
    assert results[1]["status"] == "created"
    with addon_instance.engine.connect() as connection:
        stored = connection.execute(select(Order.uuid, Order.session_id)).all()
    assert stored == [(fine["uuid"], opened)]


def test_an_order_on_a_session_in_closing_control_is_refused_naming_that_state(
        addon_instance):
    session_id = open_session(addon_instance)
    start_closing(addon_instance)
    result, = push(addon_instance, an_order(session_id))
    assert result["error"]["code"] == "session_closed"
    assert "is being closed (closing control)" in result["error"]["message"]


def test_the_http_push_answers_session_closed_per_order(addon_instance, admin_client):
    closed = open_session(addon_instance)
    close_session(addon_instance)
    opened = open_session(addon_instance)
    response = admin_client.post("/pos/orders", json=[an_order(closed), an_order(opened)])
    assert response.status_code == 200
    assert [r["status"] for r in response.json["results"]] == ["rejected", "created"]
    assert response.json["results"][0]["error"]["code"] == "session_closed"


def test_the_refused_order_is_kept_whole_and_its_payload_parses_back(addon_instance):
    closed = open_session(addon_instance)
    close_session(addon_instance)
    order = an_order(closed, partner_id=1)
    push(addon_instance, order)
    row, = rejected_rows(addon_instance)
    assert (row.uuid, row.session_id, row.config_id) == (order["uuid"], closed, 1)
    assert row.attached_order_id is None and row.rejected_at is not None
    payload = json.loads(row.payload)
    assert payload["lines"][1] == {"product_id": 16, "qty": "1.500", "price_unit": "1.60",
                                   "discount": "10.00"}
    assert parse_order(payload) == parse_order(order)


def test_the_wire_form_of_a_parsed_order_parses_to_the_same_order():
    parsed = parse_order(an_order(3, amount_total=None, sequence_number=None,
                                  created_at="2026-11-22T11:15:00+01:00"))
    assert isinstance(parsed, ParsedOrder)
    assert parse_order(json.loads(json.dumps(parsed.to_wire()))) == parsed


def test_a_till_sending_the_refused_order_again_keeps_one_row(addon_instance):
    closed = open_session(addon_instance)
    close_session(addon_instance)
    order = an_order(closed)
    push(addon_instance, order)
    push(addon_instance, order, order)
    assert [r.uuid for r in rejected_rows(addon_instance)] == [order["uuid"]]


def test_orders_on_an_opened_session_are_not_recorded(addon_instance):
    opened = open_session(addon_instance)
    assert push(addon_instance, an_order(opened))[0]["status"] == "created"
    assert rejected_rows(addon_instance) == []


# -- attaching a refused order to the open session ------------------------------------------

def refused_order(instance):
    closed = open_session(instance)
    close_session(instance)
    order = an_order(closed)
    assert push(instance, order)[0]["error"]["code"] == "session_closed"
    return order


def test_attach_refuses_when_no_session_is_open(addon_instance):
    refused_order(addon_instance)
    row, = rejected_rows(addon_instance)
    with addon_instance.engine.begin() as connection, pytest.raises(
            AttachError, match="Shop has no session: open a session first"):
        attach(connection, row.id, "someone")


def test_the_rejected_orders_page_needs_a_signed_in_admin(addon_instance, app):
    response = app.test_client().get("/web/pos/rejected/")
    assert response.status_code == 302 and "/web/login" in response.headers["Location"]


def test_the_rejected_orders_page_is_linked_from_the_admin_header(addon_instance,
                                                                  admin_client):
    html = admin_client.get("/web/apps").get_data(as_text=True)
    assert 'href="/web/pos/rejected/">Rejected orders</a>' in html


def test_attaching_without_the_csrf_token_is_refused(addon_instance, admin_client):
    refused_order(addon_instance)
    open_session(addon_instance)
    row, = rejected_rows(addon_instance)
    response = admin_client.post(f"/web/pos/rejected/{row.id}/attach")
    assert response.status_code == 400
    assert rejected_rows(addon_instance)[0].attached_order_id is None


def test_attaching_with_no_open_session_flashes_an_error(addon_instance, admin_client):
    refused_order(addon_instance)
    row, = rejected_rows(addon_instance)
    html = admin_client.get("/web/pos/rejected/").get_data(as_text=True)
    response = admin_client.post(f"/web/pos/rejected/{row.id}/attach",
                                 data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Not attached: Shop has no session: open a session first" in page
    assert rejected_rows(addon_instance)[0].attached_order_id is None


def test_a_manager_attaches_a_refused_order_and_the_till_resend_is_a_duplicate(
        addon_instance, admin_client):
    order = refused_order(addon_instance)
    opened = open_session(addon_instance)
    html = admin_client.get("/web/pos/rejected/").get_data(as_text=True)
    assert order["reference"] in html and "Shop/00001 (closed)" in html
    assert "Attach to the open session" in html
    row, = rejected_rows(addon_instance)
    response = admin_client.post(f"/web/pos/rejected/{row.id}/attach",
                                 data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Attached to session Shop/00002" in page
    assert "No rejected orders waiting." in page
    with addon_instance.engine.connect() as connection:
        stored = connection.execute(select(Order).where(Order.uuid == order["uuid"])).one()
        opened_sequence = connection.scalar(select(PosSession.sequence_number)
                                            .where(PosSession.id == opened))
    assert stored.session_id == opened
    assert str(stored.amount_total) == "6.24"
    assert stored.reference == order["reference"]
    assert opened_sequence == 0  # the closed session's numbering does not move the open one's
    row, = rejected_rows(addon_instance)
    assert (row.attached_order_id, row.attached_to_session_id, row.attached_by) == (
        stored.id, opened, ADMIN_LOGIN)
    assert row.attached_at is not None
    # The till sends it again (it kept it under Needs attention): a duplicate, it leaves.
    resent = admin_client.post("/pos/orders", json=[order]).json["results"][0]
    # (its ticket number and link, from when it was attached, come with the answer)
    assert {k: resent[k] for k in ("uuid", "status", "order_id")} == {
        "uuid": order["uuid"], "status": "duplicate", "order_id": stored.id}
    assert isinstance(resent["number"], int) and len(resent["link"]) == 64
    # A second attach of the same row changes nothing.
    response = admin_client.post(f"/web/pos/rejected/{row.id}/attach",
                                 data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    assert "is already attached" in response.get_data(as_text=True)
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Order)) == 1


# -- schema ---------------------------------------------------------------------------------

def test_the_migrations_build_exactly_the_models(addon_instance):
    assert_migrations_build_exactly_the_models(addon_instance, "pos_check_session_state")


def test_uninstalling_drops_the_table_and_the_frequency_values(addon_instance, admin_client):
    refused_order(addon_instance)
    settings_post(admin_client, "5")
    assert TABLE in inspect(addon_instance.engine).get_table_names()
    addon_instance.uninstall(["pos_check_session_state"])
    addon_instance.engine.dispose()
    assert TABLE not in inspect(addon_instance.engine).get_table_names()
    assert "point_of_sale_order" in inspect(addon_instance.engine).get_table_names()
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text(
            "SELECT count(*) FROM core_record_setting WHERE field = 'check_session_frequency'"
        )) == 0
