"""pos_multi_session on the main instance: the admin pages, the config form's fields, what the
POS page loads, and the run that ends when the last session of a multi-session closes."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from addons.point_of_sale.tokens import verify_token
from addons.pos_multi_session.membership import (
    SyncServerError,
    clean_sync_server,
    member_config_ids,
    set_membership,
)
from addons.pos_multi_session.models import MultiSession
from addons.pos_multi_session_sync.models import SyncOrder
from core.cli import cli
from tests.support import ADMIN_LOGIN, get_parameter, post_form, table_row, text_of


def multi_session(instance, multi_session_id=1):
    with instance.engine.connect() as connection:
        return connection.execute(select(MultiSession).where(
            MultiSession.id == multi_session_id)).first()


def send(client, action, data, pos_id=1, run_id=1):
    answer = client.post("/pos_multi_session_sync/update", json={
        "multi_session_id": 1, "dbname": client.application.extensions["core"].db_name,
        "user_ID": 1,
        "message": {"action": action, "session_id": 1, "login_number": 1,
                    "data": {"pos_id": pos_id, "run_ID": run_id, "nonce": f"n-{action}-{pos_id}",
                             **data}}})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def new_order(uid, *lines):
    return {"uid": uid, "name": f"Order {uid}", "sequence_number": 1, "revision_ID": 1,
            "new_order": True, "partner_id": None,
            "lines": [{"uid": f"{uid}-{n}", "product_id": 1, "name": name, "qty": "1",
                       "price_unit": "1.80", "discount": "0", "tax_rate": "10.00"}
                      for n, name in enumerate(lines, 1)]}


# -- admin pages ----------------------------------------------------------------------------

def test_the_list_shows_the_demo_multi_session_with_its_configs(admin_client):
    page = admin_client.get("/web/pos/multi-sessions/")
    assert page.status_code == 200
    assert table_row(page.get_data(as_text=True), "multi-session-1") == [
        "1", "Shop floor", "yes", "Shop, Bar", "this instance", "1"]


def test_a_new_multi_session_takes_the_configs_checked_from_the_other(admin_client,
                                                                      addon_instance):
    answer = post_form(admin_client, "/web/pos/multi-sessions/new", data={
        "name": "Terrace", "active": "1", "sync_server": "", "member_2": "1"})
    assert answer.status_code == 302
    with addon_instance.engine.connect() as connection:
        terrace = connection.scalar(select(MultiSession.id).where(MultiSession.name == "Terrace"))
        assert member_config_ids(connection, terrace) == [2]
        assert member_config_ids(connection, 1) == [1]
    # The POS config form shows the flags; membership is the multi-session form's.
    form = admin_client.get("/web/pos/configs/2").get_data(as_text=True)
    assert "Accept orders of other tills" in form
    assert "multi_session_id" not in form


def test_unchecking_a_config_takes_it_out(admin_client, addon_instance):
    post_form(admin_client, "/web/pos/multi-sessions/1", data={
        "name": "Shop floor", "active": "1", "sync_server": "", "member_1": "1"})
    with addon_instance.engine.connect() as connection:
        assert member_config_ids(connection, 1) == [1]


@pytest.mark.parametrize("typed, message", [
    ("//localhost:8080", "write the scheme too"),
    ("ftp://sync.example", "must be an address"),
    ("https://sync.example/?x=1", "without ?query"),
    ("http://sync.example:99999", "port must be a number"),
])
def test_a_sync_server_the_tills_could_not_use_is_refused_with_the_reason(
        admin_client, addon_instance, typed, message):
    answer = post_form(admin_client, "/web/pos/multi-sessions/1", data={
        "name": "Shop floor", "active": "1", "sync_server": typed, "member_1": "1"})
    assert answer.status_code == 400
    assert message in text_of(answer)
    assert multi_session(addon_instance).sync_server == ""


def test_a_trailing_slash_is_dropped_and_a_loopback_address_is_warned_about(admin_client,
                                                                           addon_instance):
    answer = post_form(admin_client, "/web/pos/multi-sessions/1", follow_redirects=True, data={
        "name": "Shop floor", "active": "1", "sync_server": " http://127.0.0.1:8079/ ",
        "member_1": "1", "member_2": "1"})
    assert answer.status_code == 200
    assert multi_session(addon_instance).sync_server == "http://127.0.0.1:8079"
    assert "names the till's own device" in text_of(answer)


def test_a_form_without_a_name_is_refused(admin_client):
    answer = post_form(admin_client, "/web/pos/multi-sessions/new", data={"name": " "})
    assert answer.status_code == 400 and "needs a name" in text_of(answer)


def test_the_pages_need_a_signed_in_admin(app):
    client = app.test_client()
    assert client.get("/web/pos/multi-sessions/").status_code == 302
    # With a valid CSRF token (a visitor gets one on the sign-in page), so that what refuses
    # the form is the sign-in check itself.
    refused = post_form(client, "/web/pos/multi-sessions/new", data={"name": "x"},
                        page="/web/login")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/web/login?next=")
    assert multi_session_count(app) == 1


def multi_session_count(app):
    with app.extensions["core"].engine.connect() as connection:
        return len(connection.scalars(select(MultiSession.id)).all())


def test_sync_server_addresses_are_cleaned():
    assert clean_sync_server("") == ""
    assert clean_sync_server("https://sync.example.com/") == "https://sync.example.com"
    with pytest.raises(SyncServerError):
        clean_sync_server("sync.example.com")


# -- what the POS page loads ----------------------------------------------------------------

def test_the_page_data_says_where_to_sync_and_who_the_till_is(admin_client, addon_instance):
    data = admin_client.get("/pos/config/1/data").get_json()
    user_id = data["multi_session"]["user"]["id"]
    assert data["multi_session"] == {
        "id": 1, "name": "Shop floor", "run_ID": 1, "sync_server": "", "token": None,
        "db_name": addon_instance.db_name, "user": {"id": user_id, "name": ADMIN_LOGIN}}
    assert user_id > 0


def test_hook_extend_pos_token_names_the_multi_session_in_the_token(admin_client,
                                                                      addon_instance):
    with addon_instance.engine.begin() as connection:
        connection.execute(update(MultiSession).values(sync_server="https://sync.example"))
    data = admin_client.get("/pos/config/2/data").get_json()["multi_session"]
    key = get_parameter(addon_instance, "point_of_sale.token_key")
    assert data["sync_server"] == "https://sync.example"
    claims = verify_token({addon_instance.db_name: [key]}, data["token"], 3600)
    # The instance, the config and its multi-session with the run it is on.
    assert (claims.db_name, claims.config_id, claims.multi_sessions) == (
        addon_instance.db_name, 2, {1: 1})


def test_no_multi_session_data_when_inactive_or_not_a_member(admin_client, addon_instance):
    with addon_instance.engine.begin() as connection:
        set_membership(connection, 2, 0)
    assert "multi_session" not in admin_client.get("/pos/config/2/data").get_json()
    with addon_instance.engine.begin() as connection:
        connection.execute(update(MultiSession).values(active=False))
    assert "multi_session" not in admin_client.get("/pos/config/1/data").get_json()


# -- runs -----------------------------------------------------------------------------------

def test_closing_the_last_session_ends_the_run_and_lists_its_unpaid_orders(admin_client,
                                                                           addon_instance):
    send(admin_client, "sync_all", {"immediate_rerendering": True})
    reply = send(admin_client, "update_order", new_order("o-1", "Espresso", "Croissant"))
    assert reply["action"] == "update_revision_ID"
    post_form(admin_client, "/web/pos/configs/1/close-session", page="/web/pos/configs")
    assert multi_session(addon_instance).run_id == 1  # Bar is still open
    post_form(admin_client, "/web/pos/configs/2/close-session", page="/web/pos/configs")
    assert multi_session(addon_instance).run_id == 2
    with addon_instance.engine.connect() as connection:
        order = connection.execute(select(SyncOrder).where(SyncOrder.uid == "o-1")).one()
    assert order.state == "unpaid"
    listing = admin_client.get("/web/pos_multi_session_sync/unpaid").get_data(as_text=True)
    assert table_row(listing, f"unpaid-{order.id}")[:6] == [
        addon_instance.db_name, "1", "1", "Order o-1", "1 × Espresso, 1 × Croissant", "3.96"]
    # A manager restores it into the new run: a draft again, for the tills of run 2.
    post_form(admin_client, f"/web/pos_multi_session_sync/unpaid/{order.id}/restore",
              page="/web/pos_multi_session_sync/unpaid")
    with addon_instance.engine.connect() as connection:
        restored = connection.execute(select(SyncOrder).where(SyncOrder.uid == "o-1")).one()
    assert (restored.state, restored.run_id) == ("draft", 2)


def test_core_pos_close_ends_the_run_too(addon_instance, monkeypatch):
    monkeypatch.setenv("CORE_ADDONS_PATH", "")  # the built-in addons, whose command `pos` is
    runner = CliRunner()
    for config_id in ("1", "2"):
        result = runner.invoke(cli, ["--db", addon_instance.url, "pos", "close", config_id])
        assert result.exit_code == 0, result.output
    assert multi_session(addon_instance).run_id == 2
