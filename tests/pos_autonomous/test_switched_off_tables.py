"""The *Tables to synchronise* switch, both directions. Down: a switched-off table is no longer
sent (the till keeps what it has) and, switched on again, its changes since the till's version
arrive. Up: the central server refuses what a till sends of a switched-off table (409
`table_switched_off`, nothing applied); the till keeps the changes queued, tries one per pass,
says they are held and why, and sends them all once the row is switched on again."""
from decimal import Decimal

from sqlalchemy import select, update

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.tills import register_till
from addons.pos_autonomous.till import outbox
from addons.pos_autonomous.till.client import CentralClient
from addons.pos_autonomous.till.models import OutboxMessage
from core.web.users import set_password
from tests.pos_autonomous.test_customers_up import partner, till_client
from tests.pos_autonomous.test_pull_http import pull
from tests.pos_autonomous.till_helpers import core, till_state
from tests.pos_autonomous.up_helpers import local_till, token_of
from tests.support import post_form, signed_in_client, text_of
from tests.support import testing_app as built_app

PRODUCTS, PARTNERS = "point_of_sale.product", "point_of_sale.partner"


def switch(app, central, table, direction, on):
    """Switch a row of Tables to synchronise as an admin does, through its form."""
    client = signed_in_client(app, central)
    answer = post_form(client, f"/web/pos_autonomous/tables/{table}/{direction}",
                       {"kind": "incremental", **({"active": "1"} if on else {})},
                       page="/web/pos_autonomous/")
    assert answer.status_code == 302


def test_a_switched_off_down_table_is_not_sent_and_catches_up_when_switched_on(central):
    app = built_app(central)
    with central.engine.begin() as connection:
        token = register_till(connection, 1, "Shop till")[1]
    position = pull(app, token, {PRODUCTS: {"mode": "incremental", "version": 0}}).get_json()[
        "tables"][PRODUCTS]["checkpoint"]
    switch(app, central, PRODUCTS, "down", on=False)
    with central.engine.begin() as connection:
        connection.execute(update(point_of_sale.Product).where(point_of_sale.Product.id == 1)
                           .values(price=Decimal("9.99")))
    answer = pull(app, token, {PRODUCTS: position}).get_json()
    assert PRODUCTS not in answer["tables"]  # not sent: the till keeps its products as they are
    switch(app, central, PRODUCTS, "down", on=True)
    part = pull(app, token, {PRODUCTS: position}).get_json()["tables"][PRODUCTS]
    price = part["columns"].index("price")
    assert [(row[0], row[price]) for row in part["rows"]] == [(1, "9.99")]


def test_the_central_server_refuses_a_switched_off_up_table_and_applies_nothing(central,
                                                                                tmp_path):
    app = built_app(central)
    till = local_till(central, tmp_path)
    headers = {"Authorization": f"Bearer {token_of(till)}"}
    client = app.test_client()
    customer = client.post("/pos_autonomous/customers", headers=headers,
                           json={"values": {"name": "Zoé"}}).get_json()["customer"]
    switch(app, central, PARTNERS, "up", on=False)
    for path, body in (("/pos_autonomous/customers", {"values": {"name": "Ann"}}),
                       (f"/pos_autonomous/customers/{customer['id']}",
                        {"values": {"phone": "06 00 00 00 01"}}),
                       (f"/pos_autonomous/customers/{customer['id']}/delete", {})):
        answer = client.post(path, headers=headers, json=body)
        assert answer.status_code == 409, (path, answer.get_json())
        error = answer.get_json()["error"]
        assert error["code"] == "table_switched_off" and "switched on again" in error["message"]
        assert client.post(path, json=body).status_code == 401  # who comes before what
    stored = partner(central.engine, customer["id"])
    assert (stored.phone, stored.active) == ("", True)
    with central.engine.connect() as connection:
        assert connection.scalar(select(point_of_sale.Partner.id).where(
            point_of_sale.Partner.name == "Ann")) is None
    switch(app, central, PARTNERS, "up", on=True)
    answer = client.post(f"/pos_autonomous/customers/{customer['id']}", headers=headers,
                         json={"values": {"phone": "06 00 00 00 01"}})
    assert answer.status_code == 200 and partner(central.engine, customer["id"]).phone == (
        "06 00 00 00 01")
    till.engine.dispose()


def test_a_till_holds_its_customer_changes_while_the_table_is_switched_off(central,
                                                                          central_server,
                                                                          make_till):
    till_url = make_till(1)
    till, client, headers = till_client(till_url)
    app = built_app(central)
    customer = client.post("/pos/customers", headers=headers,
                           json={"config_id": 1, "name": "Paul"}).get_json()["customer"]
    switch(app, central, PARTNERS, "up", on=False)
    for phone in ("07 00 00 00 01", "07 00 00 00 02", "07 00 00 00 03"):
        edited = client.post(f"/pos/customers/{customer['id']}", headers=headers,
                             json={"config_id": 1, "phone": phone})
        assert edited.status_code == 200, edited.get_json()
    created = client.post("/pos/customers", headers=headers, json={"config_id": 1, "name": "Léa"})
    assert created.status_code == 400  # creation needs the server: refused, in words
    assert "ask the manager" in created.get_json()["error"]["message"]

    core("--db", till_url, "autonomous", "sync", "--once")  # a held table is not an error
    state = till_state(till_url)
    assert state["last_error"] is None and state["up"]["customers"] == 3
    assert "switched off" in state["up"]["customers_held"]
    assert partner(central.engine, customer["id"]).phone == ""
    sender = CentralClient(central_server.url, token_of(till), 10)
    for _ in range(2):  # each pass tries one change, not the whole queue again and again
        assert outbox.send_outbox(till.engine, sender) == 0
    assert sender.round_trips == 2
    sender.close()
    with till.engine.connect() as connection:  # held, not refused: no error on the messages
        assert {row.last_error for row in connection.execute(select(OutboxMessage))} == {""}
    with till.engine.begin() as connection:
        set_password(connection, "manager", "password123")
    page = text_of(signed_in_client(built_app(till), till, "manager").get("/web/pos_autonomous/"))
    assert "3 customer change(s) held: the central server" in page and "switched off" in page

    switch(app, central, PARTNERS, "up", on=True)
    core("--db", till_url, "autonomous", "sync", "--once")
    assert partner(central.engine, customer["id"]).phone == "07 00 00 00 03"  # in order
    state = till_state(till_url)
    assert state["up"]["customers"] == 0 and state["up"]["customers_held"] is None
    till.engine.dispose()
