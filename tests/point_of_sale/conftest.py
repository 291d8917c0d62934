"""Fixtures for the point_of_sale tests: an instance of the built-in addons with demo data."""
import pytest

from core.addons import AddonCatalog
from core.instance import Instance
from core.web import create_app
from core.web.users import set_password

ADMIN_LOGIN, ADMIN_PASSWORD = "manager", "password123"


@pytest.fixture
def pos_instance(db_url):
    """point_of_sale installed with its demo data (configs 1 Shop and 2 Bar, products,
    partners); no session open yet."""
    instance = Instance(db_url, AddonCatalog())
    instance.install(["point_of_sale"], demo=True)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def shop_session(pos_instance):
    """The id of an opened session of config 1 (Shop)."""
    from addons.point_of_sale.sessions import open_session
    with pos_instance.engine.begin() as connection:
        return open_session(connection, 1)


@pytest.fixture
def pos_app(pos_instance):
    app = create_app(instance=pos_instance)
    with pos_instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    return app


@pytest.fixture
def signed_in_client(pos_app, pos_instance):
    """A test client carrying a signed-in user's cookie, as the POS page has."""
    from sqlalchemy import text
    with pos_instance.engine.connect() as connection:
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :login"),
                                    {"login": ADMIN_LOGIN})
    client = pos_app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client
