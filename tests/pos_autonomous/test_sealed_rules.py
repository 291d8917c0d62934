"""A sealed record from a till is checked with the rules of POST /pos/orders (issue #22 item 1):
a dishonest till of config 2 (its own token, its own chain, rows written straight into its
database and sealed) sends a refund of config 1's order for 100 times what was sold, an order
whose total does not match its lines, a payment by a method its config does not have, and
change from a card payment. Each is stored as received (its number stays in the chain) but
quarantined: config 1's own refund is still allowed in full, the session's figures leave them
out, and an alarm names the till, the ticket number and the rule."""
import uuid as uuid_module
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text

import addons.point_of_sale as point_of_sale
from addons.point_of_sale.models import Order, OrderLine, Payment
from addons.pos_autonomous.central.models import Alarm
from tests.pos_autonomous.up_helpers import batch_of, local_till, record, sell, token_of
from tests.support import testing_app as built_app

SOLD = {"product_id": 1, "qty": "1", "price_unit": "1.80"}


@pytest.fixture
def app(central):
    return built_app(central)


def push(app, till):
    batch = batch_of(till)
    response = app.test_client().post("/pos_autonomous/push", json=batch,
                                      headers={"Authorization": f"Bearer {token_of(till)}"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    record(till, batch, answer)
    return answer


def dishonest(till, session_id, amount_total, payments, amount_return="0.00", lines=None,
              refunded_uuid=None):
    """An order written straight into the till's database and sealed by its own chain."""
    uuid = uuid_module.uuid4().hex
    lines = lines or [{"product_id": 1, "qty": Decimal("1"), "price_unit": Decimal("1.80"),
                       "price_subtotal": Decimal("1.80"), "price_subtotal_incl": Decimal("1.98"),
                       "tax_rate": Decimal("10")}]
    with till.engine.begin() as connection:
        refunded_id, refunded_lines = None, []
        if refunded_uuid is not None:
            refunded_id = connection.scalar(select(Order.id).where(Order.uuid == refunded_uuid))
            refunded_lines = list(connection.scalars(select(OrderLine.id).where(
                OrderLine.order_id == refunded_id)))
        order_id = connection.execute(Order.__table__.insert().values(
            uuid=uuid, reference=f"Dishonest {uuid[:6]}", session_id=session_id,
            created_at=datetime(2026, 11, 26, 9, tzinfo=timezone.utc),
            amount_untaxed=Decimal(amount_total) / Decimal("1.1"), amount_tax=Decimal("0"),
            amount_total=Decimal(amount_total), amount_paid=sum(
                Decimal(p["amount"]) for p in payments), amount_return=Decimal(amount_return),
            refunded_order_id=refunded_id)).inserted_primary_key[0]
        connection.execute(OrderLine.__table__.insert(), [
            {**line, "order_id": order_id, "discount": Decimal("0"),
             "refunded_line_id": refunded_lines[0] if refunded_lines else None}
            for line in lines])
        connection.execute(Payment.__table__.insert(), [
            {"order_id": order_id, "method": p["method"], "amount": Decimal(p["amount"])}
            for p in payments])
        point_of_sale.seal_record(connection, 2, "order", uuid)
    return uuid


def test_a_tills_sealed_records_obey_the_live_rules_or_are_quarantined(app, central, tmp_path):
    with central.engine.begin() as connection:  # config 1 sells one croissant on the central
        shop_session = point_of_sale.open_session(connection, 1)
        sold = {"uuid": uuid_module.uuid4().hex, "session_id": shop_session,
                "created_at": "2026-11-26T08:00:00Z", "lines": [SOLD],
                "payments": [{"method": "cash", "amount": "5.00"}]}
        [result] = point_of_sale.push_orders(connection, [sold], allowed_config_id=1)
        assert result["status"] == "created", result
    till = local_till(central, tmp_path, config_id=2)
    honest = sell(till.engine, 1, config_id=2)[0]
    with till.engine.begin() as connection:
        session_id = point_of_sale.current_session(connection, 2).id
        # The till copies config 1's order into its database, to refund it 100 times over.
        copy_id = connection.execute(Order.__table__.insert().values(
            uuid=sold["uuid"], reference="Copy", session_id=session_id,
            created_at=datetime(2026, 11, 26, 8, tzinfo=timezone.utc),
            amount_untaxed=Decimal("1.80"), amount_tax=Decimal("0.18"),
            amount_total=Decimal("1.98"), amount_paid=Decimal("1.98"),
            amount_return=Decimal("0"))).inserted_primary_key[0]
        connection.execute(OrderLine.__table__.insert().values(
            order_id=copy_id, product_id=1, qty=Decimal("1"), price_unit=Decimal("1.80"),
            discount=Decimal("0"), price_subtotal=Decimal("1.80"),
            price_subtotal_incl=Decimal("1.98"), tax_rate=Decimal("10")))
    tax_rate = central_tax_rate(central)
    cases = {
        "refund of another config's order, 100 times": dishonest(
            till, session_id, "-198.00", [{"method": "cash", "amount": "-198.00"}],
            lines=[{"product_id": 1, "qty": Decimal("-100"), "price_unit": Decimal("1.80"),
                    "price_subtotal": Decimal("-180"), "price_subtotal_incl": Decimal("-198"),
                    "tax_rate": tax_rate}], refunded_uuid=sold["uuid"]),
        "totals that do not match the lines": dishonest(
            till, session_id, "100.00", [{"method": "cash", "amount": "100.00"}]),
        "a method the config does not have": dishonest(
            till, session_id, "1.98", [{"method": "bitcoin", "amount": "1.98"}]),
        "change from a card payment": dishonest(
            till, session_id, "1.98", [{"method": "card", "amount": "20.00"}],
            amount_return="18.02"),
    }
    answer = push(app, till)
    assert [ack["status"] for ack in answer["acks"]] == ["stored"] * len(answer["acks"])
    with central.engine.connect() as connection:
        quarantined = {row.order_id: row.rule for row in connection.execute(text(
            "SELECT order_id, rule FROM point_of_sale_quarantine"))}
        ids = {uuid: connection.scalar(select(Order.id).where(Order.uuid == uuid))
               for uuid in [honest, *cases.values()]}
        alarms = connection.execute(select(Alarm).where(Alarm.kind == "quarantined")).all()
        chain = point_of_sale.verify_chain(connection, 2)
    assert ids[honest] not in quarantined  # the honest ticket counts
    assert set(quarantined) == {ids[uuid] for uuid in cases.values()}, quarantined
    assert quarantined[ids[cases["refund of another config's order, 100 times"]]] == (
        "unknown_refunded_order")
    assert quarantined[ids[cases["totals that do not match the lines"]]] == "total_mismatch"
    assert len(alarms) == len(cases)
    numbers = {alarm.first_number for alarm in alarms}
    assert len(numbers) == len(cases)
    for alarm in alarms:
        assert "till" in alarm.message and f"ticket {alarm.first_number}" in alarm.message
        assert "rule" in alarm.message
    assert chain.ok  # the tickets are facts: their numbers stay in the chain

    # Config 1's own refund of its croissant is still allowed in full.
    with central.engine.begin() as connection:
        refund = {"uuid": uuid_module.uuid4().hex, "session_id": shop_session,
                  "created_at": "2026-11-26T10:00:00Z", "refunded_order_uuid": sold["uuid"],
                  "lines": [{**SOLD, "qty": "-1", "refunded_line_index": 0}],
                  "payments": [{"method": "cash", "amount": "-1.98"}]}
        [result] = point_of_sale.push_orders(connection, [refund], allowed_config_id=1)
    assert result["status"] == "created", result
    # The till's session figures leave the quarantined tickets out.
    with central.engine.connect() as connection:
        session = connection.scalar(select(Order.session_id).where(Order.uuid == honest))
        report = point_of_sale.session_report(connection, session)
    assert report["order_count"] == 1, report


def central_tax_rate(central):
    with central.engine.connect() as connection:
        return connection.scalar(text("SELECT tax_rate FROM point_of_sale_product WHERE id = 1"))
