"""The fixtures every test folder uses, registered once by tests/conftest.py (`pytest_plugins`);
tests ask for them by name and never import them.

Databases: tests run on SQLite by default; set CORE_TEST_DB to a PostgreSQL URL (e.g.
postgresql://postgres@127.0.0.1:5432/test) to run the same suite there: each test then gets a
database of its own, created from that server and dropped afterwards.

A folder testing a built-in addon says which addons its tests run with, and gets an installed
instance (demo data, the admin ADMIN_LOGIN), its app, clients, tokens and parameters:

    # tests/my_addon/conftest.py
    @pytest.fixture
    def installed_addons():
        return ["my_addon"]

    # tests/my_addon/test_routes.py
    def test_the_route_answers(admin_client):
        assert admin_client.get("/my_addon/thing").status_code == 200
"""
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.addons import AddonCatalog
from core.db import resolve_url
from core.instance import Instance
from tests.browser import SHARED_BROWSER, tablet_contexts
from tests.support import (
    bearer_header,
    installed_instance,
    signed_in_client,
    start_core_server,
    stop_process_group,
    testing_app,
)
from tests.support import set_parameter as store_parameter

FIXTURE_ADDONS = Path(__file__).resolve().parent / "fixture_addons"

# Never load third-party addons from installed packages, and only the throwaway test addons.
os.environ["CORE_LOAD_ENTRY_POINTS"] = "0"
os.environ["CORE_ADDONS_PATH"] = str(FIXTURE_ADDONS)


def fixture_catalog():
    """The kernel tests' throwaway addons (tests/fixture_addons), and no others."""
    return AddonCatalog([FIXTURE_ADDONS], entry_points=False)


def fresh_database(tmp_path, stem):
    """Yield the URL of a fresh, empty database (a SQLite file under tmp_path, or a PostgreSQL
    database of its own when CORE_TEST_DB is set, dropped afterwards)."""
    server = os.environ.get("CORE_TEST_DB")
    if not server:
        yield f"sqlite:///{tmp_path / (stem + '.db')}"
        return
    server_url = make_url(resolve_url(server))
    name = f"core_{stem}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# -- databases and the kernel's instance ----------------------------------------------------------

@pytest.fixture
def db_url(tmp_path):
    """A fresh, empty database URL for one test."""
    yield from fresh_database(tmp_path, "test")


@pytest.fixture
def other_db_url(tmp_path):
    """A second fresh database, for a second instance (say, a separate sync server)."""
    yield from fresh_database(tmp_path, "other")


@pytest.fixture
def third_db_url(tmp_path):
    """A third fresh database (say, a second main instance sharing a sync server)."""
    yield from fresh_database(tmp_path, "third")


@pytest.fixture
def instance(db_url):
    """An initialised instance whose available addons are the kernel tests' throwaway addons."""
    inst = Instance(db_url, fixture_catalog())
    inst.init()
    yield inst
    inst.engine.dispose()


# -- an instance of built-in addons, its app and clients --------------------------------------

@pytest.fixture
def installed_addons():
    """The built-in addons `addon_instance` installs: a folder's conftest.py overrides it."""
    return ["point_of_sale"]


@pytest.fixture
def addon_instance(db_url, installed_addons):
    """`installed_addons` and what they depend on, with demo data (point_of_sale's configs
    1 Shop and 2 Bar, no session open) and the admin ADMIN_LOGIN / ADMIN_PASSWORD."""
    instance = installed_instance(db_url, installed_addons)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def make_app(addon_instance):
    """Build the app as the instance is now (apps read system parameters when built)."""
    return lambda: testing_app(addon_instance)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def anonymous(app):
    """A test client signed in as nobody."""
    return app.test_client()


@pytest.fixture
def admin_client(app, addon_instance):
    """A test client with the admin's session cookie (the POS page's, and the admin pages')."""
    return signed_in_client(app, addon_instance)


@pytest.fixture
def set_parameter(addon_instance):
    """`set_parameter(key, value)`: change a system parameter (then build the app)."""
    return lambda key, value: store_parameter(addon_instance, key, value)


@pytest.fixture
def token_for(addon_instance):
    """`token_for(config_id, db_name=None, multi_sessions=None)`: the Authorization header of
    a POS token of the instance for that config (support.bearer_header)."""
    return lambda config_id, db_name=None, multi_sessions=None: bearer_header(
        addon_instance, config_id, db_name, multi_sessions)


# -- real server processes and browsers --------------------------------------------------------

@pytest.fixture
def start_server(db_url, tmp_path):
    """`start_server(*args, env=None)`: `core --db <db_url> serve --port <free port> *args` in a
    session of its own, started once it answers; its process group is stopped at teardown. The
    database is initialised first (`core serve` refuses a database that does not exist)."""
    servers = []

    def start(*args, env=None):
        initialised = Instance(db_url, fixture_catalog())
        initialised.init()
        initialised.engine.dispose()
        servers.append(start_core_server(db_url, tmp_path, *args, env=env))
        return servers[-1]

    yield start
    for server in servers:
        stop_process_group(server.process)


def pytest_sessionfinish(session):
    SHARED_BROWSER.close()


@pytest.fixture
def browser_context():
    """A fresh Chromium context of a tablet's size (tests/browser.py)."""
    with tablet_contexts(1) as (context,):
        yield context
