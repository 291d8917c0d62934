"""Customer changes from autonomous tills stay within their scope on the central instance
(issue #22 item 3): a till abandons (POST /pos_autonomous/customers/<id>/delete) only a
customer it created itself, within point_of_sale.customer_abandon_seconds; its edits are limited
to the fields a till may edit and recorded with the till."""
from sqlalchemy import func, select, text

from addons.point_of_sale import Partner
from addons.pos_autonomous.central.tills import register_till
from tests.support import set_parameter
from tests.support import testing_app as built_app


def partner_count(instance):
    with instance.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Partner))


def changes(instance, partner_id):
    with instance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT kind, source, fields FROM point_of_sale_customer_change "
            "WHERE partner_id = :id ORDER BY id"), {"id": partner_id})]


def test_a_till_abandons_only_its_own_recent_creations_and_its_edits_are_recorded(central):
    app = built_app(central)
    with central.engine.begin() as connection:
        shop_id, shop = register_till(connection, 1, "Shop till")
        bar_id, bar = register_till(connection, 2, "Bar till")
    client = app.test_client()

    def call(path, token, body=None):
        return client.post(f"/pos_autonomous/customers{path}", json=body or {},
                           headers={"Authorization": f"Bearer {token}"})

    created = call("", shop, {"values": {"name": "Gus"}})
    assert created.status_code == 200, created.get_json()
    partner_id = created.get_json()["customer"]["id"]
    before = partner_count(central)
    for path, token in [(f"/{partner_id}/delete", bar),  # another till's creation
                        ("/2/delete", shop)]:  # a customer no till created (demo Alice)
        refused = call(path, token)
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["error"]["code"] == "not_your_creation"
    assert partner_count(central) == before

    edited = call(f"/{partner_id}", bar, {"values": {"email": "gus@example.com"}})
    assert edited.status_code == 200, edited.get_json()
    renamed = call(f"/{partner_id}", bar, {"values": {"name": "Not Gus"}})
    assert renamed.status_code == 400  # a till edits phone and e-mail only

    set_parameter(central, "point_of_sale.customer_abandon_seconds", 0)
    late = call(f"/{partner_id}/delete", shop)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "abandon_too_late"
    set_parameter(central, "point_of_sale.customer_abandon_seconds", 600)
    done = call(f"/{partner_id}/delete", shop)
    assert done.get_json() == {"partner_id": partner_id, "outcome": "deleted"}
    assert changes(central, partner_id) == [
        ("created", f"autonomous_till:{shop_id}", ""),
        ("edited", f"autonomous_till:{bar_id}", '{"email": "gus@example.com"}'),
        ("abandoned", f"autonomous_till:{shop_id}", "")]
