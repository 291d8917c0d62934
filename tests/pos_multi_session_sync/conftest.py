"""Fixtures of the pos_multi_session_sync tests: the sync server installed alone (it brings
pos_longpolling and point_of_sale, with their demo configs 1 Shop and 2 Bar), an app, clients
signed in or not, POS tokens."""
import pytest

from support import (bearer_header, installed_instance, set_parameter as store_parameter,
                     signed_in_client, testing_app)

ADMIN_LOGIN = "sync-manager"


@pytest.fixture
def sync_instance(db_url):
    instance = installed_instance(db_url, ["pos_multi_session_sync"], ADMIN_LOGIN)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def set_parameter(sync_instance):
    """Change a system parameter (then build the app: parameters are read when it is built)."""
    return lambda key, value: store_parameter(sync_instance, key, value)


@pytest.fixture
def make_sync_app(sync_instance):
    return lambda: testing_app(sync_instance)


@pytest.fixture
def sync_app(make_sync_app):
    return make_sync_app()


@pytest.fixture
def anonymous(sync_app):
    return sync_app.test_client()


@pytest.fixture
def signed_in(sync_app, sync_instance):
    """A client with a signed-in user's cookie (the POS page's, and the admin pages')."""
    return signed_in_client(sync_app, sync_instance, ADMIN_LOGIN)


@pytest.fixture
def token_for(sync_instance):
    """`token_for(config_id)`: the Authorization header of a POS token for that config."""
    return lambda config_id: bearer_header(sync_instance, config_id)
