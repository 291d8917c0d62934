"""Closing a session tells its tills on the bus when pos_longpolling is installed (the page then
blocks within two seconds), once the closing has committed; without the bus nothing is sent."""
import json

from click.testing import CliRunner
from sqlalchemy import text

from core.cli import cli
from tests.support import installed_instance, post_form, signed_in_client
from tests.support import testing_app as app_of


def bus_messages(instance):
    with instance.engine.connect() as connection:
        return [(json.loads(channel), json.loads(message)) for channel, message in connection.execute(
            text("SELECT channel, message FROM pos_longpolling_message ORDER BY id"))]


def close_with_the_cli(instance, config_id):
    env = {"CORE_ADDONS_PATH": str(instance.catalog.get("point_of_sale").path.parent)}
    result = CliRunner().invoke(cli, ["--db", instance.url, "pos", "close", str(config_id)],
                                env=env)
    assert result.exit_code == 0, result.output
    return int(result.output.strip())


def test_hook_pos_session_closed_committed_sends_the_state_on_the_configs_channel(db_url):
    from addons.point_of_sale import open_session
    instance = installed_instance(db_url, ["pos_check_session_state", "pos_longpolling"])
    try:
        with instance.engine.begin() as connection:
            open_session(connection, 1)
        session_id = close_with_the_cli(instance, 1)
        assert bus_messages(instance) == [
            ([instance.db_name, "pos.session_state", "1"],
             {"session_id": session_id, "name": "Shop/00001", "state": "closed"})]
    finally:
        instance.engine.dispose()


def test_closing_from_the_admin_sends_it_too(db_url):
    from addons.point_of_sale import open_session
    instance = installed_instance(db_url, ["pos_check_session_state", "pos_longpolling"])
    try:
        with instance.engine.begin() as connection:
            session_id = open_session(connection, 2)
        client = signed_in_client(app_of(instance), instance)
        response = post_form(client, "/web/pos/configs/2/close-session", page="/web/pos/configs")
        assert response.status_code in (302, 303), response.get_data(as_text=True)
        assert [message for _channel, message in bus_messages(instance)] == [
            {"session_id": session_id, "name": "Bar/00001", "state": "closed"}]
    finally:
        instance.engine.dispose()


def test_without_the_bus_closing_still_works(addon_instance):
    from addons.point_of_sale import open_session
    with addon_instance.engine.begin() as connection:
        open_session(connection, 1)
    close_with_the_cli(addon_instance, 1)
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT state FROM point_of_sale_session")) == "closed"


def test_a_till_with_a_pos_token_may_poll_its_session_state_channel(db_url):
    """A till holding only a POS token (no cookie) reads its own config's session-state channel,
    not another config's."""
    from tests.support import bearer_header
    instance = installed_instance(db_url, ["pos_check_session_state", "pos_longpolling"])
    try:
        client = app_of(instance).test_client()

        def poll(config_id):
            channel = json.dumps([instance.db_name, "pos.session_state", str(config_id)])
            return client.post("/longpolling/poll", headers=bearer_header(instance, 1),
                               json={"channels": [channel], "last": 0,
                                     "options": {"timeout": 0.1}})

        own = poll(1)
        assert own.status_code == 200, own.get_data(as_text=True)
        other = poll(2)
        assert other.status_code == 403, other.get_data(as_text=True)
        assert other.get_json()["error"]["code"]
    finally:
        instance.engine.dispose()
