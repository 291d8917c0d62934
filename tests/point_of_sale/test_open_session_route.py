"""POST /pos/config/<id>/open-session: a signed-in manager opens a session from the till's page;
a till's token and anonymous callers may not."""
from sqlalchemy import text


def sessions_of(instance, config_id):
    with instance.engine.connect() as connection:
        return connection.execute(text("SELECT name, state FROM point_of_sale_session "
                                       "WHERE config_id = :c"), {"c": config_id}).all()


def test_a_signed_in_manager_opens_the_session(addon_instance, admin_client):
    response = admin_client.post("/pos/config/2/open-session", json={})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert sessions_of(addon_instance, 2) == [("Bar/00001", "opened")]
    again = admin_client.post("/pos/config/2/open-session", json={})
    assert again.status_code == 200
    assert again.json["session_id"] == response.json["session_id"]  # still the one session


def test_a_tills_token_may_not_open_a_session(addon_instance, anonymous, token_for):
    response = anonymous.post("/pos/config/2/open-session", json={}, headers=token_for(2))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "manager_only"
    assert sessions_of(addon_instance, 2) == []


def test_an_anonymous_caller_gets_401(addon_instance, anonymous):
    response = anonymous.post("/pos/config/2/open-session", json={})
    assert response.status_code == 401
    assert response.json["error"]["message"]
    assert sessions_of(addon_instance, 2) == []


def test_an_unknown_config_is_404(admin_client):
    response = admin_client.post("/pos/config/99/open-session", json={})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_config"
