"""point_of_sale's tests run with point_of_sale alone (the plugin's default `installed_addons`)."""
import pytest

from tests.browser import PosServer
from tests.point_of_sale.every_addon import every_addon_database


@pytest.fixture
def shop_session(addon_instance):
    """The id of an opened session of config 1 (Shop)."""
    from addons.point_of_sale.sessions import open_session
    with addon_instance.engine.begin() as connection:
        return open_session(connection, 1)



@pytest.fixture
def every_addon_server(db_url, tmp_path):
    server = PosServer(every_addon_database(db_url), tmp_path)
    yield server.start()
    server.stop()
