"""The server refuses a pushed order that holds a refund, a line discount above
point_of_sale.discount_approval_percent or a changed price unless a manager of the till approved
it (order_approvals.py): an approval recorded online (its uuid), one given offline with a
manager's PIN (its proof), or the push of a signed-in manager. One refused order never takes the
others of its push with it; each approval is kept with the ticket and journaled."""
import hashlib
import hmac

import pytest
from sqlalchemy import text

from addons.point_of_sale.staff import approval_message, pin_key
from tests.point_of_sale.test_order_push import an_order
from tests.point_of_sale.test_payments_and_refunds import ONE_ESPRESSO, refund_of
from tests.point_of_sale.test_staff_pins import add_user
from tests.support import bearer_header, scalar, signed_in_client

DISCOUNTED = [{"product_id": 1, "qty": 1, "price_unit": "1.80", "discount": 50}]
CHANGED_PRICE = [{"product_id": 1, "qty": 1, "price_unit": "1.00"}]


@pytest.fixture
def staff(addon_instance):
    """(carla, a cashier; mona, a manager with PIN 9753), both on Shop (config 1)."""
    return (add_user(addon_instance, "carla", "cashier", pin="4821"),
            add_user(addon_instance, "mona", "manager", pin="9753"))


def push(client, orders, headers=None):
    response = client.post("/pos/orders", json=orders, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def proof(instance, user_id, pin, order_uuid, action, config_id=1):
    """What the till's page computes offline with a manager's PIN (staff.js signedWithPin)."""
    with instance.engine.connect() as connection:
        salt, iterations = connection.execute(text(
            "SELECT salt, iterations FROM point_of_sale_user_pin WHERE user_id = :u"),
            {"u": user_id}).one()
    key = bytes.fromhex(pin_key(pin, salt, iterations))
    return hmac.new(key, approval_message(config_id, order_uuid, action).encode(),
                    hashlib.sha256).hexdigest()


def approvals_of_order(instance, order_uuid):
    with instance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT action, approver, via FROM point_of_sale_approval WHERE order_uuid = :u "
            "ORDER BY id"), {"u": order_uuid})]


def journaled_approvals(instance, order_uuid):
    with instance.engine.connect() as connection:
        return [row.details for row in connection.execute(text(
            "SELECT details FROM point_of_sale_journal_event WHERE kind = 'approval'"))
            if order_uuid in row.details]


def test_a_refund_a_big_discount_and_a_changed_price_need_a_manager_alone(
        app, addon_instance, shop_session, staff):
    """Pushed with the till's token and no approval: each of the three is refused, naming what
    needs approving; the plain sale and the discount at the limit of the same push are stored."""
    client, token = app.test_client(), bearer_header(addon_instance, 1)
    sale = an_order(shop_session)
    push(client, [sale], token)
    refund = refund_of(sale, shop_session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}])
    at_limit = an_order(shop_session, lines=[{**DISCOUNTED[0], "discount": 20}])
    orders = [an_order(shop_session), refund, an_order(shop_session, lines=DISCOUNTED),
              at_limit, an_order(shop_session, lines=CHANGED_PRICE)]
    results = push(client, orders, token)
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "created",
                                              "rejected"]
    assert [(r["error"]["code"], r["index"]) for r in results if r["status"] == "rejected"] \
        == [("approval_required", 1), ("approval_required", 2), ("approval_required", 4)]
    words = [r["error"]["message"] for r in results if r["status"] == "rejected"]
    assert ["a refund" in words[0], "this discount" in words[1], "a price change" in words[2]] \
        == [True, True, True]
    assert scalar(addon_instance, "SELECT count(*) FROM point_of_sale_order") == 3
    # A signed-in cashier's page is no manager either.
    carla_page = signed_in_client(app, addon_instance, "carla")
    [result] = push(carla_page, [an_order(shop_session, lines=DISCOUNTED, cashier="carla")])
    assert result["error"]["code"] == "approval_required"


def test_an_approval_recorded_online_travels_with_its_order_by_uuid(
        app, addon_instance, shop_session, staff):
    _carla, mona = staff
    carla_page = signed_in_client(app, addon_instance, "carla")
    order = an_order(shop_session, lines=DISCOUNTED, cashier="carla")
    answer = carla_page.post("/pos/config/1/approval", json={
        "action": "discount", "order_uuid": order["uuid"],
        "approval": {"user_id": mona, "pin": "9753"}})
    assert answer.status_code == 200, answer.json
    approval = answer.json["approval"]["uuid"]
    # Another order, or another action, cannot borrow it.
    other = an_order(shop_session, lines=DISCOUNTED,
                     approvals=[{"action": "discount", "uuid": approval}])
    price = an_order(shop_session, lines=CHANGED_PRICE, uuid=order["uuid"] + "-p",
                     approvals=[{"action": "price_override", "uuid": approval}])
    unknown = an_order(shop_session, lines=DISCOUNTED,
                       approvals=[{"action": "discount", "uuid": "no-such-approval"}])
    carried = {**order, "approvals": [{"action": "discount", "uuid": approval}]}
    results = push(carla_page, [other, price, unknown, carried])
    assert [r.get("error", {}).get("code", r["status"]) for r in results] == [
        "unknown_approval", "unknown_approval", "unknown_approval", "created"]
    # Kept once, with the ticket, as the manager gave it.
    assert approvals_of_order(addon_instance, order["uuid"]) == [("discount", "mona", "pin")]


def test_an_approval_given_offline_reaches_the_server_with_its_order(
        app, addon_instance, shop_session, staff):
    """The till checked the manager's PIN itself and signed the order's uuid and action with
    it: the server checks the proof, keeps the approval with the ticket (pin_offline) and
    journals it."""
    carla, mona = staff
    client, token = app.test_client(), bearer_header(addon_instance, 1)
    sale = an_order(shop_session)
    push(client, [sale], token)
    refund = refund_of(sale, shop_session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}])
    refund["approvals"] = [{"action": "refund", "user_id": mona,
                            "proof": proof(addon_instance, mona, "9753", refund["uuid"],
                                           "refund"),
                            "approved_at": "2026-11-22T10:20:00Z"}]
    both = an_order(shop_session, lines=[{**DISCOUNTED[0], "price_unit": "2.00"}])
    both["approvals"] = [{"action": action, "user_id": mona,
                          "proof": proof(addon_instance, mona, "9753", both["uuid"], action)}
                         for action in ("discount", "price_override")]
    results = push(client, [refund, both], token)
    assert [r["status"] for r in results] == ["created", "created"], results
    assert approvals_of_order(addon_instance, refund["uuid"]) == [
        ("refund", "mona", "pin_offline")]
    assert approvals_of_order(addon_instance, both["uuid"]) == [
        ("discount", "mona", "pin_offline"), ("price_override", "mona", "pin_offline")]
    assert len(journaled_approvals(addon_instance, refund["uuid"])) == 1
    assert "2026-11-22T10:20:00Z" in scalar(
        addon_instance, "SELECT details FROM point_of_sale_approval WHERE order_uuid = :u",
        u=refund["uuid"])
    # Sent again (the till did not hear the answer): a duplicate, nothing recorded twice.
    assert push(client, [refund], token)[0]["status"] == "duplicate"
    assert len(approvals_of_order(addon_instance, refund["uuid"])) == 1


def test_an_offline_approval_that_does_not_hold_is_refused_and_counted(
        app, addon_instance, shop_session, staff, set_parameter):
    carla, mona = staff
    client, token = app.test_client(), bearer_header(addon_instance, 1)

    def offline(user_id, pin, for_uuid=None, action="discount"):
        order = an_order(shop_session, lines=DISCOUNTED)
        order["approvals"] = [{"action": "discount", "user_id": user_id, "proof": proof(
            addon_instance, user_id, pin, for_uuid or order["uuid"], action)}]
        return order

    results = push(client, [offline(mona, "1111"), offline(mona, "9753", for_uuid="another"),
                            offline(mona, "9753", action="refund"), offline(carla, "4821"),
                            offline(mona, "9753")], token)
    assert [r.get("error", {}).get("code", r["status"]) for r in results] == [
        "wrong_approval", "wrong_approval", "wrong_approval", "manager_only", "created"]
    assert "Wrong PIN" in results[0]["error"]["message"]
    # The three wrong proofs counted as wrong PINs, then the right one cleared them.
    assert scalar(addon_instance, "SELECT failures FROM point_of_sale_user_pin "
                                  "WHERE user_id = :u", u=mona) == 0
    wrong = [offline(mona, pin) for pin in ("1111", "2222", "3333", "4444", "5555")]
    results = push(client, [*wrong, offline(mona, "9753")], token)
    assert [r["error"]["code"] for r in results] == ["wrong_approval"] * 4 + ["pin_locked"] * 2
    assert scalar(addon_instance, "SELECT count(*) FROM point_of_sale_approval") == 1


def test_a_signed_in_manager_approves_by_pushing(app, addon_instance, shop_session, staff):
    manager = signed_in_client(app, addon_instance, "mona")
    order = an_order(shop_session, lines=CHANGED_PRICE)
    assert push(manager, [order])[0]["status"] == "created"
    assert approvals_of_order(addon_instance, order["uuid"]) == [
        ("price_override", "mona", "signed_in")]
    assert len(journaled_approvals(addon_instance, order["uuid"])) == 1


@pytest.mark.parametrize("approvals", [
    "yes", {"action": "discount"}, [1], [None], [{"action": "launch", "uuid": "x"}],
    [{"action": "discount"}], [{"action": "discount", "uuid": "a b"}],
    [{"action": "discount", "uuid": ["x"]}], [{"action": "discount", "uuid": "x" * 65}],
    [{"action": "discount", "user_id": True, "proof": "0" * 64}],
    [{"action": "discount", "user_id": 2**31, "proof": "0" * 64}],
    [{"action": "discount", "user_id": -1, "proof": "0" * 64}],
    [{"action": "discount", "user_id": 1.5, "proof": "0" * 64}],
    [{"action": "discount", "user_id": 2, "proof": "0" * 63}],
    [{"action": "discount", "user_id": 2, "proof": "G" * 64}],
    [{"action": "discount", "user_id": 2, "proof": "0" * 64, "approved_at": "yesterday"}],
    [{"action": "discount", "user_id": 2, "proof": "0" * 64, "approved_at": 5}],
    [{"action": "discount", "uuid": "x"}] * 9,
])
def test_hostile_approvals_refuse_their_order_only(app, addon_instance, shop_session, staff,
                                                   approvals):
    client, token = app.test_client(), bearer_header(addon_instance, 1)
    hostile = an_order(shop_session, lines=DISCOUNTED, approvals=approvals)
    results = push(client, [hostile, an_order(shop_session)], token)
    assert results[0]["status"] == "rejected"
    assert results[0]["error"]["code"] == "invalid_approval", results[0]
    assert "approvals" in results[0]["error"]["message"]
    assert results[1]["status"] == "created"


def test_an_unknown_manager_or_one_of_another_till_cannot_approve(
        app, addon_instance, shop_session, staff):
    client, token = app.test_client(), bearer_header(addon_instance, 1)
    bar_manager = add_user(addon_instance, "bob", "manager", configs=(2,), pin="2468")
    for user_id, pin in ((bar_manager, "2468"), (2**31 - 1, "2468")):
        order = an_order(shop_session, lines=DISCOUNTED)
        order["approvals"] = [{"action": "discount", "user_id": user_id,
                               "proof": "0" * 64 if user_id != bar_manager else proof(
                                   addon_instance, user_id, pin, order["uuid"], "discount")}]
        assert push(client, [order], token)[0]["error"]["code"] == "not_on_this_till"
