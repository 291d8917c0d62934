"""What the autonomous till benches (autonomous.py, autonomous_push.py) share: scratch databases,
a central instance under `core serve`, and a till made from its package."""
import tempfile
import urllib.request
import uuid
from pathlib import Path

from bench_support import CORE, ServerProcess
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from addons.pos_autonomous.central.package import make_package
from addons.pos_autonomous.till.install import init_till
from core.addons import AddonCatalog
from core.instance import Instance


class Scratch:
    """Databases for one run: SQLite files in a temporary folder, or PostgreSQL databases
    (created on the server `postgres` names, dropped by `drop`). Tills are SQLite files."""

    def __init__(self, postgres, prefix):
        self.prefix = prefix
        self.folder = Path(tempfile.mkdtemp(prefix=f"bench-{prefix}-"))
        self.postgres = make_url(postgres) if postgres else None
        self.created = []

    def central_url(self, name):
        if not self.postgres:
            return self.till_url(name)
        database = f"bench_{self.prefix}_{name}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(self.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        self.created.append(database)
        return self.postgres.set(database=database).render_as_string(hide_password=False)

    def till_url(self, name):
        return f"sqlite:///{self.folder / (name + '.db')}"

    def drop(self):
        if not self.created:
            return
        admin = create_engine(self.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for database in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def make_central(url, demo=False):
    """A central instance with point_of_sale and pos_autonomous: point_of_sale's demo data, or
    only POS config 1 ("Shop")."""
    central = Instance(url, AddonCatalog())
    central.install(["point_of_sale", "pos_autonomous"], demo=demo)
    if not demo:
        with central.engine.begin() as connection:
            connection.execute(text("INSERT INTO point_of_sale_config (id, name, active) "
                                    "VALUES (1, 'Shop', true)"))
    central.engine.dispose()  # the server attaches the change tracking when it starts
    return central


def serve(central, folder, name="central"):
    """`core serve` on `central`, logging into `folder`."""
    def ready(port):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=1)
    return ServerProcess(name, [CORE, "--db", central.url, "serve"],
                         folder / f"{name}-{uuid.uuid4().hex[:6]}.log", ready)


def make_till(central, server, scratch, name):
    """A till of config 1 of `central`, made from its package as `autonomous init` does."""
    package = scratch.folder / f"{name}.package"
    make_package(central, 1, package, f"http://127.0.0.1:{server.port}")
    till = Instance(scratch.till_url(name), AddonCatalog())
    init_till(till, package)
    return till
