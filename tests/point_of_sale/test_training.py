"""Training mode (#25 item 5): a manager switches a till to training; its tickets are checked as
sales, sealed in a chain of their own, and never in orders, totals, closings or archives."""
import uuid as uuid_module

from sqlalchemy import text

from addons.point_of_sale import journal_events, verify_journal
from addons.point_of_sale.training import training_chain
from tests.point_of_sale.test_periodic_closings import ESPRESSOS, run, sell
from tests.support import bearer_header, signed_in_client, tamper
from tests.support import testing_app as app_of


def training_order(session):
    return {"uuid": str(uuid_module.uuid4()), "session_id": session,
            "created_at": "2026-12-07T10:00:00Z", "lines": ESPRESSOS,
            "payments": [{"method": "cash", "amount": "5"}]}


def count_orders(instance):
    with instance.engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM point_of_sale_order"))


def test_training_tickets_are_sealed_apart_and_never_counted(addon_instance, shop_session):
    app = app_of(addon_instance)
    manager = signed_in_client(app, addon_instance)
    till = app.test_client()
    token = bearer_header(addon_instance, 1)
    refused = till.post("/pos/config/1/training/orders", headers=token,
                        json={"orders": [training_order(shop_session)]})
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "not_in_training")
    assert till.post("/pos/config/1/training", headers=token, json={"on": True}).status_code \
        == 403  # a till's token cannot switch it
    switched = manager.post("/pos/config/1/training", json={"on": True})
    assert switched.status_code == 200 and switched.json == {"training": True, "changed": True}
    assert till.get("/pos/config/1/data", headers=token).json["training"] is True

    sell(addon_instance, "2026-12-07T09:00:00Z")  # a real sale before
    answer = till.post("/pos/config/1/training/orders", headers=token, json={"orders": [
        training_order(shop_session), training_order(shop_session),
        {**training_order(shop_session), "lines": [{"product_id": 999, "qty": 1,
                                                      "price_unit": "1"}]}]})
    assert answer.status_code == 200
    assert [(r["status"], r.get("number")) for r in answer.json["results"]] == [
        ("sealed", 1), ("sealed", 2), ("rejected", None)]
    assert answer.json["results"][2]["error"]["code"] == "unknown_product"
    assert count_orders(addon_instance) == 1  # the real sale only

    assert manager.post("/pos/config/1/training", json={"on": False}).json["changed"] is True
    assert till.get("/pos/config/1/data", headers=token).json["training"] is False
    with addon_instance.engine.connect() as connection:
        tickets = journal_events(connection, chain=training_chain(1))
        assert [t["details"]["totals"]["total"] for t in tickets] == ["3.96", "3.96"]
        assert verify_journal(connection, training_chain(1)).ok
        switches = journal_events(connection, kinds=["training_on", "training_off"])
    assert [(s["kind"], s["details"]["by"]) for s in switches] == [
        ("training_on", "manager"), ("training_off", "manager")]
    made = run(addon_instance, "2026-12-08T12:00:00Z")
    assert [(c["details"]["order_count"], c["details"]["period_total"]) for c in made] == [
        (1, "3.96"), (1, "3.96")]  # the config's day and its shop's: no training ticket


def test_an_edited_training_ticket_breaks_its_chain(addon_instance, shop_session):
    app = app_of(addon_instance)
    signed_in_client(app, addon_instance).post("/pos/config/1/training", json={"on": True})
    app.test_client().post("/pos/config/1/training/orders", headers=bearer_header(
        addon_instance, 1), json={"orders": [training_order(shop_session)]})
    with tamper(addon_instance.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_journal_event SET details = "
                                "replace(details, '3.96', '0.01') WHERE kind = 'training_ticket'"))
    with addon_instance.engine.connect() as connection:
        check = verify_journal(connection, training_chain(1))
    assert (check.ok, check.first_broken) == (False, 1)
