"""The POS routes through HTTP: who may call them, and every kind of bad input."""
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select, text

from addons.point_of_sale.models import Order
from addons.point_of_sale.tokens import issue_token, verify_token
from core.cli import cli
from core.web import create_app
from tests.point_of_sale.test_order_push import an_order
from tests.support import bearer_header as bearer
from tests.support import get_parameter, installed_instance, set_parameter, testing_app

DEMO_SHOP_SETTINGS = {
    "shop_name": "Comptoir Café", "shop_address": "12 rue des Halles\n69001 Lyon",
    "vat_number": "FR 32 123456789", "currency_code": "", "locale": "en-US",
    "prices_include_tax": True}


def own_keys(instance):
    """The keys the instance checks its own tokens with."""
    return {instance.db_name: [get_parameter(instance, "point_of_sale.token_key")]}


def stored_orders(instance):
    with instance.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Order))


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


# -- who may call -----------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("post", "/pos/orders"), ("get", "/pos/config/1/data"), ("post", "/pos/session/1/login")])
def test_anonymous_callers_get_401_json(app, shop_session, method, path):
    response = getattr(app.test_client(), method)(path, json=[])
    assert_error(response, 401, "unauthorized")
    assert "core token CONFIG_ID" in response.json["error"]["message"]


def test_a_push_without_credentials_is_refused_before_any_transaction(app, addon_instance,
                                                                       shop_session, admin_client):
    """An anonymous or forged caller never takes the write lock (SQLite's BEGIN IMMEDIATE); a
    signed-in till's push looks its session up in the push's own transaction."""
    checkouts = []

    def count_checkout(*_args):
        checkouts.append(1)
    event.listen(addon_instance.engine, "checkout", count_checkout)
    try:
        client = app.test_client()
        assert_error(client.post("/pos/orders", json=[an_order(shop_session)]), 401,
                     "unauthorized")
        assert_error(client.post("/pos/orders", json=[an_order(shop_session)],
                                 headers={"Authorization": "Bearer not.a.token"}), 401,
                     "invalid_token")
        assert checkouts == []
        pushed = admin_client.post("/pos/orders", json=[an_order(shop_session)])
        assert pushed.json["results"][0]["status"] == "created"
        assert len(checkouts) == 1
    finally:
        event.remove(addon_instance.engine, "checkout", count_checkout)
    assert stored_orders(addon_instance) == 1


def test_a_forged_token_is_refused(app, shop_session):
    response = app.test_client().get("/pos/config/1/data",
                                         headers={"Authorization": "Bearer not.a.token"})
    assert_error(response, 401, "invalid_token")


def test_a_token_signed_by_another_secret_is_refused(app, shop_session):
    db_name = app.extensions["core"].db_name
    headers = {"Authorization": f"Bearer {issue_token('another key', db_name, 1)}"}
    assert_error(app.test_client().get("/pos/config/1/data", headers=headers), 401,
                 "invalid_token")


def test_an_expired_token_is_refused(addon_instance, shop_session):
    headers = bearer(addon_instance, 1)
    with addon_instance.engine.begin() as connection:
        addon_instance.parameters(connection).set("point_of_sale.token_max_age", 0)
    time.sleep(1.1)
    # Built after the change, as a served app is rebuilt within seconds of one.
    response = create_app(instance=addon_instance).test_client().get("/pos/config/1/data",
                                                                    headers=headers)
    assert_error(response, 401, "invalid_token")
    assert "expired" in response.json["error"]["message"]


def test_a_token_opens_only_its_own_config(addon_instance, app, shop_session):
    client = app.test_client()
    assert client.get("/pos/config/1/data", headers=bearer(addon_instance, 1)).status_code == 200
    assert_error(client.get("/pos/config/1/data", headers=bearer(addon_instance, 2)), 403,
                 "forbidden")
    assert_error(client.post(f"/pos/session/{shop_session}/login",
                             headers=bearer(addon_instance, 2)), 403, "forbidden")


def test_a_second_instance_trusting_the_token_key_opens_no_pos_route_of_its_own(
        addon_instance, shop_session, other_db_url):
    """A token names its instance: another instance refuses it (401 while it does not trust
    the issuer's key; 403 on its own POS routes once it does, as a sync server would)."""
    second = installed_instance(other_db_url, ["point_of_sale"])
    try:
        headers = bearer(addon_instance, 1)  # issued by the first instance
        second_client = testing_app(second).test_client()
        assert_error(second_client.get("/pos/config/1/data", headers=headers), 401,
                     "invalid_token")
        set_parameter(second, "core.secret_key", get_parameter(addon_instance, "core.secret_key"))
        assert_error(testing_app(second).test_client().get("/pos/config/1/data",
                                                           headers=headers), 401,
                     "invalid_token")  # the session secret opens nothing
        set_parameter(second, "point_of_sale.trusted_token_keys",
                      f"{addon_instance.db_name}="
                      f"{get_parameter(addon_instance, 'point_of_sale.token_key')}")
        assert_error(testing_app(second).test_client().get("/pos/config/1/data",
                                                           headers=headers), 403,
                     "foreign_token")
    finally:
        second.engine.dispose()


def test_a_token_names_its_instance_and_config(addon_instance, shop_session):
    token = issue_token(get_parameter(addon_instance, "point_of_sale.token_key"),
                        addon_instance.db_name, 1)
    claims = verify_token(own_keys(addon_instance), token, max_age=60)
    assert (claims.db_name, claims.config_id, claims.multi_sessions) == (
        addon_instance.db_name, 1, {})


# -- the data the page loads ------------------------------------------------------------------

def test_pos_data_lists_config_session_products_and_partners(admin_client, shop_session):
    data = admin_client.get("/pos/config/1/data").json
    assert data["config"] == {"id": 1, "name": "Shop", **DEMO_SHOP_SETTINGS,
                              "cash_move_approval_limit": 100, "barcode_weight_prefixes": "",
                              "barcode_price_prefixes": ""}
    assert data["session"]["id"] == shop_session and data["session"]["state"] == "opened"
    assert len(data["products"]) == 32
    espresso = next(p for p in data["products"] if p["name"] == "Espresso")
    assert espresso == {"id": 1, "name": "Espresso", "price": "1.80", "barcode": "2000000000015",
                        "tax_rate": "10.00", "category": "Coffee"}
    assert [p["name"] for p in data["partners"] if p["is_customer_template"]] == [
        "Walk-in customer (template)"]


def test_pos_data_says_when_no_session_is_open(admin_client):
    assert admin_client.get("/pos/config/2/data").json["session"] is None


def test_pos_data_of_an_unknown_config_is_404(admin_client):
    assert_error(admin_client.get("/pos/config/99/data"), 404, "unknown_config")


def test_hook_check_pos_order_refuses_one_order_of_a_push(app, admin_client, addon_instance,
                                                         shop_session):
    from core import hookimpl

    class SundayRule:
        @hookimpl
        def check_pos_order(self, order):
            if order.reference == "Sunday":
                return ("house_rule", "no sales on Sundays")
            return None

    manager = app.extensions["core.plugins"]
    manager.register(SundayRule(), name="sunday_rule")
    try:
        results = admin_client.post("/pos/orders", json=[
            an_order(shop_session, reference="Sunday"), an_order(shop_session)]).json["results"]
    finally:
        manager.unregister(name="sunday_rule")
    assert [r["status"] for r in results] == ["rejected", "created"]
    assert results[0]["error"] == {"code": "house_rule", "message": "no sales on Sundays"}
    assert stored_orders(addon_instance) == 1


def test_hook_extend_pos_data_adds_keys_to_the_page_data(app, admin_client, shop_session):
    from core import hookimpl

    class LoyaltyAddon:
        @hookimpl
        def extend_pos_data(self, config_id, data):
            data["loyalty"] = {"points_per_euro": 1, "config": config_id}

    manager = app.extensions["core.plugins"]
    manager.register(LoyaltyAddon(), name="loyalty")
    try:
        data = admin_client.get("/pos/config/1/data").json
    finally:
        manager.unregister(name="loyalty")
    assert data["loyalty"] == {"points_per_euro": 1, "config": 1}


def test_a_page_load_gets_the_next_login_number(admin_client, shop_session):
    numbers = [admin_client.post(f"/pos/session/{shop_session}/login").json["login_number"]
               for _ in range(2)]
    assert numbers == [1, 2]
    assert_error(admin_client.post("/pos/session/999/login"), 404, "unknown_session")


# -- pushing orders ---------------------------------------------------------------------------

def test_a_push_answers_one_result_per_order(admin_client, addon_instance, shop_session):
    orders = [an_order(shop_session), an_order(shop_session, lines=[])]
    response = admin_client.post("/pos/orders", json=orders)
    assert response.status_code == 200
    created, rejected = response.json["results"]
    assert created["status"] == "created" and isinstance(created["order_id"], int)
    assert rejected["status"] == "rejected" and rejected["error"]["code"] == "empty_order"
    assert stored_orders(addon_instance) == 1


def test_orders_may_also_come_wrapped_in_an_object(admin_client, shop_session):
    response = admin_client.post("/pos/orders", json={"orders": [an_order(shop_session)]})
    assert response.json["results"][0]["status"] == "created"


def test_a_token_pushes_to_its_own_config_only(app, addon_instance, shop_session):
    client = app.test_client()
    ok = client.post("/pos/orders", json=[an_order(shop_session)], headers=bearer(addon_instance, 1))
    assert ok.json["results"][0]["status"] == "created"
    other = client.post("/pos/orders", json=[an_order(shop_session)],
                        headers=bearer(addon_instance, 2))
    assert other.json["results"][0]["error"]["code"] == "forbidden_session"


@pytest.mark.parametrize("kwargs, status, code", [
    ({"data": "[{", "content_type": "application/json"}, 400, "malformed_json"),
    ({"data": "uuid=1", "content_type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    ({"json": {"orders": "all of them"}}, 400, "invalid_body"),
    ({"json": "orders"}, 400, "invalid_body"),
    ({"json": 42}, 400, "invalid_body"),
    ({"json": [{}] * 201}, 413, "too_many_orders"),
    ({"json": [{"uuid": "x" * 2_000_000}]}, 413, "payload_too_large"),
])
def test_bad_push_bodies_get_a_4xx_and_store_nothing(admin_client, addon_instance,
                                                      shop_session, kwargs, status, code):
    assert_error(admin_client.post("/pos/orders", **kwargs), status, code)
    assert stored_orders(addon_instance) == 0


def test_a_rejected_order_carries_its_uuid_and_position(admin_client, shop_session):
    order = an_order(shop_session, session_id="one")
    result = admin_client.post("/pos/orders", json=[7, order]).json["results"]
    assert result[0] == {"uuid": None, "index": 0, "status": "rejected",
                         "error": {"code": "invalid_order",
                                   "message": "each order must be a JSON object"}}
    assert result[1]["uuid"] == order["uuid"] and result[1]["index"] == 1


def test_the_wrong_method_is_405_json(admin_client):
    assert_error(admin_client.get("/pos/orders"), 405, "method_not_allowed")


# -- the POS page and the commands ------------------------------------------------------------

def test_the_pos_page_asks_staff_to_sign_in_first(app):
    response = app.test_client().get("/pos/ui/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/web/login?next=/pos/ui/1")


def test_the_pos_page_of_an_unknown_config_says_so(admin_client):
    response = admin_client.get("/pos/ui/99")
    assert response.status_code == 404
    assert "no POS config with id 99" in response.get_data(as_text=True)


def test_core_pos_open_close_and_token(addon_instance):
    # The command builds its own instance; point it at the built-in addons.
    env = {"CORE_ADDONS_PATH": str(addon_instance.catalog.get("point_of_sale").path.parent)}

    def core(*args):
        return CliRunner().invoke(cli, ["--db", addon_instance.url, *args], env=env)

    opened = core("pos", "open", "1")
    assert opened.exit_code == 0, opened.output
    session_id = int(opened.output)
    assert core("pos", "close", "1").output == f"{session_id}\n"
    again = core("pos", "close", "1")
    assert again.exit_code == 1 and again.output == "Error: Shop has no open session\n"
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT state FROM point_of_sale_session WHERE id = :i"),
                                 {"i": session_id}) == "closed"
    token = core("token", "1").output.strip()
    assert verify_token(own_keys(addon_instance), token, 60).config_id == 1
    unknown = core("token", "9")
    assert unknown.exit_code == 1 and "no POS config with id 9" in unknown.output


def test_the_demo_manager_signs_in_as_admin_admin123(addon_instance):
    from core.web.users import MIN_PASSWORD_LENGTH, authenticate
    assert len("admin123") >= MIN_PASSWORD_LENGTH  # what `core user add` would accept too
    with addon_instance.engine.connect() as connection:
        assert authenticate(connection, "admin", "admin123") is not None
        assert authenticate(connection, "admin", "admin") is None


def test_the_bare_address_sends_a_visitor_to_sign_in_and_back(anonymous):
    response = anonymous.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/web/login?next=/"


def test_hook_register_start_links_lists_the_tills_on_the_start_page(admin_client,
                                                                     addon_instance):
    page = admin_client.get("/").get_data(as_text=True)
    assert '<a href="/pos/ui/1">Till Shop</a>' in page
    assert '<a href="/pos/ui/2">Till Bar</a>' in page
    from core.web.start import served_addresses
    assert served_addresses(addon_instance, "http://127.0.0.1:8070").splitlines() == [
        f"Comptoir serving database {addon_instance.db_name!r} on http://127.0.0.1:8070/web "
        "(Ctrl+C to stop)",
        "  Till Shop: http://127.0.0.1:8070/pos/ui/1",
        "  Till Bar: http://127.0.0.1:8070/pos/ui/2",
        "  Till Boutique: http://127.0.0.1:8070/pos/ui/3"]


def test_every_page_names_the_favicon_and_it_is_served(admin_client, anonymous, shop_session):
    for path in ("/web/login", "/pos/ui/1", "/"):
        client = anonymous if path == "/web/login" else admin_client
        assert '<link rel="icon" href="/favicon.ico"' in client.get(path).get_data(as_text=True)
    icon = anonymous.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
