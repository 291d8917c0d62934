"""Fixtures of the pos_longpolling tests: the built-in addons with pos_longpolling (and so
point_of_sale) installed with demo data (configs 1 Shop, 2 Bar), an app, clients, tokens."""
import sys
from pathlib import Path

import pytest

from support import (bearer_header, installed_instance, set_parameter as store_parameter,
                     signed_in_client, testing_app)

# The POS page's browser fixtures (a real server, Debian's Chromium) live with point_of_sale's
# tests; make that folder importable here too.
POS_TESTS = Path(__file__).resolve().parents[1] / "point_of_sale"
if str(POS_TESTS) not in sys.path:
    sys.path.append(str(POS_TESTS))

ADMIN_LOGIN = "bus-manager"


@pytest.fixture
def bus_instance(db_url):
    instance = installed_instance(db_url, ["pos_longpolling"], ADMIN_LOGIN)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def set_parameter(bus_instance):
    """Change a system parameter (then build the app: it reads them when built)."""
    return lambda key, value: store_parameter(bus_instance, key, value)


@pytest.fixture
def make_bus_app(bus_instance):
    return lambda: testing_app(bus_instance)


@pytest.fixture
def bus_app(make_bus_app):
    return make_bus_app()


@pytest.fixture
def anonymous(bus_app):
    return bus_app.test_client()


@pytest.fixture
def signed_in(bus_app, bus_instance):
    """A test client with a signed-in user's cookie, as the POS page has."""
    return signed_in_client(bus_app, bus_instance, ADMIN_LOGIN)


@pytest.fixture
def token_for(bus_instance):
    """`token_for(config_id)`: the Authorization header of a POS token for that config."""
    return lambda config_id: bearer_header(bus_instance, config_id)
