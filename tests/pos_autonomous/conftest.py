"""Fixtures of the pos_autonomous tests: a central instance (point_of_sale demo data: configs
1 Shop and 2 Bar; on PostgreSQL in the PostgreSQL run) served by a real `core serve`, and tills
made the way a shop makes them: `core autonomous package`, then `core autonomous init`."""
import hashlib
import os
import subprocess

import pytest
from sqlalchemy import select

from support import CORE_COMMAND, installed_instance, start_core_server, stop_process_group

ADMIN_LOGIN = "central-admin"
BUILT_IN_ADDONS_ONLY = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}
FAST_SYNC = {"pos_autonomous.retry_wait_ms": "50", "pos_autonomous.max_retry_wait_ms": "200",
             "pos_autonomous.sync_interval_ms": "50", "pos_autonomous.request_timeout_ms": "5000"}


def core(*args, check=True, timeout=120):
    """Run the real `core` command (built-in addons); return the CompletedProcess."""
    result = subprocess.run([CORE_COMMAND, *args], env=BUILT_IN_ADDONS_ONLY, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"core {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n"
                    f"{result.stderr}")
    return result


@pytest.fixture
def central(db_url):
    instance = installed_instance(db_url, ["point_of_sale", "pos_autonomous"], ADMIN_LOGIN)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def central_server(central, tmp_path):
    """`start()` serves the central instance (again, after a kill) on one port."""
    from support import free_port
    port = free_port()
    servers = []

    class Control:
        url = f"http://127.0.0.1:{port}"

        def start(self):
            servers.append(start_core_server(central.url, tmp_path, env=BUILT_IN_ADDONS_ONLY,
                                             port=port))
            return servers[-1]

        def kill(self):
            servers[-1].process.kill()
            servers[-1].process.wait()

        def log(self):
            return "".join(server.log() for server in servers)

    control = Control()
    control.start()
    yield control
    for server in servers:
        stop_process_group(server.process)


@pytest.fixture
def make_till(central, central_server, tmp_path):
    """`make_till(config_id, *package options)`: package on the central, init on a new SQLite
    till whose synchroniser uses short timings; return the till's database URL."""
    counter = iter(range(1, 100))

    def make(config_id=1, *options):
        number = next(counter)
        package = tmp_path / f"till{number}.package"
        core("--db", central.url, "autonomous", "package", str(config_id), "-o", str(package),
             "--server", central_server.url, *options)
        url = f"sqlite:///{tmp_path / f'till{number}.db'}"
        core("--db", url, "autonomous", "init", str(package))
        set_parameters(url, FAST_SYNC)
        return url
    return make


def set_parameters(url, values):
    from core.addons import AddonCatalog
    from core.instance import Instance
    instance = Instance(url, AddonCatalog())
    with instance.engine.begin() as connection:
        parameters = instance.parameters(connection)
        for key, value in values.items():
            parameters.set(key, value)
    instance.engine.dispose()


def till_state(url):
    """The till's status, as `core autonomous status --json` prints it."""
    from sqlalchemy import create_engine

    from addons.pos_autonomous import till_status
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return till_status(connection)
    finally:
        engine.dispose()


def table_digest(engine, table, where=None):
    """SHA-256 of a table's rows read through SQLAlchemy (Decimals, ordered by id)."""
    query = select(*table.columns).order_by(table.c.id)
    if where is not None:
        query = query.where(where)
    with engine.connect() as connection:
        rows = [tuple(str(value) for value in row) for row in connection.execute(query)]
    return hashlib.sha256(repr(rows).encode()).hexdigest(), len(rows)
