"""Customers at an autonomous till go through the central server (a real `core serve`; the
till's own routes through Flask's test client): created there from the template customer and
stored on the till under the same id; refused offline with a message a cashier can act on;
edited offline and sent by the next pass; a creation abandoned at the till deleted on the
central server, or retired when a ticket already refers to it (the ticket stays intact)."""

import requests
from sqlalchemy import select

import addons.point_of_sale as point_of_sale
from core.addons import AddonCatalog
from core.instance import Instance
from tests.pos_autonomous.till_helpers import core, till_state
from tests.pos_autonomous.up_helpers import order
from tests.support import bearer_header
from tests.support import testing_app as built_app


def partner(engine, partner_id):
    with engine.connect() as connection:
        return connection.execute(select(point_of_sale.Partner).where(
            point_of_sale.Partner.id == partner_id)).first()


def till_client(till_url):
    till = Instance(till_url, AddonCatalog())
    return till, built_app(till).test_client(), bearer_header(till, 1)


def waiting_customers(till_url):
    """The customer changes waiting, as `core autonomous status --json` says (read in
    process: a command costs seconds)."""
    return till_state(till_url)["up"]["customers"]


def test_a_customer_is_created_on_the_central_server_and_refused_offline(central,
                                                                          central_server,
                                                                          make_till):
    till_url = make_till(1)
    till, client, headers = till_client(till_url)
    with central.engine.begin() as connection:  # the template gives what the till lacks
        connection.execute(point_of_sale.Partner.__table__.update().where(
            point_of_sale.Partner.is_customer_template).values(city="Lyon", country_code="FR"))
    answer = client.post("/pos/customers", headers=headers,
                         json={"config_id": 1, "name": "Zoé Martin", "phone": "06 12 34 56 78"})
    assert answer.status_code == 201, answer.get_json()
    customer = answer.get_json()["customer"]
    on_central, on_till = partner(central.engine, customer["id"]), partner(till.engine,
                                                                           customer["id"])
    assert (on_central.name, on_central.phone, on_central.city) == (
        "Zoé Martin", "06 12 34 56 78", "Lyon")
    assert (on_till.name, on_till.city, on_till.country_code) == ("Zoé Martin", "Lyon", "FR")
    refused = client.post("/pos/customers", headers=headers,
                          json={"config_id": 1, "name": "Ann Bad", "email": "not an e-mail"})
    assert refused.status_code == 400  # the till's own check, before asking the server
    central_server.kill()
    offline = client.post("/pos/customers", headers=headers,
                          json={"config_id": 1, "name": "Léa Offline"})
    assert offline.status_code == 503  # point_of_sale says: the server is needed
    error = offline.get_json()["error"]
    assert error["code"] == "needs_server" and "central server" in error["message"]
    with till.engine.connect() as connection:
        assert connection.scalar(select(point_of_sale.Partner.id).where(
            point_of_sale.Partner.name == "Léa Offline")) is None
    till.engine.dispose()


def test_an_edit_made_offline_is_sent_by_the_next_pass(central, central_server, make_till):
    till_url = make_till(1)
    till, client, headers = till_client(till_url)
    customer = client.post("/pos/customers", headers=headers,
                           json={"config_id": 1, "name": "Paul"}).get_json()["customer"]
    central_server.kill()
    edited = client.post(f"/pos/customers/{customer['id']}", headers=headers,
                         json={"config_id": 1, "phone": "07 00 00 00 01",
                               "email": "paul@example.com"})
    assert edited.status_code == 200, edited.get_json()
    assert partner(till.engine, customer["id"]).phone == "07 00 00 00 01"
    assert waiting_customers(till_url) == 1
    assert core("--db", till_url, "autonomous", "sync", "--once", check=False).returncode != 0
    assert waiting_customers(till_url) == 1  # kept while the server is down
    central_server.start()
    core("--db", till_url, "autonomous", "sync", "--once")
    on_central = partner(central.engine, customer["id"])
    assert (on_central.phone, on_central.email) == ("07 00 00 00 01", "paul@example.com")
    assert waiting_customers(till_url) == 0
    till.engine.dispose()


def test_an_abandoned_creation_is_deleted_or_retired_on_the_central_server(central,
                                                                          central_server,
                                                                          make_till):
    till_url = make_till(1)
    till, client, headers = till_client(till_url)

    def create(name):
        return client.post("/pos/customers", headers=headers,
                           json={"config_id": 1, "name": name}).get_json()["customer"]["id"]

    unused, ordered = create("Cancelled at once"), create("Bought then cancelled")
    with till.engine.begin() as connection:  # a ticket refers to the second one
        session_id = point_of_sale.open_session(connection, 1)
        ticket = {**order(session_id), "partner_id": ordered}
        assert point_of_sale.push_orders(connection, [ticket])[0]["status"] == "created"
    core("--db", till_url, "autonomous", "sync", "--once")  # the ticket goes up first
    # The POS page's route (point_of_sale, taken over by pos_autonomous's hook), and ours.
    for path in (f"/pos/customers/{unused}/abandon",
                 f"/pos_autonomous/customers/{ordered}/abandon"):
        answer = client.post(path, headers=headers, json={"config_id": 1})
        assert answer.status_code == 200, answer.get_json()
    assert partner(till.engine, unused) is None
    assert partner(till.engine, ordered).active is False
    assert partner(central.engine, unused) is not None  # until the next pass
    core("--db", till_url, "autonomous", "sync", "--once")
    assert partner(central.engine, unused) is None
    assert partner(central.engine, ordered).active is False  # retired, the ticket intact
    with central.engine.connect() as connection:
        assert connection.scalar(select(point_of_sale.Order.partner_id).where(
            point_of_sale.Order.uuid == ticket["uuid"])) == ordered
        assert point_of_sale.verify_chain(connection, 1).ok
    assert waiting_customers(till_url) == 0
    till.engine.dispose()


def test_the_central_customer_routes_need_a_till_token(central, central_server):
    for path in ("/pos_autonomous/customers", "/pos_autonomous/customers/1",
                 "/pos_autonomous/customers/1/delete"):
        answer = requests.post(central_server.url + path, json={"values": {"name": "x"}},
                               timeout=10)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
