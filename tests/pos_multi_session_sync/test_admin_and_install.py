"""The unpaid orders page (list, Restore), installing the sync server alone, and CORS."""
import json

from sqlalchemy import inspect, text

from addons.pos_multi_session_sync.protocol import end_run
from tests.pos_multi_session_sync.sync_helpers import (
    DBNAME,
    MULTI_SESSION,
    Till,
    bus_messages,
    line,
    message_ids,
    order,
    synced,
)
from tests.support import (
    assert_migrations_build_exactly_the_models,
    post_form,
    scalar,
    table_row,
    text_of,
)

PAGE = "/web/pos_multi_session_sync/unpaid"


def order_row(instance, uid):
    with instance.engine.connect() as connection:
        return connection.execute(text("SELECT * FROM pos_multi_session_sync_order "
                                       "WHERE uid = :uid"), {"uid": uid}).one()._mapping


def left_unpaid(instance, client):
    """Two tills, order A (2 lines, number 1) and B (number 2), then every session closes."""
    shop, bar = Till(client, pos_id=1), Till(client, pos_id=2)
    shop.sync_all()
    bar.sync_all()
    espresso = {**line("A", qty=2, price="1.80"), "name": "Espresso"}
    shop.update_order(order("A", [espresso, line("A")], name="Order 00005-001-0001"))
    bar.update_order(order("B", pos_id=2, amount_total=7.25))  # as an original till sends it
    with instance.engine.begin() as connection:
        end_run(connection, DBNAME, MULTI_SESSION, 2)
    return shop, bar


def test_the_page_needs_a_signed_in_admin(anonymous):
    response = anonymous.get(PAGE)
    assert response.status_code == 302 and "/web/login" in response.headers["Location"]
    # With a valid CSRF token (a visitor gets one on the sign-in page), so that what refuses
    # the restore is the sign-in check itself.
    refused = post_form(anonymous, PAGE + "/1/restore", page="/web/login")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/web/login?next=")


def test_an_empty_list_says_nothing_was_lost(admin_client):
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    assert "No unpaid orders" in text_of(response)
    assert f'href="{PAGE}"' in response.get_data(as_text=True)  # the header's menu link
    assert admin_client.get("/web/pos_multi_session_sync/").status_code == 302


def test_orders_left_when_the_run_ended_are_listed(addon_instance, admin_client):
    left_unpaid(addon_instance, admin_client)
    page = admin_client.get(PAGE).get_data(as_text=True)
    row_id = order_row(addon_instance, "A")["id"]
    cells = table_row(page, f"unpaid-{row_id}")
    # What a manager needs to tell the orders apart: reference, content, total.
    assert cells[:7] == [DBNAME, "1", "1", "Order 00005-001-0001",
                         "2 × Espresso, 1 × product #1", "5.10", "Alice (Shop)"]
    assert cells[7]  # updated
    assert "Restore" in cells[8]
    cells = table_row(page, f"unpaid-{order_row(addon_instance, 'B')['id']}")
    assert cells[3:6] == ["Order B", "no lines", "7.25"]


def test_restore_puts_the_order_back_in_the_current_run_and_tells_the_tills(addon_instance,
                                                                            admin_client):
    shop, _ = left_unpaid(addon_instance, admin_client)
    shop.run = 2
    shop.sync_all()  # the reloaded till
    shop.update_order(order("C", run=2))  # number 1 of run 2
    row = order_row(addon_instance, "A")
    before = {pos_id: message_ids(addon_instance, pos_id) for pos_id in (1, 2)}
    response = post_form(admin_client, f"{PAGE}/{row['id']}/restore", page=PAGE,
                         follow_redirects=True)
    assert response.status_code == 200
    assert "Restored Order 00005-001-0001 as number 2 of multi-session 1" in text_of(response)
    restored = order_row(addon_instance, "A")
    assert (restored["state"], restored["run_id"]) == ("draft", 2)
    assert restored["revision_id"] == row["revision_id"] + 1
    assert restored["sequence_number"] == 2
    assert json.loads(restored["order_json"])["run_ID"] == 2
    for pos_id in (1, 2):
        message = bus_messages(addon_instance, pos_id)[-1]
        assert message["action"] == "update_order" and message["session_id"] is None
        assert message["data"]["uid"] == "A" and message["data"]["sequence_number"] == 2
        assert message["data"]["revision_ID"] == restored["revision_id"]
        assert message_ids(addon_instance, pos_id) == before[pos_id] + [before[pos_id][-1] + 1]
    assert [o["uid"] for o in synced(shop.sync_all())] == ["C", "A"]
    assert shop.update_order(order("D", run=2))["order_ID"] == 3  # no number given twice
    # Restoring it again says why not.
    response = post_form(admin_client, f"{PAGE}/{row['id']}/restore", page=PAGE,
                         follow_redirects=True)
    assert "Not restored: order A is draft, not unpaid" in text_of(response)
    response = post_form(admin_client, f"{PAGE}/9999/restore", page=PAGE, follow_redirects=True)
    assert "Not restored: there is no shared order 9999" in text_of(response)


def test_restore_needs_the_csrf_token(addon_instance, admin_client):
    left_unpaid(addon_instance, admin_client)
    row = order_row(addon_instance, "A")
    assert admin_client.post(f"{PAGE}/{row['id']}/restore").status_code == 400
    assert order_row(addon_instance, "A")["state"] == "unpaid"


def test_installed_alone_its_migrations_build_its_models(addon_instance):
    assert set(addon_instance.installed()) >= {"point_of_sale", "pos_longpolling",
                                             "pos_multi_session_sync"}
    assert_migrations_build_exactly_the_models(addon_instance, "pos_multi_session_sync")


def test_uninstall_drops_its_tables_and_keeps_the_bus(addon_instance):
    addon_instance.uninstall(["pos_multi_session_sync"])
    tables = inspect(addon_instance.engine).get_table_names()
    assert not [t for t in tables if t.startswith("pos_multi_session_sync_")]
    assert "pos_longpolling_message" in tables
    assert "pos_multi_session_sync" not in addon_instance.installed()


def test_hook_longpolling_cors_paths_opens_the_sync_route_to_the_configured_origins(
        set_parameter, make_app):
    set_parameter("pos_longpolling.cors_origins", "https://shop.example.com")
    client = make_app().test_client()
    preflight = client.options("/pos_multi_session_sync/update", headers={
        "Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, Authorization"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    other = client.options("/pos_multi_session_sync/update", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_separate_server_accepts_the_main_instances_tokens(addon_instance, app,
                                                             set_parameter):
    """The main's POS token key in point_of_sale.trusted_token_keys: its tokens work here."""
    from addons.point_of_sale.tokens import issue_token
    set_parameter("point_of_sale.trusted_token_keys", "shop=key-of-the-main-instance-shop")
    from core.web import create_app
    app = create_app(instance=addon_instance)
    token = issue_token("key-of-the-main-instance-shop", "shop", 2, {1: 1})
    till = Till(app.test_client(), pos_id=2, headers={"Authorization": f"Bearer {token}"})
    assert till.update_order(order("A", pos_id=2))["order_ID"] == 1
    assert scalar(addon_instance, "SELECT count(*) FROM pos_multi_session_sync_pos") == 1
