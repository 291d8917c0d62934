"""Fixtures of the pos_multi_session_sync tests: the sync server installed alone (it brings
pos_longpolling and point_of_sale, with their demo configs 1 Shop and 2 Bar), an app, clients
signed in or not, POS tokens."""
import pytest
from sqlalchemy import text

from core.addons import AddonCatalog
from core.instance import Instance
from core.web import create_app
from core.web.users import set_password

ADMIN_LOGIN, ADMIN_PASSWORD = "sync-manager", "password123"


@pytest.fixture
def sync_instance(db_url):
    instance = Instance(db_url, AddonCatalog())
    instance.install(["pos_multi_session_sync"], demo=True)
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def set_parameter(sync_instance):
    """Change a system parameter (then build the app: parameters are read when it is built)."""
    def set_(key, value):
        with sync_instance.engine.begin() as connection:
            sync_instance.parameters(connection, sync_instance.plugin_manager()).set(key, value)
    return set_


@pytest.fixture
def make_sync_app(sync_instance):
    def make():
        app = create_app(instance=sync_instance)
        app.testing = True
        return app
    return make


@pytest.fixture
def sync_app(make_sync_app):
    return make_sync_app()


@pytest.fixture
def anonymous(sync_app):
    return sync_app.test_client()


@pytest.fixture
def signed_in(sync_app, sync_instance):
    """A client with a signed-in user's cookie (the POS page's, and the admin pages')."""
    with sync_instance.engine.connect() as connection:
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :login"),
                                    {"login": ADMIN_LOGIN})
    client = sync_app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


@pytest.fixture
def token_for(sync_instance):
    """`token_for(config_id)`: the Authorization header of a POS token for that config."""
    from addons.point_of_sale.tokens import issue_token

    def make(config_id):
        with sync_instance.engine.connect() as connection:
            secret = sync_instance.parameters(
                connection, sync_instance.plugin_manager()).get("core.secret_key")
        return {"Authorization": f"Bearer {issue_token(secret, config_id)}"}
    return make
