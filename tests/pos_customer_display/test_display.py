"""The customer display over HTTP: what the till shows goes on the bus with its amounts, the
current state is kept for a display opened later, and hostile bodies get JSON errors."""
import json

from hypothesis import HealthCheck, given, settings

from tests import hostile_json as hj
from tests.support import json_error

ORDER = {"reference": "Order 00001-001-0001", "state": "open", "lines": [
    {"name": "Espresso", "qty": "2", "price_unit": "1.80", "tax_rate": "10.00"},
    {"name": "Croissant", "qty": "1", "price_unit": "1.60", "discount": "50",
     "tax_rate": "5.50"}]}


def test_what_the_till_shows_goes_on_the_bus_and_stays_for_a_display_opened_later(
        admin_client, addon_instance):
    assert admin_client.get("/pos/config/1/display").get_json() == {"seq": 0, "state": "idle"}
    shown = admin_client.post("/pos/config/1/display", json={"order": ORDER}).get_json()
    assert shown["seq"] == 1 and shown["total"] == "4.80"  # 3.96 + 0.84 (0.80 + 0.04 tax)
    assert [(line["name"], line["qty"], line["amount"]) for line in shown["lines"]] == [
        ("Espresso", "2", "3.96"), ("Croissant", "1", "0.84")]
    channel = json.dumps([addon_instance.db_name, "pos.customer_display", "1"],
                         separators=(",", ":"))
    answer = admin_client.post("/longpolling/poll", json={
        "channels": [channel], "last": 0, "options": {"timeout": 1}}).get_json()
    assert [n["message"]["seq"] for n in answer] == [1]
    assert answer[0]["message"]["lines"][1]["name"] == "Croissant"
    paid = admin_client.post("/pos/config/1/display", json={"order": {
        **ORDER, "state": "paid", "change": "5.2"}}).get_json()
    assert (paid["seq"], paid["state"], paid["change"]) == (2, "paid", "5.20")
    idle = admin_client.post("/pos/config/1/display", json={"order": None}).get_json()
    assert (idle["seq"], idle["state"]) == (3, "idle")
    assert admin_client.get("/pos/config/1/display").get_json() == idle


def test_the_display_page_needs_a_signed_in_till(admin_client, anonymous):
    page = admin_client.get("/pos/ui/1/display")
    assert page.status_code == 200 and b"pos.customer_display" in page.data
    assert anonymous.get("/pos/ui/1/display").status_code == 302
    assert admin_client.get("/pos/ui/99/display").status_code == 404


def test_the_display_speaks_the_tills_language_whoever_opened_it(admin_client):
    """The demo's Boutique (config 3) is fr-FR, Shop (config 1) en-US; the admin's own language
    (Accept-Language here) does not change what the shop's customers read."""
    french = admin_client.get("/pos/ui/3/display", headers={"Accept-Language": "en"})
    text = french.get_data(as_text=True)
    assert french.status_code == 200 and 'lang="fr-FR"' in text
    assert "Bienvenue" in text and 'data-thanks="Merci !"' in text
    assert 'data-your-change="Votre monnaie :"' in text
    english = admin_client.get("/pos/ui/1/display", headers={"Accept-Language": "fr"})
    text = english.get_data(as_text=True)
    assert "Welcome" in text and 'data-thanks="Thank you!"' in text


def test_refusals(app, admin_client, token_for):
    for body, code in [({}, "invalid_body"), ({"order": ORDER, "x": 1}, "invalid_body"),
                       ({"order": 5}, "invalid_field"),
                       ({"order": {**ORDER, "state": "gone"}}, "invalid_field"),
                       ({"order": {**ORDER, "lines": "x"}}, "invalid_field"),
                       ({"order": {**ORDER, "lines": [{"name": "x"}]}}, "invalid_field"),
                       ({"order": {**ORDER, "lines": [{"name": "x", "qty": "1e3",
                                                       "price_unit": "1"}]}}, "invalid_field"),
                       ({"order": {**ORDER, "lines": [{"name": 3, "qty": "1",
                                                       "price_unit": "1"}]}}, "invalid_field"),
                       ({"order": {**ORDER, "lines": [ORDER["lines"][0]] * 201}},
                        "invalid_field"),
                       ({"order": {**ORDER, "extra": 1}}, "invalid_field")]:
        json_error(admin_client.post("/pos/config/1/display", json=body), 400, code)
    json_error(admin_client.post("/pos/config/99/display", json={"order": None}), 404,
             "unknown_config")
    json_error(app.test_client().post("/pos/config/1/display", json={"order": None}), 401,
             "unauthorized")
    json_error(app.test_client().post("/pos/config/1/display", json={"order": None},
                                    headers=token_for(2)), 403, "forbidden")
    assert admin_client.get("/pos/config/1/display").get_json()["seq"] == 0


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=hj.hostile_bodies({"order": ORDER}))
def test_hostile_display_bodies_never_make_a_5xx(admin_client, addon_instance, body):
    response = admin_client.post("/pos/config/1/display", data=body,
                                 content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert set(response.get_json()) == {"error"}
