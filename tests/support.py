"""Helpers shared by the test folders (`from tests.support import ...`): reading admin pages,
posting forms with their CSRF token, reading the database directly, running server processes,
and instances of the built-in addons. The fixtures built on them are in tests/plugin.py."""
import atexit
import html
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

CORE_COMMAND = str(Path(sys.executable).with_name("core"))  # the virtualenv's `core` script
# How long a started `core serve` may take to answer (seconds): a deadline, not a wait (the
# tests go on as soon as it answers); a loaded machine may need more than the default.
SERVER_START_TIMEOUT = float(os.environ.get("CORE_TEST_SERVER_START_TIMEOUT", "60"))
BUILT_IN_ADDONS = Path(__file__).resolve().parents[1] / "addons"
# Servers started by the tests see the built-in addons only, not the kernel tests' fixtures.
BUILT_IN_ADDONS_ONLY = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}
ADMIN_LOGIN, ADMIN_PASSWORD = "manager", "password123"  # every test instance's admin (not the demo's)


def json_error(response, status, code):
    """The message of a JSON error answer `{"error": {"code", "message"}}` of that status and
    code (and nothing else in the body)."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = json.loads(response.get_data(as_text=True))
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    return body["error"]["message"]


def csrf_token(page_html):
    """The value of the hidden `csrf_token` input of a rendered admin page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found, "the page has no csrf_token input"
    return found.group(1)


def post_form(client, path, data=None, page=None, **kwargs):
    """POST a form with the CSRF token of `page` (default: `path` itself) as the browser does."""
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def text_of(response):
    """The page's text with HTML entities decoded, to compare with messages."""
    return html.unescape(response.get_data(as_text=True))


def scalar(instance, sql, **params):
    """One value read straight from the database (not through the code under test)."""
    with instance.engine.connect() as connection:
        return connection.scalar(text(sql), params)


def _test_ports():
    """Ports below the kernel's ephemeral range, which no outgoing connection takes: a server
    stopped and started again on its port (an outage) finds it free. CI runs the SQLite and the
    PostgreSQL suites at once: each draws from its own half."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    if low < 16000:
        low = 32768  # an unusual range: collide with it rarely rather than not at all
    half = (low - 12000) // 2
    start = 12000 + (half if os.environ.get("CORE_TEST_DB") else 0)
    return range(start, start + half)


TEST_PORTS = _test_ports()
_ports_given = set()
_port_picker = random.Random()  # not the global one, which a test may have seeded


def free_port():
    """A free loopback port, never one this run handed out before (a stopped server keeps its
    port for when it starts again)."""
    while True:
        port = _port_picker.choice(TEST_PORTS)
        if port in _ports_given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port


def table_row(page_html, row_id):
    """The cell texts (tags dropped, spaces collapsed) of the table row `<tr id="row_id">`."""
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', page_html, re.S)
    assert found, f"no row {row_id!r} on the page"
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]


def input_value(page_html, name):
    """The value attribute of the input called `name`."""
    found = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page_html, re.S)
    assert found, f"no input {name!r} on the page"
    value = re.search(r'\bvalue="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else None


def is_checked(page_html, name):
    found = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page_html, re.S)
    assert found, f"no input {name!r} on the page"
    return re.search(r"\schecked\b", found.group(0)) is not None


def stop_process_group(process):
    """SIGTERM the process group (the server and its gunicorn workers), SIGKILL if it lingers."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_core_server(db_url, log_folder, *args, env=None, port=None, cwd=None):
    """Start `core --db <db_url> serve --port <port, or a free one> *args` in a session of its
    own (stop it with `stop_process_group(server.process)`), in folder `cwd` (else this one),
    and wait until it answers."""
    port = port or free_port()
    log_path = log_folder / f"server-{port}.log"
    restarts = 1
    while log_path.exists():  # the same port again: keep the earlier run's log
        restarts += 1
        log_path = log_folder / f"server-{port}-{restarts}.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block it
        process = subprocess.Popen(
            [CORE_COMMAND, "--db", db_url, "serve", "--port", str(port), *args],
            env=env or os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, cwd=cwd)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            stop_process_group(process)
            pytest.fail(f"the server exited with {process.returncode}:\n{server.log()}")
        try:
            requests.get(server.url + "/web/login", timeout=1)
            return server
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                stop_process_group(process)
                pytest.fail(f"the server did not answer within {SERVER_START_TIMEOUT} s:\n"
                            f"{server.log()}")
            time.sleep(0.1)


# -- instances of built-in addons, their apps and clients --------------------------------------

def installed_instance(db_url, addons, demo=True):
    """An Instance of the built-in addons with `addons` installed (demo data by default) and the
    admin ADMIN_LOGIN; dispose of its engine at teardown.

    Installing runs every migration and demo loader (about 2 s, more on PostgreSQL), so each
    set of addons is installed once per test run into a template database, and each test gets a
    copy of it (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL) whose
    generated secrets are then drawn afresh: two instances of one test never share a key."""
    from core.addons import AddonCatalog
    from core.instance import Instance
    template = INSTALLED_TEMPLATES.template(db_url, tuple(sorted(addons)), demo)
    clone_database(template, db_url)
    instance = Instance(db_url, AddonCatalog())
    regenerate_secrets(instance)
    return instance


def _install_fresh(db_url, addons, demo):
    from core.addons import AddonCatalog
    from core.instance import Instance
    from core.web.users import set_password
    instance = Instance(db_url, AddonCatalog())
    instance.install(list(addons), demo=demo)
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    instance.engine.dispose()


class InstalledTemplates:
    """One installed database per (backend, addons, demo), made on first use, dropped at exit."""

    def __init__(self):
        self.made = {}  # key -> template URL
        self.folder = None

    def template(self, db_url, addons, demo):
        url = make_url(db_url)
        server = url.set(database="") if url.get_backend_name() != "sqlite" else None
        key = (str(server), addons, demo)
        if key not in self.made:
            self.made[key] = self._make(url, addons, demo)
        return self.made[key]

    def _make(self, url, addons, demo):
        stem = f"core_template_{os.getpid()}_{len(self.made)}"
        if url.get_backend_name() == "sqlite":
            if self.folder is None:
                self.folder = tempfile.mkdtemp(prefix="core-templates-")
                atexit.register(shutil.rmtree, self.folder, True)
            template = f"sqlite:///{self.folder}/{stem}.db"
        else:
            _server_execute(url, f'CREATE DATABASE "{stem}"')
            atexit.register(_server_execute, url, f'DROP DATABASE IF EXISTS "{stem}" WITH (FORCE)')
            template = url.set(database=stem).render_as_string(hide_password=False)
        _install_fresh(template, addons, demo)
        return template


INSTALLED_TEMPLATES = InstalledTemplates()


def clone_database(template_url, db_url):
    """Make `db_url` a copy of the template (replacing the empty database the fixture made)."""
    template, target = make_url(template_url), make_url(db_url)
    if target.get_backend_name() == "sqlite":
        shutil.copyfile(template.database, target.database)
        return
    _server_execute(target, f'DROP DATABASE IF EXISTS "{target.database}"')
    _server_execute(target, f'CREATE DATABASE "{target.database}" TEMPLATE "{template.database}"')


def _server_execute(url, statement):
    from sqlalchemy import create_engine
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def regenerate_secrets(instance):
    """Give a cloned instance its own random values for the `generated` parameters."""
    with instance.engine.begin() as connection:
        parameters = instance.parameters(connection, instance.plugin_manager())
        for key, spec in parameters.specs.items():
            if spec.generated and parameters.raw(key):
                parameters.set(key, secrets.token_hex(32))


def testing_app(instance):
    """The instance's app as it is now (apps read system parameters when they are built)."""
    from core.web import create_app
    app = create_app(instance=instance)
    app.testing = True  # errors raise in the test instead of becoming a bare 500
    return app


def signed_in_client(app, instance, login=ADMIN_LOGIN):
    """A test client carrying `login`'s session cookie, as the POS page and admin pages have."""
    user_id = scalar(instance, "SELECT id FROM core_user WHERE login = :login", login=login)
    return sign_in(app.test_client(), instance, user_id)


def sign_in(client, instance, user_id):
    """Give a test client the cookie of a session of `user_id` on `instance`, as signing in
    does (without checking the password hash again)."""
    from core.web.sessions import start_session
    with instance.engine.begin() as connection, client.session_transaction() as session:
        start_session(connection, session, user_id, instance.db_name)
    return client


def get_parameter(instance, key):
    with instance.engine.connect() as connection:
        return instance.parameters(connection, instance.plugin_manager()).get(key)


def set_parameter(instance, key, value):
    with instance.engine.begin() as connection:
        instance.parameters(connection, instance.plugin_manager()).set(key, value)


def bearer_header(instance, config_id, db_name=None, multi_sessions=None, key=None):
    """The Authorization header of a POS token for `config_id`: by default the token the
    instance issues (its db_name, its key, the claims its addons add, e.g. the config's
    multi-session); else naming `db_name`, with the multi-session claims ({id: run}), signed with
    `key` (default: the instance's point_of_sale.token_key)."""
    from addons.point_of_sale import issue_config_token, issue_token
    if db_name is None and multi_sessions is None and key is None:
        with instance.engine.connect() as connection:
            token = issue_config_token(connection, instance, instance.plugin_manager(),
                                       config_id)
    else:
        token = issue_token(key or get_parameter(instance, "point_of_sale.token_key"),
                            db_name or instance.db_name, config_id, multi_sessions)
    return {"Authorization": f"Bearer {token}"}


# -- schemas -------------------------------------------------------------------------------------

def addon_tables(instance, addon):
    """The tables of `addon`'s models (`register_models`) that the database holds, sorted."""
    from sqlalchemy import inspect

    from core.plugins import flatten
    models = flatten(instance.addon_plugin_manager(instance.catalog.get(addon)), "register_models")
    names = {getattr(model, "__table__", model).name for model in models}
    return sorted(names & set(inspect(instance.engine).get_table_names()))


def assert_migrations_build_exactly_the_models(instance, addon):
    """The addon's migrations built exactly its models, and the check would see a drift: a
    column added by hand to one of its tables is then named (this changes the database)."""
    assert instance.schema_problems(addon) == []
    table = addon_tables(instance, addon)[0]
    with instance.engine.begin() as connection:
        connection.execute(text(f'ALTER TABLE "{table}" ADD COLUMN drift_probe INTEGER'))
    problems = instance.schema_problems(addon)
    assert any("drift_probe" in problem and table in problem for problem in problems), problems


def assert_uninstall_drops_every_table(instance, addon):
    """Uninstalling `addon` drops each of its tables (it had some) and leaves it uninstalled."""
    assert addon_tables(instance, addon), f"{addon} has no tables to drop"
    instance.uninstall([addon])
    assert addon_tables(instance, addon) == []
    assert addon not in instance.installed()


@contextmanager
def tamper(engine):
    """A transaction of someone with write access to the database: the triggers refusing
    UPDATE and DELETE of sealed rows are dropped, and put back before the commit (no trace but
    the change itself)."""
    from addons.point_of_sale.ledger_guard import drop_seal_guards, install_seal_guards
    with engine.begin() as connection:
        drop_seal_guards(connection)
        yield connection
        install_seal_guards(connection)
