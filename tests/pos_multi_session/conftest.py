"""The pos_multi_session tests: a main instance (demo data: configs 1 Shop and 2 Bar in the
multi-session "Shop floor", both sessions opened) and, for the two-instance tests, a separate
sync server on another database."""
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from core.instance import Instance
from tests.pos_multi_session.multi_session_helpers import trust_tokens_and_origin
from tests.support import (
    BUILT_IN_ADDONS_ONLY,
    installed_instance,
    start_core_server,
    stop_process_group,
)


@pytest.fixture
def installed_addons():
    return ["pos_multi_session"]


@pytest.fixture
def addon_instance(addon_instance):
    """The plugin's instance with the sessions of Shop and Bar opened."""
    from addons.point_of_sale.sessions import open_session
    with addon_instance.engine.begin() as connection:
        open_session(connection, 1)
        open_session(connection, 2)
    return addon_instance


@dataclass
class TwoInstances:
    main_url: str
    sync_url: str
    main: Instance
    sync: Instance


@pytest.fixture
def main_and_sync_server(addon_instance, other_db_url, tmp_path):
    """`core serve` for the main instance and for a separate sync server (its own database,
    the main instance's secret, CORS for the main's origin); the multi-session syncs there."""
    from addons.pos_multi_session.models import MultiSession
    sync = installed_instance(other_db_url, ["pos_multi_session_sync"], demo=False)
    servers = []
    try:
        servers.append(start_core_server(addon_instance.url, tmp_path, env=BUILT_IN_ADDONS_ONLY))
        main_url = servers[0].url
        trust_tokens_and_origin(sync, addon_instance, main_url)
        servers.append(start_core_server(sync.url, tmp_path, env=BUILT_IN_ADDONS_ONLY))
        sync_url = servers[1].url
        with addon_instance.engine.begin() as connection:
            connection.execute(update(MultiSession).values(sync_server=sync_url))
        yield TwoInstances(main_url, sync_url, addon_instance, sync)
    finally:
        for server in servers:
            stop_process_group(server.process)
        sync.engine.dispose()
