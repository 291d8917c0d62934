"""Fixtures of the pos_multi_session tests: a main instance (pos_multi_session with demo data:
configs 1 Shop and 2 Bar in the multi-session "Shop floor", both sessions opened) and, for the
two-instance tests, a separate sync server on another database."""
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text, update

from core.addons import AddonCatalog
from core.instance import Instance
from core.web import create_app
from core.web.users import set_password
from support import start_core_server, stop_process_group

POS_TESTS = Path(__file__).resolve().parents[1] / "point_of_sale"
if str(POS_TESTS) not in sys.path:
    sys.path.append(str(POS_TESTS))

ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "password123"
BUILT_IN_ADDONS_ONLY = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}


def parameters(instance):
    """Read (get) and change (set, in a transaction of its own) the instance's parameters."""
    class Access:
        def get(self, key):
            with instance.engine.connect() as connection:
                return instance.parameters(connection, instance.plugin_manager()).get(key)

        def set(self, key, value):
            with instance.engine.begin() as connection:
                instance.parameters(connection, instance.plugin_manager()).set(key, value)
    return Access()


@pytest.fixture
def main_instance(db_url):
    from addons.point_of_sale.sessions import open_session
    instance = Instance(db_url, AddonCatalog())
    instance.install(["pos_multi_session"], demo=True)
    with instance.engine.begin() as connection:
        open_session(connection, 1)
        open_session(connection, 2)
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def main_app(main_instance):
    app = create_app(instance=main_instance)
    app.testing = True
    return app


@pytest.fixture
def admin_client(main_app, main_instance):
    with main_instance.engine.connect() as connection:
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = :login"),
                                    {"login": ADMIN_LOGIN})
    client = main_app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


@dataclass
class TwoInstances:
    main_url: str
    sync_url: str
    main: Instance
    sync: Instance


@pytest.fixture
def main_and_sync_server(main_instance, other_db_url, tmp_path):
    """`core serve` for the main instance and for a separate sync server (its own database,
    the main instance's secret, CORS for the main's origin); the multi-session syncs there."""
    from addons.pos_multi_session.models import MultiSession
    sync = Instance(other_db_url, AddonCatalog())
    sync.install(["pos_multi_session_sync"])
    servers = []
    try:
        servers.append(start_core_server(main_instance.url, tmp_path, env=BUILT_IN_ADDONS_ONLY))
        main_url = servers[0].url
        sync_params = parameters(sync)
        sync_params.set("core.secret_key", parameters(main_instance).get("core.secret_key"))
        sync_params.set("pos_longpolling.cors_origins", main_url)
        servers.append(start_core_server(sync.url, tmp_path, env=BUILT_IN_ADDONS_ONLY))
        sync_url = servers[1].url
        with main_instance.engine.begin() as connection:
            connection.execute(update(MultiSession).values(sync_server=sync_url))
        yield TwoInstances(main_url, sync_url, main_instance, sync)
    finally:
        for server in servers:
            stop_process_group(server.process)
        sync.engine.dispose()
