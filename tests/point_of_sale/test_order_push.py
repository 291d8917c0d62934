"""Order push: rules as unit tests, the route through HTTP, idempotency as a property."""
import uuid as uuid_module
from datetime import timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from addons.point_of_sale.models import Order, OrderLine, Payment
from addons.point_of_sale.orders import Rejection, compute_totals, parse_order, push_orders
from tests.support import tamper


def an_order(session, **changes):
    """Two espressos (1.80, 10 % tax) and a croissant (1.60, 5.5 % tax): total 5.65."""
    order = {"uuid": str(uuid_module.uuid4()), "session_id": session,
             "created_at": "2026-11-22T10:15:00Z",
             "lines": [{"product_id": 1, "qty": 2, "price_unit": "1.80"},
                       {"product_id": 16, "qty": 1, "price_unit": 1.6}],
             "payments": [{"method": "cash", "amount": 10}]}
    order.update(changes)
    return order


def count(instance, model):
    with instance.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


# -- rules ------------------------------------------------------------------------------------

def test_totals_are_recomputed_per_line_with_tax():
    order = parse_order(an_order(1))
    totals = compute_totals(order, {1: Decimal("10"), 16: Decimal("5.5")})
    assert totals.lines == ((Decimal("3.60"), Decimal("3.96")), (Decimal("1.60"), Decimal("1.69")))
    assert (totals.untaxed, totals.tax, totals.total) == (
        Decimal("5.20"), Decimal("0.45"), Decimal("5.65"))
    assert (totals.paid, totals.change) == (Decimal("10"), Decimal("4.35"))


def test_a_discount_applies_before_tax():
    order = parse_order(an_order(1, lines=[
        {"product_id": 1, "qty": 1, "price_unit": "10.00", "discount": 25}],
        payments=[{"method": "card", "amount": "8.25"}]))
    assert compute_totals(order, {1: Decimal("10")}).total == Decimal("8.25")


@pytest.mark.parametrize("changes, code", [
    ({"payments": [{"method": "cash", "amount": "5.64"}]}, "underpaid"),
    ({"payments": [{"method": "card", "amount": 6}]}, "overpaid_without_change"),
    ({"payments": [{"method": "cheque", "amount": 6}]}, "unknown_payment_method"),
    ({"amount_total": "5.00"}, "total_mismatch"),
])
def test_money_rules(changes, code):
    order = parse_order(an_order(1, **changes))
    with pytest.raises(Rejection) as caught:
        compute_totals(order, {1: Decimal("10"), 16: Decimal("5.5")})
    assert caught.value.code == code


@pytest.mark.parametrize("changes, code, message", [
    ({"uuid": ""}, "invalid_uuid", "'uuid'"),
    ({"uuid": "a b"}, "invalid_uuid", "'uuid'"),
    ({"lines": []}, "empty_order", "at least one line"),
    ({"lines": "x"}, "empty_order", "at least one line"),
    ({"session_id": "1"}, "invalid_field", "'session_id' must be a positive whole number"),
    ({"session_id": True}, "invalid_field", "'session_id'"),
    ({"created_at": "yesterday"}, "invalid_field", "ISO 8601"),
    ({"created_at": 5}, "invalid_field", "ISO 8601"),
    ({"lines": [{"product_id": 1, "qty": 0, "price_unit": 1}]}, "invalid_line", "lines[0].qty"),
    ({"lines": [{"product_id": 1, "qty": "lots", "price_unit": 1}]}, "invalid_field",
     "'lines[0].qty' must be a number"),
    ({"lines": [{"product_id": 1, "qty": 1, "price_unit": -1}]}, "invalid_field",
     "'lines[0].price_unit' must be a number from 0"),
    ({"lines": [{"product_id": 1, "qty": 1, "price_unit": "NaN"}]}, "invalid_field",
     "'lines[0].price_unit'"),
    ({"lines": [{"product_id": 1, "qty": 1, "price_unit": 1, "discount": 101}]},
     "invalid_line", "percentage"),
    ({"lines": [7]}, "invalid_line", "lines[0] must be an object"),
    ({"payments": [{"method": "Cash!", "amount": 1}]}, "invalid_payment", "code"),
    ({"payments": [{"method": ["cash"], "amount": 1}]}, "invalid_payment", "code"),
    ({"lines": [{"product_id": 1, "qty": -1, "price_unit": 1}]}, "invalid_line",
     "refunded_line_index"),
    ({"lines": [{"product_id": 1, "qty": -1, "price_unit": 1, "refunded_line_index": 0}]},
     "invalid_refund", "refunded_order_uuid"),
    ({"refunded_order_uuid": "a b"}, "invalid_refund", "'refunded_order_uuid'"),
    ({"payments": [{"method": "cash", "amount": 0}]}, "invalid_payment", "more than 0"),
    ({"payments": {}}, "invalid_payments", "list"),
    ({"reference": "x" * 65}, "invalid_reference", "64"),
    ({"partner_id": "bob"}, "invalid_field", "'partner_id'"),
])
def test_malformed_fields_are_named_in_the_rejection(changes, code, message):
    with pytest.raises(Rejection) as caught:
        parse_order(an_order(1, **changes))
    assert caught.value.code == code
    assert message in caught.value.message


# -- storing ----------------------------------------------------------------------------------

def test_an_order_is_stored_with_its_lines_payments_and_server_totals(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        [result] = push_orders(connection, [an_order(shop_session, reference="Order 1-1-1")])
    assert result["status"] == "created"
    with addon_instance.engine.connect() as connection:
        order = connection.execute(select(Order)).one()
        assert (order.reference, order.amount_total, order.amount_return) == (
            "Order 1-1-1", Decimal("5.65"), Decimal("4.35"))
    assert count(addon_instance, OrderLine) == 2 and count(addon_instance, Payment) == 1


def test_one_bad_order_leaves_nothing_and_does_not_reject_the_others(addon_instance, shop_session):
    good_1, good_2 = an_order(shop_session), an_order(shop_session)
    bad = an_order(shop_session, lines=[{"product_id": 1, "qty": 1, "price_unit": 1},
                                        {"product_id": 999, "qty": 1, "price_unit": 1}])
    with addon_instance.engine.begin() as connection:
        results = push_orders(connection, [good_1, bad, good_2])
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert results[1]["error"] == {"code": "unknown_product", "message": "unknown product ids: [999]"}
    assert count(addon_instance, Order) == 2 and count(addon_instance, OrderLine) == 4


def test_an_addon_check_rejects_one_order_before_anything_is_written(addon_instance, shop_session):
    def refuse(connection, order, session):
        return ("house_rule", "no sales on Sundays")
    with addon_instance.engine.begin() as connection:
        [result] = push_orders(connection, [an_order(shop_session)], check_order=refuse)
    assert result["error"] == {"code": "house_rule", "message": "no sales on Sundays"}
    assert count(addon_instance, Order) == 0


def test_a_resent_order_is_a_duplicate_and_changes_nothing(addon_instance, shop_session):
    order = an_order(shop_session)
    with addon_instance.engine.begin() as connection:
        [first] = push_orders(connection, [order])
    changed = {**order, "lines": [{"product_id": 2, "qty": 9, "price_unit": 1}]}
    with addon_instance.engine.begin() as connection:
        [again] = push_orders(connection, [changed])
    assert again == {"uuid": order["uuid"], "status": "duplicate", "order_id": first["order_id"],
                     "number": 1, "link": first["link"]}
    assert count(addon_instance, OrderLine) == 2


def test_the_same_uuid_twice_in_one_push_is_stored_once(addon_instance, shop_session):
    order = an_order(shop_session)
    with addon_instance.engine.begin() as connection:
        first, second = push_orders(connection, [order, order])
    assert first["status"] == "created"
    assert second == {"uuid": order["uuid"], "status": "duplicate", "order_id": first["order_id"],
                      "number": first["number"], "link": first["link"]}
    assert count(addon_instance, Order) == 1


def test_an_order_stored_concurrently_after_the_checks_becomes_a_duplicate(addon_instance,
                                                                          shop_session):
    """Another push stores the same uuid between our checks and our insert: the unique index
    refuses ours, the others of the push are still stored, and ours answers `duplicate`."""
    raced, other = an_order(shop_session), an_order(shop_session)

    def concurrent_push(connection, order, session):
        if order.uuid == raced["uuid"]:
            [stored] = push_orders(connection, [raced])
            assert stored["status"] == "created"
        return None

    with addon_instance.engine.begin() as connection:
        results = push_orders(connection, [raced, other], check_order=concurrent_push)
    assert [r["status"] for r in results] == ["duplicate", "created"]
    assert count(addon_instance, Order) == 2 and count(addon_instance, OrderLine) == 4


@pytest.mark.parametrize("changes, code", [
    ({"session_id": 999}, "unknown_session"),
    ({"partner_id": 999}, "unknown_partner"),
])
def test_unknown_references_are_rejected(addon_instance, shop_session, changes, code):
    with addon_instance.engine.begin() as connection:
        [result] = push_orders(connection, [an_order(shop_session, **changes)])
    assert result["error"]["code"] == code


def test_a_token_for_another_config_cannot_push_to_this_session(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        [result] = push_orders(connection, [an_order(shop_session)], allowed_config_id=2)
    assert result["error"]["code"] == "forbidden_session"


def test_the_session_remembers_the_highest_sequence_number(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(shop_session, sequence_number=7),
                                 an_order(shop_session, sequence_number=3)])
        assert connection.scalar(text("SELECT sequence_number FROM point_of_sale_session "
                                      "WHERE id = :id"), {"id": shop_session}) == 7


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_sequence_of_pushes_stores_each_uuid_exactly_once(addon_instance, shop_session, data):
    with tamper(addon_instance.engine) as connection:  # a fresh start for each example
        connection.execute(text("DELETE FROM point_of_sale_ledger_entry"))
        connection.execute(text("DELETE FROM point_of_sale_payment"))
        connection.execute(text("DELETE FROM point_of_sale_order_line"))
        connection.execute(text("DELETE FROM point_of_sale_order"))
    orders = [an_order(shop_session) for _ in range(data.draw(st.integers(1, 5)))]
    pushes = data.draw(st.lists(st.lists(st.sampled_from(orders), min_size=1, max_size=6),
                                min_size=1, max_size=5))
    seen = set()
    for push in pushes:
        with addon_instance.engine.begin() as connection:
            results = push_orders(connection, push)
        for order, result in zip(push, results):
            expected = "duplicate" if order["uuid"] in seen else "created"
            assert result["status"] == expected
            seen.add(order["uuid"])
    with addon_instance.engine.connect() as connection:
        stored = connection.execute(text("SELECT uuid FROM point_of_sale_order")).scalars().all()
    assert sorted(stored) == sorted(seen)


def test_till_times_are_stored_in_utc(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(shop_session, created_at="2026-11-22T10:00:00+02:00")])
    with addon_instance.engine.connect() as connection:
        stored = connection.scalar(select(Order.created_at))
    # SQLite gives the UTC time back without an offset, PostgreSQL with the server's zone.
    in_utc = stored.astimezone(timezone.utc) if stored.tzinfo else stored
    assert (in_utc.hour, in_utc.minute) == (8, 0)
