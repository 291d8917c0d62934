"""Fixtures of the pos_multi_session tests: a main instance (pos_multi_session with demo data:
configs 1 Shop and 2 Bar in the multi-session "Shop floor", both sessions opened) and, for the
two-instance tests, a separate sync server on another database."""
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update

from core.addons import AddonCatalog
from core.instance import Instance
from multi_session_helpers import (ADMIN_LOGIN, ADMIN_PASSWORD, BUILT_IN_ADDONS_ONLY,
                                   share_secret_and_origin)
from support import (installed_instance, signed_in_client, start_core_server,
                     stop_process_group, testing_app)

POS_TESTS = Path(__file__).resolve().parents[1] / "point_of_sale"
if str(POS_TESTS) not in sys.path:
    sys.path.append(str(POS_TESTS))



@pytest.fixture
def main_instance(db_url):
    from addons.point_of_sale.sessions import open_session
    instance = installed_instance(db_url, ["pos_multi_session"], ADMIN_LOGIN,
                                  admin_password=ADMIN_PASSWORD)
    with instance.engine.begin() as connection:
        open_session(connection, 1)
        open_session(connection, 2)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def main_app(main_instance):
    return testing_app(main_instance)


@pytest.fixture
def admin_client(main_app, main_instance):
    return signed_in_client(main_app, main_instance, ADMIN_LOGIN)


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
        share_secret_and_origin(sync, main_instance, main_url)
        servers.append(start_core_server(sync.url, tmp_path, env=BUILT_IN_ADDONS_ONLY))
        sync_url = servers[1].url
        with main_instance.engine.begin() as connection:
            connection.execute(update(MultiSession).values(sync_server=sync_url))
        yield TwoInstances(main_url, sync_url, main_instance, sync)
    finally:
        for server in servers:
            stop_process_group(server.process)
        sync.engine.dispose()
