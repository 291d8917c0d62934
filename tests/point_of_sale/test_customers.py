"""Customers at the till through HTTP (GET/POST /pos/customers, POST /pos/customers/<id>) and
`retire_customer`: search, creation from the template customer, phone and e-mail edits, the
hooks that take creation over, and hostile input. Demo partners: 1 the template, 2 Alice Martin
(+33 6 12 34 56 78), 3 Bruno Lefèvre, 4 Café des Arts (compta@cafedesarts.example)."""

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select, text

from addons.point_of_sale import Partner, Rejection, retire_customer
from core import hookimpl
from tests import hostile_json as hj
from tests.point_of_sale.test_pos_hostile_input import an_order, assert_json_error, post_text
from tests.support import bearer_header as bearer


def partner_count(instance):
    with instance.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Partner))


def names(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [c["name"] for c in response.get_json()["customers"]]


def test_customers_are_found_by_name_phone_or_email_and_never_the_template(admin_client):
    assert names(admin_client.get("/pos/customers?q=alice")) == ["Alice Martin"]
    assert names(admin_client.get("/pos/customers?q=cafedesarts")) == ["Café des Arts"]
    # A phone as typed, with or without its spaces.
    assert names(admin_client.get("/pos/customers?q=98 76")) == ["Bruno Lefèvre"]
    assert names(admin_client.get("/pos/customers?q=612345678")) == ["Alice Martin"]
    assert names(admin_client.get("/pos/customers?q=100%")) == []  # % is a character
    everyone = names(admin_client.get("/pos/customers?limit=50"))
    assert "Walk-in customer (template)" not in everyone and len(everyone) == 3


def test_a_customer_created_at_a_till_takes_what_it_lacks_from_the_template(
        admin_client, addon_instance):
    with addon_instance.engine.begin() as connection:
        connection.execute(text("UPDATE point_of_sale_partner SET city = 'Lyon', "
                                "country_code = 'FR', phone = '+33 4 00 00 00 00' WHERE id = 1"))
    response = admin_client.post("/pos/customers", json={
        "config_id": 1, "name": "  Chloé   Durand ", "email": "chloe@example.com"})
    assert response.status_code == 201, response.get_data(as_text=True)
    customer = response.get_json()["customer"]
    assert customer["name"] == "Chloé Durand"  # one line, single spaces
    assert customer["email"] == "chloe@example.com"  # sent by the till
    assert (customer["city"], customer["country_code"]) == ("Lyon", "FR")  # the template's
    assert customer["phone"] == "+33 4 00 00 00 00"
    assert customer["is_customer_template"] is False
    assert names(admin_client.get("/pos/customers?q=chloe")) == ["Chloé Durand"]
    with addon_instance.engine.connect() as connection:
        templates = connection.scalars(select(Partner.id).where(Partner.is_customer_template))
        assert list(templates) == [1]


def test_creation_is_refused_without_a_template_and_writes_nothing(admin_client, addon_instance):
    with addon_instance.engine.begin() as connection:
        connection.execute(text("UPDATE point_of_sale_partner SET is_customer_template = false"))
    before = partner_count(addon_instance)
    error = assert_json_error(admin_client.post("/pos/customers",
                                                json={"config_id": 1, "name": "Dan"}),
                              409, "no_template")
    assert "template" in error["message"]
    assert partner_count(addon_instance) == before


def test_a_till_changes_a_customers_phone_or_email_and_nothing_else(admin_client):
    response = admin_client.post("/pos/customers/2", json={"config_id": 1,
                                                           "phone": "+33 6 00 11 22 33"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["customer"]["phone"] == "+33 6 00 11 22 33"
    assert response.get_json()["customer"]["email"] == "alice@example.com"
    assert_json_error(admin_client.post("/pos/customers/2", json={"config_id": 1, "name": "X"}),
                      400, "invalid_customer")
    assert_json_error(admin_client.post("/pos/customers/2", json={"config_id": 1,
                                                                  "email": "not-an-address"}),
                      400, "invalid_customer")
    assert_json_error(admin_client.post("/pos/customers/1", json={"config_id": 1,
                                                                  "phone": "0102030405"}),
                      409, "template_customer")
    assert_json_error(admin_client.post("/pos/customers/999", json={"config_id": 1,
                                                                    "phone": "0102030405"}),
                      404, "unknown_customer")


def test_who_may_call_the_customer_routes(app, addon_instance):
    client = app.test_client()
    for method, path in [("get", "/pos/customers"), ("post", "/pos/customers"),
                         ("post", "/pos/customers/2")]:
        assert_json_error(getattr(client, method)(path, json={}), 401, "unauthorized")
    # A till's token creates for its own config only (the config is the token's).
    assert_json_error(client.post("/pos/customers", json={"config_id": 1, "name": "Eve"},
                                  headers=bearer(addon_instance, 2)), 403, "forbidden")
    response = client.post("/pos/customers", json={"name": "Eve"},
                           headers=bearer(addon_instance, 2))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_customer_with_orders_is_retired_and_one_without_is_deleted(
        admin_client, addon_instance, shop_session):
    pushed = admin_client.post("/pos/orders", json=[an_order(shop_session, partner_id=2)])
    assert pushed.get_json()["results"][0]["status"] == "created"
    with addon_instance.engine.begin() as connection:
        assert retire_customer(connection, 2) == "retired"
        assert retire_customer(connection, 3) == "deleted"
        with pytest.raises(Rejection):
            retire_customer(connection, 1)  # the template stays
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT partner_id FROM point_of_sale_order")) == 2
        assert connection.scalar(text("SELECT count(*) FROM point_of_sale_partner "
                                      "WHERE id = 3")) == 0
    assert names(admin_client.get("/pos/customers?q=alice")) == []  # no longer offered
    data = admin_client.get("/pos/config/1/data").get_json()
    assert 2 not in [p["id"] for p in data["partners"]]
    assert_json_error(admin_client.post("/pos/customers/2", json={"config_id": 1,
                                                                  "phone": "0102030405"}),
                      404, "unknown_customer")


class CentralServerCustomers:
    """pos_create_customer / pos_update_customer as pos_autonomous implements them on a till."""

    def __init__(self, online):
        self.online, self.seen = online, []

    @hookimpl
    def pos_create_customer(self, connection, config_id, values):
        self.seen.append((config_id, values))
        if not self.online:
            raise Rejection("needs_server", "Creating a customer needs the connection to the "
                                            "central server; try again when it is back.")
        return {"id": 777, **values}

    @hookimpl
    def pos_update_customer(self, connection, config_id, partner_id, values):
        return {"id": partner_id, "queued": True, **values}


@pytest.mark.parametrize("online", [True, False])
def test_hook_pos_create_customer_takes_creation_over(app, admin_client, addon_instance, online):
    plugin = CentralServerCustomers(online)
    app.extensions["core.plugins"].register(plugin, "central_customers")
    before = partner_count(addon_instance)
    response = admin_client.post("/pos/customers", json={"config_id": 1, "name": "Fay",
                                                         "phone": "0601020304"})
    assert plugin.seen == [(1, {"name": "Fay", "phone": "0601020304"})]
    if online:
        assert response.status_code == 201
        assert response.get_json()["customer"]["id"] == 777
    else:
        assert_json_error(response, 503, "needs_server")
    assert partner_count(addon_instance) == before  # the addon's business, not ours


def test_hook_pos_update_customer_takes_edits_over(app, admin_client, addon_instance):
    app.extensions["core.plugins"].register(CentralServerCustomers(True), "central_customers")
    edited = admin_client.post("/pos/customers/2", json={"config_id": 1, "email": "a@b.example"})
    assert edited.get_json()["customer"]["queued"] is True
    with addon_instance.engine.connect() as connection:  # queued by the addon, not written here
        assert connection.scalar(text("SELECT email FROM point_of_sale_partner WHERE id = 2")) \
            != "a@b.example"


def test_a_cancelled_creation_is_deleted_or_retired(admin_client, shop_session):
    def abandon(partner_id, **body):
        return admin_client.post(f"/pos/customers/{partner_id}/abandon",
                                 json={"config_id": 1, **body})

    def create(name):
        created = admin_client.post("/pos/customers", json={"config_id": 1, "name": name})
        return created.get_json()["customer"]["id"]

    partner_id = create("Oops")
    assert abandon(partner_id).get_json() == {"outcome": "deleted"}
    assert_json_error(abandon(partner_id), 404, "unknown_customer")
    assert_json_error(abandon(3, name="x"), 400, "invalid_body")
    ordered = create("Ordered at once")
    pushed = admin_client.post("/pos/orders", json=[an_order(shop_session, partner_id=ordered)])
    assert pushed.get_json()["results"][0]["status"] == "created"
    assert abandon(ordered).get_json() == {"outcome": "retired"}  # the order refers to it


def test_only_the_till_that_created_a_customer_abandons_it_and_only_soon(
        app, addon_instance, set_parameter):
    """Any POS token could delete or retire any customer (issue #22 item 3)."""
    shop, bar = (app.test_client() for _ in range(2))
    shop_token, bar_token = bearer(addon_instance, 1), bearer(addon_instance, 2)
    created = shop.post("/pos/customers", json={"name": "Gus"}, headers=shop_token)
    partner_id = created.get_json()["customer"]["id"]
    before = partner_count(addon_instance)
    for partner, token, status, code in [
            (partner_id, bar_token, 403, "not_your_creation"),  # another till's creation
            (2, shop_token, 403, "not_your_creation"),  # a customer no till created
            (1, shop_token, 403, "not_your_creation")]:  # the template
        answer = bar.post(f"/pos/customers/{partner}/abandon", json={}, headers=token)
        assert_json_error(answer, status, code)
    assert partner_count(addon_instance) == before
    set_parameter("point_of_sale.customer_abandon_seconds", 0)  # read at each cancellation
    assert_json_error(shop.post(f"/pos/customers/{partner_id}/abandon", json={},
                                headers=shop_token), 409, "abandon_too_late")
    set_parameter("point_of_sale.customer_abandon_seconds", 600)
    answer = shop.post(f"/pos/customers/{partner_id}/abandon", json={}, headers=shop_token)
    assert answer.get_json() == {"outcome": "deleted"}
    with addon_instance.engine.connect() as connection:
        kinds = connection.execute(text(
            "SELECT kind, source FROM point_of_sale_customer_change WHERE partner_id = :id "
            "ORDER BY id"), {"id": partner_id}).all()
    assert [tuple(k) for k in kinds] == [("created", "config:1"), ("abandoned", "config:1")]


def test_a_tills_edit_is_recorded_with_the_till(app, addon_instance):
    client, token = app.test_client(), bearer(addon_instance, 2)
    answer = client.post("/pos/customers/2", json={"phone": "0611223344"}, headers=token)
    assert answer.status_code == 200, answer.get_json()
    assert_json_error(client.post("/pos/customers/2", json={"name": "Renamed"}, headers=token),
                      400, "invalid_customer")  # a till edits phone and e-mail only
    with addon_instance.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT kind, source, fields FROM point_of_sale_customer_change "
            "WHERE partner_id = 2")).all()
    assert [tuple(r) for r in rows] == [("edited", "config:2", '{"phone": "0611223344"}')]


def test_hook_pos_abandon_customer_takes_the_cancellation_over(app, admin_client,
                                                               addon_instance):
    class Queueing:
        @hookimpl
        def pos_abandon_customer(self, connection, config_id, partner_id):
            return "queued"

    created = admin_client.post("/pos/customers", json={"config_id": 1, "name": "Zoe"})
    partner_id = created.get_json()["customer"]["id"]
    app.extensions["core.plugins"].register(Queueing(), "queueing")
    before = partner_count(addon_instance)
    answer = admin_client.post(f"/pos/customers/{partner_id}/abandon", json={"config_id": 1})
    assert answer.get_json() == {"outcome": "queued"}
    assert partner_count(addon_instance) == before  # the addon's business, not ours


# -- hostile input ------------------------------------------------------------------------------

HOSTILE_CREATIONS = {
    "an array": ([], "invalid_body"),
    "no config id": ({"name": "A"}, "invalid_config_id"),
    "config id true": ({"config_id": True, "name": "A"}, "invalid_config_id"),
    "config id text": ({"config_id": "1", "name": "A"}, "invalid_config_id"),
    "no name": ({"config_id": 1, "phone": "0601020304"}, "invalid_customer"),
    "blank name": ({"config_id": 1, "name": "   "}, "invalid_customer"),
    "name a number": ({"config_id": 1, "name": 12}, "invalid_customer"),
    "name an object": ({"config_id": 1, "name": {"$gt": ""}}, "invalid_customer"),
    "name too long": ({"config_id": 1, "name": "x" * 129}, "invalid_customer"),
    "unknown field": ({"config_id": 1, "name": "A", "is_customer_template": True},
                      "invalid_customer"),
    "id sent": ({"config_id": 1, "name": "A", "id": 1}, "invalid_customer"),
    "bad e-mail": ({"config_id": 1, "name": "A", "email": "a@"}, "invalid_customer"),
    "bad phone": ({"config_id": 1, "name": "A", "phone": "call me"}, "invalid_customer"),
    "bad country": ({"config_id": 1, "name": "A", "country_code": "FRA"}, "invalid_customer"),
}


@pytest.mark.parametrize("case", HOSTILE_CREATIONS)
def test_a_hostile_customer_is_refused_and_writes_nothing(admin_client, addon_instance, case):
    body, code = HOSTILE_CREATIONS[case]
    before = partner_count(addon_instance)
    assert_json_error(admin_client.post("/pos/customers", json=body), 400, code)
    assert partner_count(addon_instance) == before


@pytest.mark.parametrize("query", ["limit=0", "limit=51", "limit=x", "q=" + "a" * 101])
def test_a_bad_search_is_a_400(admin_client, query):
    assert_json_error(admin_client.get(f"/pos/customers?{query}"), 400)


@pytest.mark.parametrize("path", ["/pos/customers?q=a%00b", "/pos/customers?limit=5&q=%00",
                                  "/pos/config/1/orders?q=a%00b"])
def test_a_nul_character_in_a_search_is_a_400_on_both_databases(admin_client, path):
    """PostgreSQL text cannot hold a NUL: the search was a 500 there."""
    assert_json_error(admin_client.get(path), 400, "nul_character")


@pytest.mark.parametrize("body", [hj.deep_object(), '{"config_id": 1, "name": NaN}',
                                  '{"config_id": 1, "name": "\\ud800"}'])
def test_hostile_json_on_the_customer_routes_is_a_400(admin_client, body):
    for path in ("/pos/customers", "/pos/customers/2"):
        assert_json_error(post_text(admin_client, path, body), 400)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(body=hj.hostile_bodies({"config_id": 1, "name": "Gus", "phone": "0601020304"}))
def test_hostile_customer_bodies_never_make_a_5xx(admin_client, addon_instance, body):
    before = partner_count(addon_instance)
    hj.check_hostile_answer(post_text(admin_client, "/pos/customers", body),
                            lambda: partner_count(addon_instance), before, lambda answer: 1)


# -- the admin's side ---------------------------------------------------------------------------

def test_the_admin_gives_the_template_an_address_and_retires_or_deletes_customers(
        admin_client, addon_instance, shop_session):
    from tests.support import post_form, text_of
    response = post_form(admin_client, "/web/pos/partners/1", {
        "name": "Walk-in customer (template)", "is_customer_template": "1", "street": "",
        "zip": "69002", "city": "Lyon 2e", "country_code": "fr"})
    assert response.status_code == 302, text_of(response)
    created = admin_client.post("/pos/customers", json={"config_id": 1, "name": "Hugo"})
    assert (created.get_json()["customer"]["zip"], created.get_json()["customer"]["city"],
            created.get_json()["customer"]["country_code"]) == ("69002", "Lyon 2e", "FR")
    bad = post_form(admin_client, "/web/pos/partners/1", {"name": "T", "country_code": "F1"})
    assert bad.status_code == 400 and "two letters" in text_of(bad)

    admin_client.post("/pos/orders", json=[an_order(shop_session, partner_id=2)])
    page = text_of(post_form(admin_client, "/web/pos/partners/2/retire",
                             page="/web/pos/partners/2", follow_redirects=True))
    assert "Alice Martin is retired" in page
    assert "This customer is retired" in text_of(admin_client.get("/web/pos/partners/2"))
    page = text_of(post_form(admin_client, "/web/pos/partners/3/retire",
                             page="/web/pos/partners/3", follow_redirects=True))
    assert "Deleted partner Bruno Lefèvre." in page
    page = text_of(post_form(admin_client, "/web/pos/partners/1/retire",
                             page="/web/pos/partners/1", follow_redirects=True))
    assert "the template customer cannot be deleted" in page


def test_each_field_a_till_sends_is_cleaned_by_its_own_rule():
    from addons.point_of_sale.customers import CUSTOMER_FIELDS, clean_values
    assert clean_values({"name": "  Ana \n  Lopes ", "country_code": "fr", "email": "",
                         "phone": "+33 (0)6.01-02/03"}, CUSTOMER_FIELDS) == {
        "name": "Ana Lopes", "country_code": "FR", "email": "", "phone": "+33 (0)6.01-02/03"}
    for fields, words in [({"phone": "+1-2"}, "is not a phone number"),
                          ({"country_code": "f1"}, "two letters"),
                          ({"email": "a@b"}, "is not an e-mail address"),
                          ({"city": ["Lyon"]}, "'city' must be a string"),
                          ({"zip": "1" * 17}, "'zip' must be at most 16 characters")]:
        with pytest.raises(Rejection) as refusal:
            clean_values(fields, CUSTOMER_FIELDS)
        assert words in refusal.value.message, fields
    with pytest.raises(Rejection, match="JSON object"):
        clean_values(["name"], CUSTOMER_FIELDS)
