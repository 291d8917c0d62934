"""Payment methods, split payments, refunds and the past-orders lookups, through HTTP.

The sale of `an_order`: two espressos (line 0: 2 x 1.80 + 10 % = 3.96) and a croissant (line 1:
1.60 + 5.5 % = 1.69), 5.65 in all. Refunding one espresso pays back 1.98."""
import threading
import time

import pytest
from sqlalchemy import select, text

from addons.point_of_sale.models import Order, OrderLine, Payment
from addons.point_of_sale.orders import push_orders
from addons.point_of_sale.payment_methods import save_payment_methods
from tests.point_of_sale.test_order_push import an_order
from tests.support import bearer_header as bearer
from tests.support import signed_in_client


def push(client, headers, *orders):
    response = client.post("/pos/orders", json=list(orders), headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def refund_of(sale, session, lines, payments, **changes):
    """A refund of `sale`: lines as (index in the sale, product id, qty, price)."""
    return an_order(session, refunded_order_uuid=sale["uuid"], lines=[
        {"product_id": product, "qty": qty, "price_unit": price, "refunded_line_index": index}
        for index, product, qty, price in lines], payments=payments, **changes)


ONE_ESPRESSO = [(0, 1, "-1", "1.80")]


@pytest.fixture
def shop(app, addon_instance, shop_session):
    """(client, headers, session id): the admin's page, signed in, so that its refunds are
    approved by the push itself (a manager's approval: test_order_approvals.py)."""
    return signed_in_client(app, addon_instance), {}, shop_session


def stored_payments(instance, order_uuid):
    with instance.engine.connect() as connection:
        return [(p.method, str(p.amount)) for p in connection.execute(
            select(Payment).join(Order, Order.id == Payment.order_id)
            .where(Order.uuid == order_uuid).order_by(Payment.id))]


# -- payment methods and split payments ---------------------------------------------------------

def test_every_config_takes_cash_and_card_and_the_till_loads_them(shop):
    client, headers, _session = shop
    data = client.get("/pos/config/1/data", headers=headers).json
    assert [(m["code"], m["gives_change"]) for m in data["payment_methods"]] == [
        ("cash", True), ("card", False)]


def test_a_split_payment_gives_change_from_cash_only(shop, addon_instance):
    client, headers, session = shop
    sale = an_order(session, payments=[{"method": "card", "amount": "3.00"},
                                       {"method": "cash", "amount": "5.00"}])
    [result] = push(client, headers, sale)
    assert result["status"] == "created"
    with addon_instance.engine.connect() as connection:
        order = connection.execute(select(Order).where(Order.uuid == sale["uuid"])).one()
    assert (str(order.amount_paid), str(order.amount_return)) == ("8.00", "2.35")
    assert stored_payments(addon_instance, sale["uuid"]) == [("card", "3.00"), ("cash", "5.00")]


@pytest.mark.parametrize("payments, code, words", [
    ([{"method": "card", "amount": "4.00"}, {"method": "card", "amount": "2.00"}],
     "overpaid_without_change", "only Cash gives change"),
    ([{"method": "card", "amount": "3.00"}, {"method": "cash", "amount": "2.00"}],
     "underpaid", "do not cover"),
    ([{"method": "cheque", "amount": "6.00"}], "unknown_payment_method", "takes: cash, card"),
    ([{"method": "cash", "amount": "-6.00"}], "invalid_payment", "more than 0"),
])
def test_the_server_checks_every_payment(shop, addon_instance, payments, code, words):
    client, headers, session = shop
    [result] = push(client, headers, an_order(session, payments=payments))
    assert result["error"]["code"] == code
    assert words in result["error"]["message"]
    with addon_instance.engine.connect() as connection:
        assert connection.execute(select(Order.id)).first() is None


def test_a_refusal_names_the_built_in_methods_in_the_callers_language(shop):
    """The push reads the built-in methods' names lazily (said only in a refusal): still in
    the caller's words."""
    client, headers, session = shop
    overpaid = an_order(session, payments=[{"method": "card", "amount": "6.00"}])
    [french] = push(client, {**headers, "Accept-Language": "fr-FR,fr;q=0.9"}, overpaid)
    assert french["error"]["code"] == "overpaid_without_change"
    assert "Espèces" in french["error"]["message"], french
    [english] = push(client, headers, overpaid)
    assert "only Cash gives change" in english["error"]["message"], english


def test_a_config_takes_its_own_methods_and_refuses_inactive_ones(shop, addon_instance):
    client, headers, session = shop
    with addon_instance.engine.begin() as connection:
        save_payment_methods(connection, 1, [
            {"code": "cash", "name": "Cash", "gives_change": True, "active": False, "sequence": 1},
            {"code": "voucher", "name": "Voucher", "gives_change": False, "active": True,
             "sequence": 2},
            {"code": "tips_jar", "name": "Tips jar", "gives_change": True, "active": True,
             "sequence": 3}])
    data = client.get("/pos/config/1/data", headers=headers).json
    assert [m["code"] for m in data["payment_methods"]] == ["voucher", "tips_jar"]
    cash, voucher = an_order(session), an_order(session, payments=[
        {"method": "voucher", "amount": "5.00"}, {"method": "tips_jar", "amount": "1.00"}])
    refused, created = push(client, headers, cash, voucher)
    assert refused["error"]["code"] == "inactive_payment_method"
    assert "Cash is no longer taken" in refused["error"]["message"]
    assert created["status"] == "created"
    # Bar still takes the built-in cash and card.
    bar = client.get("/pos/config/2/data", headers=bearer(addon_instance, 2)).json
    assert [m["code"] for m in bar["payment_methods"]] == ["cash", "card"]


# -- refunds ------------------------------------------------------------------------------------

def test_a_refund_takes_back_some_lines_and_is_paid_back(shop, addon_instance):
    client, headers, session = shop
    sale = an_order(session, payments=[{"method": "card", "amount": "5.65"}])
    push(client, headers, sale)
    refund = refund_of(sale, session, ONE_ESPRESSO,
                       [{"method": "card", "amount": "-1.00"}, {"method": "cash",
                                                                "amount": "-0.98"}])
    [result] = push(client, headers, refund)
    assert result["status"] == "created", result
    with addon_instance.engine.connect() as connection:
        stored = connection.execute(select(Order).where(Order.uuid == refund["uuid"])).one()
        original_id = connection.scalar(select(Order.id).where(Order.uuid == sale["uuid"]))
        [line] = connection.execute(select(OrderLine).where(OrderLine.order_id == stored.id))
        sold_line = connection.scalar(select(OrderLine.id).where(
            OrderLine.order_id == original_id).order_by(OrderLine.id))
    assert (str(stored.amount_total), str(stored.amount_return)) == ("-1.98", "0.00")
    assert stored.refunded_order_id == original_id
    assert (str(line.qty), line.refunded_line_id) == ("-1.000", sold_line)
    # The ticket ledger seals the references as every instance knows them: the refunded order's
    # uuid and the line's position.
    from addons.point_of_sale.ledger import ledger_entries, verify_chain
    with addon_instance.engine.connect() as connection:
        sale_entry, refund_entry = ledger_entries(connection, 1, 0, 10)
        assert verify_chain(connection, 1).ok
    assert "refunded_order_uuid" not in sale_entry["record"]  # sales sealed as before
    assert refund_entry["record"]["refunded_order_uuid"] == sale["uuid"]
    assert refund_entry["record"]["lines"][0]["refunded_line_index"] == 0
    detail = client.get(f"/pos/config/1/orders/{sale['uuid']}", headers=headers).json
    assert [(ln["qty"], ln["refunded_qty"], ln["refundable_qty"]) for ln in detail["lines"]] == [
        ("2", "1", "1"), ("1", "0", "1")]
    assert detail["refunds"] == [{"uuid": refund["uuid"], "reference": stored.reference}]
    assert client.get(f"/pos/config/1/orders/{refund['uuid']}", headers=headers).json[
        "refunded_order_uuid"] == sale["uuid"]


def test_refunds_never_take_back_more_than_was_sold(shop):
    client, headers, session = shop
    sale = an_order(session)
    push(client, headers, sale)
    cash_back = [{"method": "cash", "amount": "-1.98"}]
    two_back = [{"method": "cash", "amount": "-3.38"}]
    too_many = refund_of(sale, session, [(0, 1, "-3", "1.80")],
                         [{"method": "cash", "amount": "-5.94"}])
    [refused] = push(client, headers, too_many)
    assert refused["error"]["code"] == "refund_exceeds_sale"
    assert "3 to refund but only 2 of 2 sold is left" in refused["error"]["message"]
    # Across refunds: one now, then two in one push (the second goes past what is left).
    first = refund_of(sale, session, ONE_ESPRESSO, cash_back)
    second, third = (refund_of(sale, session, ONE_ESPRESSO, cash_back) for _ in range(2))
    assert push(client, headers, first)[0]["status"] == "created"
    results = push(client, headers, second, third)
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["error"]["code"] == "refund_exceeds_sale"
    # The same line twice in one refund counts twice.
    twice = refund_of(sale, session, [(1, 16, "-1", "1.60"), (1, 16, "-1", "1.60")],
                      [{"method": "cash", "amount": "-3.38"}])
    assert push(client, headers, twice)[0]["error"]["code"] == "refund_exceeds_sale"
    assert push(client, headers, refund_of(sale, session, [(1, 16, "-1", "1.60")], two_back))[0][
        "error"]["code"] == "refund_payment_mismatch"


@pytest.mark.parametrize("lines, payments, code, words", [
    ([(0, 1, "-1", "1.50")], [{"method": "cash", "amount": "-1.65"}], "invalid_refund",
     "unit price"),
    ([(0, 16, "-1", "1.80")], [{"method": "cash", "amount": "-1.90"}], "invalid_refund",
     "product"),
    ([(5, 1, "-1", "1.80")], [{"method": "cash", "amount": "-1.98"}], "invalid_refund",
     "has 2 lines"),
    (ONE_ESPRESSO, [{"method": "cash", "amount": "1.98"}], "invalid_payment", "negative"),
    (ONE_ESPRESSO, [{"method": "cash", "amount": "-2.00"}], "refund_payment_mismatch",
     "paid back exactly"),
])
def test_a_refund_refunds_the_sold_lines_at_their_price(shop, lines, payments, code, words):
    client, headers, session = shop
    sale = an_order(session)
    push(client, headers, sale)
    [result] = push(client, headers, refund_of(sale, session, lines, payments))
    assert result["error"]["code"] == code, result
    assert words in result["error"]["message"]


def test_a_refund_must_name_an_order_of_its_config_that_is_not_a_refund(shop, addon_instance):
    client, headers, session = shop
    sale = an_order(session)
    refund = refund_of(sale, session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}])
    assert push(client, headers, refund)[0]["error"]["code"] == "unknown_refunded_order"
    push(client, headers, sale)
    push(client, headers, refund)
    of_refund = refund_of(refund, session, [(0, 1, "-1", "1.80")],
                          [{"method": "cash", "amount": "-1.98"}])
    assert push(client, headers, of_refund)[0]["error"]["code"] == "invalid_refund"
    # Bar's till cannot refund Shop's order.
    from addons.point_of_sale.sessions import open_session
    with addon_instance.engine.begin() as connection:
        bar_session = open_session(connection, 2)
    from_bar = refund_of(sale, bar_session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}])
    assert push(client, headers, from_bar)[0]["error"]["code"] == "unknown_refunded_order"


def test_two_refunds_at_once_cannot_both_take_the_last_items(addon_instance, shop_session):
    """Push A refunds both espressos and has not committed; push B, the same, starts then: B
    waits for A (the original's row is locked on PostgreSQL; SQLite writes one at a time) and
    then sees A's refund."""
    sale = an_order(shop_session)
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [sale])
    refunds = [refund_of(sale, shop_session, [(0, 1, "-2", "1.80")],
                         [{"method": "cash", "amount": "-3.96"}]) for _ in range(2)]
    a_pushed, results = threading.Event(), {}

    def push_b():
        a_pushed.wait(10)
        with addon_instance.engine.begin() as connection:
            results["b"] = push_orders(connection, [refunds[1]])[0]
        results["b_done"] = time.monotonic()

    b = threading.Thread(target=push_b)
    b.start()
    with addon_instance.engine.begin() as connection:
        results["a"] = push_orders(connection, [refunds[0]])[0]
        a_pushed.set()
        time.sleep(0.5)  # B is waiting meanwhile
        results["a_done"] = time.monotonic()
    b.join(20)
    assert results["a"]["status"] == "created"
    assert results["b"]["error"]["code"] == "refund_exceeds_sale"
    assert results["b_done"] >= results["a_done"]


# -- lookups ------------------------------------------------------------------------------------

def test_a_till_finds_its_session_orders_and_any_by_reference_barcode_or_uuid(shop,
                                                                           addon_instance):
    client, headers, session = shop
    orders = [an_order(session, reference=f"Order {session:05d}-001-{n:04d}",
                       created_at=f"2026-11-22T10:1{n}:00Z") for n in (1, 2, 3)]
    push(client, headers, *orders)

    def found(query=""):
        response = client.get(f"/pos/config/1/orders{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [o["reference"][-4:] for o in response.json["orders"]]

    assert found() == ["0003", "0002", "0001"]  # the current session's, newest first
    assert found("?limit=2") == ["0003", "0002"]
    assert found(f"?q=Order {session:05d}-001-0002") == ["0002"]
    assert found(f"?q={session:05d}0010003") == ["0003"]  # the receipt's barcode
    assert found(f"?q={orders[0]['uuid']}") == ["0001"]
    assert found("?q=-0002") == ["0002"]
    assert found("?q=nothing like it") == []
    # Bar's token sees none of Shop's orders.
    bar = bearer(addon_instance, 2)
    assert client.get("/pos/config/1/orders", headers=bar).status_code == 403
    assert client.get(f"/pos/config/2/orders?q={orders[0]['uuid']}", headers=bar).json == {
        "orders": []}
    response = client.get(f"/pos/config/2/orders/{orders[0]['uuid']}", headers=bar)
    assert (response.status_code, response.json["error"]["code"]) == (404, "unknown_order")


@pytest.mark.parametrize("path, status, code", [
    ("/pos/config/1/orders?limit=abc", 400, "invalid_query"),
    ("/pos/config/1/orders?limit=0", 400, "invalid_query"),
    ("/pos/config/1/orders?limit=" + "9" * 5000, 400, "invalid_query"),
    ("/pos/config/1/orders?limit=%EF%BC%91", 400, "invalid_query"),  # a full-width 1
    ("/pos/config/1/orders?session_id=-1", 400, "invalid_query"),
    ("/pos/config/1/orders?q=" + "x" * 65, 400, "invalid_query"),
    ("/pos/config/1/orders?q=%25", 200, None),  # a LIKE wildcard is only a character
    # (a NUL in a query string is refused before any route, credentials or not:
    # test_customers.py's test_a_nul_character_in_a_search_is_a_400_on_both_databases)
    ("/pos/config/1/orders?q=%ED%A0%80", 200, None),
    ("/pos/config/1/orders/a%20b", 400, "invalid_uuid"),
    ("/pos/config/1/orders/" + "a" * 65, 400, "invalid_uuid"),
    ("/pos/config/999/orders", 404, "unknown_config"),
])
def test_lookups_answer_hostile_input_with_json_errors(anonymous, admin_client, shop_session,
                                                      path, status, code):
    assert anonymous.get(path).status_code == 401  # nobody without credentials
    client = admin_client
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    if code:
        assert response.json["error"]["code"] == code and response.json["error"]["message"]
    else:
        assert response.json == {"orders": []}
    with client.application.extensions["core"].engine.connect() as connection:
        assert connection.execute(select(Order.id)).first() is None


def test_a_lookups_refusal_is_said_in_the_tills_language(admin_client, shop_session):
    """The till sends its config's locale as Accept-Language: the kernel's field checks answer
    in it, with the same code."""
    def refused(path, language):
        response = admin_client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 400, response.get_data(as_text=True)
        return response.json["error"]["code"], response.json["error"]["message"]

    assert refused("/pos/config/1/orders?limit=abc", "fr-FR") == (
        "invalid_query", "limit doit être un nombre entier de 1 à 100")
    assert refused("/pos/config/1/orders?limit=abc", "en-US") == (
        "invalid_query", "limit must be a whole number from 1 to 100")
    assert refused("/pos/config/1/orders/a%20b", "fr-FR") == (
        "invalid_uuid", "uuid doit être de 1 à 64 lettres, chiffres, - ou _")


def test_a_refund_pushed_twice_is_stored_once(shop):
    client, headers, session = shop
    sale = an_order(session)
    push(client, headers, sale)
    refund = refund_of(sale, session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}])
    assert [r["status"] for r in push(client, headers, refund, refund)] == [
        "created", "duplicate"]
    assert push(client, headers, refund)[0]["status"] == "duplicate"



# -- the admin's config form --------------------------------------------------------------------

def method_form(*rows, name="Shop"):
    """The config form's fields with `rows` of (code, name, gives change, active, order)."""
    form = {"name": name, "active": "1"}
    for index, (code, label, change, active, sequence) in enumerate(rows):
        form.update({f"method-{index}-code": code, f"method-{index}-name": label,
                     f"method-{index}-sequence": sequence})
        if change:
            form[f"method-{index}-gives_change"] = "1"
        if active:
            form[f"method-{index}-active"] = "1"
    return form


def test_the_config_form_edits_the_payment_methods(admin_client, addon_instance):
    from addons.point_of_sale.payment_methods import payment_methods
    from tests.support import input_value, post_form
    page = admin_client.get("/web/pos/configs/1").get_data(as_text=True)
    assert [input_value(page, f"method-{i}-code") for i in range(4)] == ["cash", "card", "", ""]
    response = post_form(admin_client, "/web/pos/configs/1", method_form(
        ("cash", "Cash", True, True, "1"), ("card", "Card", False, False, "3"),
        ("voucher", "Gift voucher", False, True, "2"), ("", "", False, True, "")),
        page="/web/pos/configs/1")
    assert response.status_code == 302
    with addon_instance.engine.connect() as connection:
        assert [(m["code"], m["name"], m["gives_change"], m["active"])
                for m in payment_methods(connection, 1)] == [
            ("cash", "Cash", True, True), ("voucher", "Gift voucher", False, True),
            ("card", "Card", False, False)]
        assert [m["code"] for m in payment_methods(connection, 2)] == ["cash", "card"]


@pytest.mark.parametrize("rows, message", [
    ([("Cash!", "Cash", True, True, "1")], "lowercase letters"),
    ([("cash", "Cash", True, True, "1"), ("cash", "Cash again", False, True, "2")],
     "used twice"),
    ([("cash", "", True, True, "1")], "the name must be"),
    ([("cash", "Cash", True, True, "first")], "whole number"),
    ([("cash", "Cash", True, False, "1")], "at least one active payment method"),
])
def test_invalid_payment_methods_are_refused_and_nothing_is_stored(admin_client, addon_instance,
                                                                   rows, message):
    from addons.point_of_sale.payment_methods import PaymentMethod
    from tests.support import post_form
    response = post_form(admin_client, "/web/pos/configs/1", method_form(*rows, name="Renamed"),
                         page="/web/pos/configs/1")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with addon_instance.engine.connect() as connection:
        assert connection.execute(select(PaymentMethod.id)).first() is None
        assert connection.scalar(text("SELECT name FROM point_of_sale_config WHERE id = 1")) == (
            "Shop")


def test_the_form_s_method_rows_are_read_in_their_number_order():
    """Rows sorted by number (10 after 2), blank rows left out but counted for the errors'
    row, an empty order the method's place, numbers of 4 digits ignored, no rows: None."""
    from addons.point_of_sale.payment_methods import methods_from_form
    form = {"method-10-code": "CARD", "method-10-name": " Card ", "method-10-active": "on",
            "method-2-code": "cash", "method-2-name": "Cash", "method-2-active": "1",
            "method-2-gives_change": "1", "method-2-sequence": "5",
            "method-3-code": "", "method-3-name": "",
            "method-1000-code": "lost", "method-x-code": "lost"}
    methods, rows, errors = methods_from_form(form)
    assert errors == {}
    assert [row["code"] for row in rows] == ["cash", "", "card"]
    assert methods == [
        {"code": "cash", "name": "Cash", "gives_change": True, "active": True, "sequence": 5},
        {"code": "card", "name": "Card", "gives_change": False, "active": True, "sequence": 2}]
    form["method-10-sequence"] = "x"
    assert methods_from_form(form)[2] == {2: "the order must be a whole number from 0 to 9999"}
    assert methods_from_form({"name": "Shop"})[0] is None


def test_the_admin_order_page_links_a_refund_and_its_original(shop, admin_client, addon_instance):
    client, headers, session = shop
    sale = an_order(session, reference="Order 00001-001-0001")
    refund = refund_of(sale, session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}],
                       reference="Order 00001-001-0002")
    [sold], [refunded] = push(client, headers, sale), push(client, headers, refund)
    page = admin_client.get(f"/web/pos/orders/{refunded['order_id']}").get_data(as_text=True)
    assert "Refund of" in page and "Order 00001-001-0001" in page
    page = admin_client.get(f"/web/pos/orders/{sold['order_id']}").get_data(as_text=True)
    assert "Refunds" in page and "Order 00001-001-0002" in page


def test_a_sale_and_its_refund_in_one_push_are_both_stored(shop):
    """A till that sold and refunded offline sends both at once, the refund first even."""
    client, headers, session = shop
    sale = an_order(session)
    refund = refund_of(sale, session, ONE_ESPRESSO, [{"method": "cash", "amount": "-1.98"}])
    too_much = refund_of(sale, session, [(0, 1, "-2", "1.80")],
                         [{"method": "cash", "amount": "-3.96"}])
    results = push(client, headers, refund, {"uuid": 7}, sale, too_much)
    assert [r["status"] for r in results] == ["created", "rejected", "created", "rejected"]
    assert [results[1]["index"], results[3]["index"]] == [1, 3]
    assert results[3]["error"]["code"] == "refund_exceeds_sale"
