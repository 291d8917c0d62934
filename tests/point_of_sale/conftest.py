"""point_of_sale's tests run with point_of_sale alone (the plugin's default `installed_addons`)."""
import pytest


@pytest.fixture
def shop_session(addon_instance):
    """The id of an opened session of config 1 (Shop)."""
    from addons.point_of_sale.sessions import open_session
    with addon_instance.engine.begin() as connection:
        return open_session(connection, 1)

