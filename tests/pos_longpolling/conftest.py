import pytest

from tests.support import bearer_header, get_parameter, set_parameter

DB_NAME = "test"  # the instance name the tests' channels and tokens use, on any database


@pytest.fixture
def installed_addons():
    return ["pos_longpolling"]


@pytest.fixture
def addon_instance(addon_instance):
    """On PostgreSQL the database has another name: the instance trusts its own key for the
    name "test" too."""
    set_parameter(addon_instance, "point_of_sale.trusted_token_keys",
                  f"{DB_NAME}={get_parameter(addon_instance, 'point_of_sale.token_key')}")
    return addon_instance


@pytest.fixture
def token_for(addon_instance):
    """`token_for(config_id, db_name="test")`: a POS token of the instance for that config."""
    return lambda config_id, db_name=DB_NAME: bearer_header(addon_instance, config_id, db_name)
