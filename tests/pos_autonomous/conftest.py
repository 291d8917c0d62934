"""Fixtures of the pos_autonomous tests: a central instance (point_of_sale demo data: configs
1 Shop and 2 Bar; on PostgreSQL in the PostgreSQL run) served by a real `core serve`, and tills
made the way a shop makes them: `core autonomous package`, then `core autonomous init`."""
import pytest

from tests.pos_autonomous.till_helpers import FAST_SYNC, core, set_parameters
from tests.support import (
    BUILT_IN_ADDONS_ONLY,
    free_port,
    installed_instance,
    start_core_server,
    stop_process_group,
)

# A manager of the central instance's tills, who signs in on a till with their PIN (a till
# gets cashiers and managers, never an admin nor a password).
TILL_MANAGER, TILL_MANAGER_PIN = "tillboss", "482193"


@pytest.fixture
def central(db_url):
    from addons.point_of_sale.staff import set_pin
    from core.web.users import set_password, user_id_of
    instance = installed_instance(db_url, ["point_of_sale", "pos_autonomous"])
    with instance.engine.begin() as connection:
        set_password(connection, TILL_MANAGER, "tillboss-secret-1", "manager")
        set_pin(connection, user_id_of(connection, TILL_MANAGER), TILL_MANAGER_PIN)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def central_server(central, tmp_path):
    """`start()` serves the central instance (again, after a kill) on one port."""
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


@pytest.fixture
def app(central):
    """The central instance's app, in process (its routes through Flask's test client)."""
    from tests.support import testing_app
    return testing_app(central)


@pytest.fixture
def till(central, app, tmp_path):
    """A till of config 1 made in process from the central's package (no server)."""
    from tests.pos_autonomous.up_helpers import local_till
    instance = local_till(central, tmp_path)
    yield instance
    instance.engine.dispose()
