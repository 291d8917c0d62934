"""Fixtures and helpers of the POS page's browser tests: a database with point_of_sale (demo data,
session 1 opened, an admin), a real `core serve` process that can be stopped and started again on
the same port (an outage the page lives through), and a headless Chromium (Debian's, never a
downloaded one) driven by Playwright."""
import os
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from core.addons import AddonCatalog
from core.instance import Instance
from core.web.users import set_password
from support import free_port, stop_process_group

REPO = Path(__file__).resolve().parents[2]
ADDONS = REPO / "addons"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]
CORE_COMMAND = str(Path(sys.executable).with_name("core"))  # the virtualenv's `core` script
ADMIN_LOGIN, ADMIN_PASSWORD = "admin", "password123"
SERVER_START_TIMEOUT = 20  # seconds

# Throwaway addons the tests install beside point_of_sale, written into the test's tmp_path.
STAND_IN_ADDONS = {
    # An addon extending the page as docs/pos_page.md says: a module and a stylesheet.
    "pos_test_extension": {
        "__manifest__.py": """\
            {"name": "POS page extension (test)", "depends": ["point_of_sale"]}
            """,
        "hooks.py": """\
            from flask import Blueprint

            from core import hookimpl

            blueprint = Blueprint("pos_test_extension", __name__, static_folder="static",
                                  url_prefix="/pos_test_extension")


            @hookimpl
            def register_routes():
                return [blueprint]


            @hookimpl
            def register_assets(page):
                if page != "pos":
                    return []
                return ["/pos_test_extension/static/extension.js?v=1",
                        "/pos_test_extension/static/extension.css"]
            """,
        "static/extension.js": """\
            const pos = window.comptoirPos;
            const seen = window.extensionSeen = { loaded: null, changed: 0, pushed: [] };
            pos.addEventListener("pos:loaded", (event) => { seen.loaded = event.detail.config.name; });
            pos.addEventListener("pos:order-changed", () => { seen.changed += 1; });
            pos.addEventListener("pos:before-push", (event) => {
              for (const order of event.detail.orders) {
                order.extension_note = "added by pos_test_extension";
                seen.pushed.push(order.uuid);
              }
            });
            pos.ready.then(() => pos.addButton("Extension", (order) => {
              pos.blockUi(`Blocked by the extension on ${order.reference}`);
            }));
            """,
        "static/extension.css": """\
            .pos-header { border-bottom: 4px solid rgb(200, 30, 30); }
            """,
    },
}


def write_stand_in_addons(folder, names):
    """Write the named STAND_IN_ADDONS under `folder`, an addons path entry of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    for name in names:
        for relative, source in {"__init__.py": "", **STAND_IN_ADDONS[name]}.items():
            path = folder / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))


# -- the database -------------------------------------------------------------------------------

@dataclass
class PosDatabase:
    url: str
    addons_path: list = field(default_factory=list)

    def scalar(self, sql, **params):
        instance = Instance(self.url, AddonCatalog([], entry_points=False))
        try:
            with instance.engine.connect() as connection:
                return connection.scalar(text(sql), params)
        finally:
            instance.engine.dispose()

    def execute(self, sql, **params):
        instance = Instance(self.url, AddonCatalog([], entry_points=False))
        try:
            with instance.engine.begin() as connection:
                connection.execute(text(sql), params)
        finally:
            instance.engine.dispose()

    def order_count(self, uuid):
        return self.scalar("SELECT count(*) FROM point_of_sale_order WHERE uuid = :uuid", uuid=uuid)


def prepare_database(db_url, extra_addons=None):
    """point_of_sale with its demo data, config 1's session opened, and the admin user.
    `extra_addons`: a folder of further addons, all of which are installed too."""
    roots = [ADDONS]
    path = [str(ADDONS)]
    if extra_addons is not None:
        roots.append(extra_addons)
        path.append(str(extra_addons))
    instance = Instance(db_url, AddonCatalog(roots, entry_points=False))
    try:
        instance.init()
        instance.install(["point_of_sale"], demo=True)
        if extra_addons is not None:
            instance.install([p.name for p in extra_addons.iterdir()
                              if (p / "__manifest__.py").exists()])
        from addons.point_of_sale import sessions
        with instance.engine.begin() as connection:
            sessions.open_session(connection, 1)
            set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    finally:
        instance.engine.dispose()
    return PosDatabase(db_url, path)


# -- a server that can go down and come back on the same port ---------------------------------


class PosServer:
    """`core --db URL serve --port PORT` in a process group of its own."""

    def __init__(self, database, log_folder):
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_folder = log_folder
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log_path = self.log_folder / f"server-{self.port}-{self.starts}.log"
        env = {**os.environ, "CORE_ADDONS_PATH": os.pathsep.join(self.database.addons_path),
               "CORE_LOAD_ENTRY_POINTS": "0"}
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block it
            self.process = subprocess.Popen(
                [CORE_COMMAND, "--db", self.database.url, "serve", "--port", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n"
                            f"{log_path.read_text(errors='replace')}")
            try:
                requests.get(self.url + "/web/login", timeout=1)
                return self
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer within {SERVER_START_TIMEOUT} s:\n"
                                f"{log_path.read_text(errors='replace')}")
                time.sleep(0.1)

    def stop(self):
        """SIGTERM the process group, SIGKILL if it lingers; the port is then free again."""
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process)


@pytest.fixture
def make_pos_server(db_url, tmp_path):
    """`make_pos_server(*stand_in_addons)`: a started server on a database prepared by
    `prepare_database`, with those STAND_IN_ADDONS installed too. Stopped at teardown."""
    servers = []

    def make(*stand_ins):
        extra = None
        if stand_ins:
            # A folder of its own: the catalog then forgets another test's imported copy.
            extra = tmp_path / f"pos_test_addons_{uuid.uuid4().hex[:8]}"
            write_stand_in_addons(extra, stand_ins)
        server = PosServer(prepare_database(db_url, extra_addons=extra), tmp_path)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


# -- the browser ----------------------------------------------------------------------------

@contextmanager
def tablet_contexts(count):
    """`count` fresh Chromium contexts (each its own IndexedDB, localStorage and cookies, as
    separate tablets) of a tablet's size, from Debian's Chromium (never a downloaded one)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y "
                    "chromium); these tests never download a browser")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            contexts = [browser.new_context(viewport={"width": 1100, "height": 760})
                        for _ in range(count)]
            for context in contexts:
                context.set_default_timeout(5000)
                context.set_default_navigation_timeout(10000)
            yield contexts
        finally:
            browser.close()


@pytest.fixture
def browser_context():
    """A fresh Chromium context of a tablet's size."""
    with tablet_contexts(1) as (context,):
        yield context


def watch_errors(page):
    """Collect uncaught errors of the page, to assert there were none."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
