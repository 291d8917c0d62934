"""Fixtures of the pos_longpolling tests: the built-in addons with pos_longpolling (and so
point_of_sale) installed with demo data (configs 1 Shop, 2 Bar), an app, clients, tokens."""
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core.addons import AddonCatalog
from core.instance import Instance
from core.web import create_app
from core.web.users import set_password

# The POS page's browser fixtures (a real server, Debian's Chromium) live with point_of_sale's
# tests; make that folder importable here too.
POS_TESTS = Path(__file__).resolve().parents[1] / "point_of_sale"
if str(POS_TESTS) not in sys.path:
    sys.path.append(str(POS_TESTS))

ADMIN_LOGIN, ADMIN_PASSWORD = "bus-manager", "password123"


@pytest.fixture
def bus_instance(db_url):
    instance = Instance(db_url, AddonCatalog())
    instance.install(["pos_longpolling"], demo=True)
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def set_parameter(bus_instance):
    """Change a system parameter (then build the app: it reads them when built)."""
    def set_(key, value):
        with bus_instance.engine.begin() as connection:
            bus_instance.parameters(connection, bus_instance.plugin_manager()).set(key, value)
    return set_


@pytest.fixture
def make_bus_app(bus_instance):
    def make():
        app = create_app(instance=bus_instance)
        app.testing = True
        return app
    return make


@pytest.fixture
def bus_app(make_bus_app):
    return make_bus_app()


@pytest.fixture
def anonymous(bus_app):
    return bus_app.test_client()


@pytest.fixture
def signed_in(bus_app, bus_instance):
    """A test client with a signed-in user's cookie, as the POS page has."""
    with bus_instance.engine.connect() as connection:
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :login"),
                                    {"login": ADMIN_LOGIN})
    client = bus_app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


@pytest.fixture
def token_for(bus_instance):
    """`token_for(config_id)`: the Authorization header of a POS token for that config."""
    from addons.point_of_sale.tokens import issue_token

    def make(config_id):
        with bus_instance.engine.connect() as connection:
            secret = bus_instance.parameters(
                connection, bus_instance.plugin_manager()).get("core.secret_key")
        return {"Authorization": f"Bearer {issue_token(secret, config_id)}"}
    return make
