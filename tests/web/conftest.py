"""Fixtures of the web tests: apps built on the `instance` fixture, a signed-in test client, and
a real `core serve` process for the server and browser tests."""
import pytest

from core.web import create_app
from core.web.users import set_password
from support import start_core_server
from web_helpers import ADMIN_LOGIN, ADMIN_PASSWORD, scalar, stop_process_group


@pytest.fixture
def admin_user(instance):
    """The login and password of an admin of `instance`."""
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    return ADMIN_LOGIN, ADMIN_PASSWORD


@pytest.fixture
def signed_in(instance, admin_user):
    """Mark a Flask test client as signed in as the admin, through its session cookie.

    The sign-in form itself is tested in test_admin_http.py; checking the scrypt hash again for
    every other test would cost a fifth of a second each."""
    user_id = scalar(instance, "SELECT id FROM core_user WHERE login = :login", login=ADMIN_LOGIN)

    def sign(client):
        with client.session_transaction() as session:
            session["user_id"] = user_id
        return client
    return sign


@pytest.fixture
def make_app(instance):
    """Build the app of `instance` as it is now (after the installs the test made)."""
    def make():
        app = create_app(instance=instance)
        app.testing = True  # errors raise in the test instead of becoming a bare 500
        return app
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_client(app, signed_in):
    """A test client signed in as the admin."""
    return signed_in(app.test_client())


# -- a real server process ----------------------------------------------------------------

@pytest.fixture
def start_server(db_url, tmp_path):
    """Start `core --db <db_url> serve --port <free port> *args` in a session of its own, wait
    until it answers, and SIGTERM its process group at teardown."""
    servers = []

    def start(*args, env=None):
        servers.append(start_core_server(db_url, tmp_path, *args, env=env))
        return servers[-1]

    yield start
    for server in servers:
        stop_process_group(server.process)
