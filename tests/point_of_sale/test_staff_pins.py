"""PINs: set by a manager on the Staff page, checked at the till's cashier switch (counted, locked
after repeated failures, unlocked by a new PIN), the till's verifiers (never a password hash),
the cashier sealed on each ticket, and the session report's totals per cashier."""
import hashlib
import hmac
import json

from sqlalchemy import text

from addons.point_of_sale.staff import set_allowed_configs, set_pin
from core.web.users import set_password
from tests.support import post_form, scalar, signed_in_client, text_of


def add_user(instance, login, role, configs=(1,), pin=None):
    with instance.engine.begin() as connection:
        set_password(connection, login, "secret-pass-1", role)
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :l"),
                                    {"l": login})
        set_allowed_configs(connection, user_id, configs)
        if pin:
            set_pin(connection, user_id, pin)
    return user_id


def switch(client, user_id, pin, config_id=1):
    return client.post(f"/pos/config/{config_id}/cashier", json={"user_id": user_id, "pin": pin})


def test_a_cashier_switches_in_with_their_pin_and_nobody_signs_in(app, addon_instance):
    carla = add_user(addon_instance, "carla", "cashier", pin="4821")
    till = signed_in_client(app, addon_instance)  # the page an admin opened
    response = switch(till, carla, "4821")
    assert response.status_code == 200
    assert response.json == {"cashier": {"id": carla, "login": "carla", "role": "cashier"}}
    # the page is still the admin's: a PIN opens no session of its own
    assert scalar(addon_instance, "SELECT count(*) FROM core_session WHERE user_id = :u",
                  u=carla) == 0
    anonymous = app.test_client()
    assert switch(anonymous, carla, "4821").status_code == 401


def test_wrong_pins_are_counted_then_locked_and_a_new_pin_unlocks(app, addon_instance,
                                                                    set_parameter):
    set_parameter("point_of_sale.pin_max_failures", "3")
    carla = add_user(addon_instance, "carla", "cashier", pin="4821")
    till = signed_in_client(app, addon_instance)  # the limits are read at each try
    first = switch(till, carla, "0000")
    assert (first.status_code, first.json["error"]["code"]) == (403, "wrong_pin")
    assert "2 tries left" in first.json["error"]["message"]
    assert switch(till, carla, "1111").json["error"]["code"] == "wrong_pin"
    locked = switch(till, carla, "2222")
    assert (locked.status_code, locked.json["error"]["code"]) == (429, "pin_locked")
    # locked: even the right PIN is refused now
    assert switch(till, carla, "4821").json["error"]["code"] == "pin_locked"
    assert scalar(addon_instance, "SELECT locked_until FROM point_of_sale_user_pin "
                                  "WHERE user_id = :u", u=carla) is not None
    manager = signed_in_client(app, addon_instance)
    saved = post_form(manager, f"/web/pos/staff/{carla}/pin", {"pin": "777777"},
                      page="/web/pos/staff/")
    assert saved.status_code == 302
    assert switch(till, carla, "777777").status_code == 200


def test_a_right_pin_resets_the_count(app, addon_instance, set_parameter):
    set_parameter("point_of_sale.pin_max_failures", "2")
    carla = add_user(addon_instance, "carla", "cashier", pin="4821")
    till = signed_in_client(app, addon_instance)  # the limits are read at each try
    assert switch(till, carla, "0000").json["error"]["code"] == "wrong_pin"
    assert switch(till, carla, "4821").status_code == 200
    assert switch(till, carla, "0000").json["error"]["code"] == "wrong_pin"  # not locked


def test_only_the_tills_cashiers_switch_in(app, addon_instance):
    bar_only = add_user(addon_instance, "bob", "cashier", configs=(2,), pin="4821")
    no_pin = add_user(addon_instance, "nina", "cashier")
    till = signed_in_client(app, addon_instance)
    refused = switch(till, bar_only, "4821")
    assert (refused.status_code, refused.json["error"]["code"]) == (404, "not_on_this_till")
    assert switch(till, no_pin, "4821").json["error"]["code"] == "no_pin"
    assert switch(till, "1", "4821").json["error"]["code"] == "invalid_body"


def test_the_tills_page_data_holds_verifiers_for_that_till_not_password_hashes(
        app, addon_instance):
    carla = add_user(addon_instance, "carla", "cashier", configs=(1, 2), pin="4821")
    add_user(addon_instance, "bob", "cashier", configs=(2,), pin="1234")
    till = signed_in_client(app, addon_instance)
    data = till.get("/pos/config/1/data").json
    assert [c["login"] for c in data["cashiers"]] == ["carla"]
    carla_here = data["cashiers"][0]
    assert data["signed_in"]["role"] == "admin"
    body = json.dumps(data)
    for hashed in addon_instance.engine.connect().execute(
            text("SELECT password_hash FROM core_user")).scalars():
        assert hashed not in body and hashed.split("$")[-1] not in body
    pin_key = scalar(addon_instance, "SELECT pin_key FROM point_of_sale_user_pin "
                                     "WHERE user_id = :u", u=carla)
    assert pin_key not in body
    # what the page checks offline: HMAC of the PBKDF2 key, for this till only
    key = hashlib.pbkdf2_hmac("sha256", b"4821", bytes.fromhex(carla_here["pin"]["salt"]),
                              carla_here["pin"]["iterations"])
    assert carla_here["pin"]["verifier"] == hmac.new(key, b"comptoir-pin:1",
                                                     hashlib.sha256).hexdigest()
    other_till = till.get("/pos/config/2/data").json["cashiers"]
    assert {c["login"]: c["pin"]["verifier"] for c in other_till}["carla"] \
        != carla_here["pin"]["verifier"]


def order(session_id, uuid, cashier=None, qty="1"):
    body = {"uuid": uuid, "session_id": session_id, "created_at": "2026-12-07T09:00:00Z",
            "lines": [{"product_id": 1, "qty": qty, "price_unit": "2.00"}],
            "payments": [{"method": "cash", "amount": "5.00"}]}
    if cashier:
        body["cashier"] = cashier
    return body


def test_each_ticket_seals_its_cashier_and_the_report_totals_per_cashier(
        app, addon_instance, shop_session):
    add_user(addon_instance, "carla", "cashier", pin="4821")
    add_user(addon_instance, "bob", "cashier", configs=(2,))
    till = signed_in_client(app, addon_instance)
    results = till.post("/pos/orders", json=[
        order(shop_session, "t-1", "carla"), order(shop_session, "t-2", "carla"),
        order(shop_session, "t-3", "manager"), order(shop_session, "t-4"),
        order(shop_session, "t-5", "bob"), order(shop_session, "t-6", "nobody")]).json["results"]
    assert [r["status"] for r in results[:4]] == ["created"] * 4, results
    assert [r["error"]["code"] for r in results[4:]] == ["unknown_cashier"] * 2
    assert scalar(addon_instance, "SELECT cashier FROM point_of_sale_order WHERE uuid = 't-1'") \
        == "carla"
    from addons.point_of_sale import canonical_form
    from addons.point_of_sale.ledger_form import order_records
    with addon_instance.engine.connect() as connection:
        record = order_records(connection, ["t-1"])["t-1"]
    assert record["cashier"] == "carla" and b'"cashier":"carla"' in canonical_form("order", record)
    report = till.get(f"/pos/session/{shop_session}/report").json
    assert report["by_cashier"] == [
        {"cashier": "", "orders": 1, "total": "2.20", "refunds": 0, "refund_total": "0.00"},
        {"cashier": "carla", "orders": 2, "total": "4.40", "refunds": 0, "refund_total": "0.00"},
        {"cashier": "manager", "orders": 1, "total": "2.20", "refunds": 0,
         "refund_total": "0.00"}]  # 2.00 and 10 % tax each
    closed = till.post(f"/pos/session/{shop_session}/close", json={"counted_cash": "8.80"})
    assert closed.status_code == 200
    assert closed.json["closed"] is True and closed.json["by_cashier"] == report["by_cashier"]
    page = text_of(till.get(f"/web/pos/sessions/{shop_session}"))
    assert "carla" in page


def test_a_manager_sets_pins_of_cashiers_not_of_admins(app, addon_instance):
    carla = add_user(addon_instance, "carla", "cashier")
    add_user(addon_instance, "mona", "manager")
    admin_id = scalar(addon_instance, "SELECT id FROM core_user WHERE login = 'manager'")
    manager = signed_in_client(app, addon_instance, "mona")
    page = text_of(manager.get("/web/pos/staff/"))
    assert "New PIN for carla" in page and "New PIN for manager" not in page
    assert post_form(manager, f"/web/pos/staff/{carla}/pin", {"pin": "12"},
                     page="/web/pos/staff/").status_code == 302
    assert scalar(addon_instance, "SELECT count(*) FROM point_of_sale_user_pin") == 0
    assert "a PIN is 4 to 8 digits" in text_of(manager.get("/web/pos/staff/"))
    assert post_form(manager, f"/web/pos/staff/{carla}/pin", {"pin": "2468"},
                     page="/web/pos/staff/").status_code == 302
    assert post_form(manager, f"/web/pos/staff/{admin_id}/pin", {"pin": "2468"},
                     page="/web/pos/staff/").status_code == 403
    assert scalar(addon_instance, "SELECT count(*) FROM point_of_sale_user_pin") == 1
    stored = scalar(addon_instance, "SELECT pin_key FROM point_of_sale_user_pin")
    assert "2468" not in stored and len(stored) == 64


def test_hook_authenticate_user_signs_in_a_tills_cashier_with_their_pin_never_a_central_user(
        app, addon_instance):
    """Central users have passwords: their PIN signs in to nothing. A till's cashiers (what
    store_till_cashiers made of what the central sent) sign in there with their PIN."""
    from addons.point_of_sale import store_till_cashiers, till_cashiers
    add_user(addon_instance, "carla", "cashier", pin="4821")
    client = app.test_client()

    def sign_in(login, secret):
        page = client.get("/web/login").get_data(as_text=True)
        from tests.support import csrf_token
        return client.post("/web/login", data={"login": login, "password": secret,
                                                "csrf_token": csrf_token(page)}).status_code
    assert sign_in("carla", "4821") == 401  # on the central instance, a PIN is no password
    with addon_instance.engine.begin() as connection:
        accounts = [{k: c[k] for k in ("login", "role", "pin")}
                    for c in till_cashiers(connection, 1)]
        connection.execute(text("DELETE FROM point_of_sale_user_pin"))
        connection.execute(text("DELETE FROM core_user WHERE login = 'carla'"))
        assert store_till_cashiers(connection, 1, accounts, []) == ["carla"]
    assert sign_in("carla", "0000") == 401
    assert sign_in("carla", "4821") == 302  # as on a till: the verifier it holds


def test_a_user_id_out_of_range_is_a_400_on_every_database(app, addon_instance):
    """schemathesis on PostgreSQL: -4083670812429 overflowed users.id (INTEGER): a 500."""
    till = signed_in_client(app, addon_instance)
    for user_id in (-4083670812429, 0, 2**31, 2**62):
        response = till.post("/pos/config/1/cashier", json={"user_id": user_id, "pin": "1234"})
        assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_body")
