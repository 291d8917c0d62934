"""What the browser tests share: Debian's Chromium driven by Playwright (never a downloaded
browser), a database prepared for the POS page, a `core serve` that can be stopped and started
again on the same port (an outage the page lives through), and signing in to a till.

Set CORE_REQUIRE_BROWSER=1 (as .ci/run does) to make a missing Chromium fail the browser tests
instead of skipping them."""
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text

from core.addons import AddonCatalog
from core.instance import Instance
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS,
    free_port,
    installed_instance,
    start_core_server,
    stop_process_group,
)

REPO = Path(__file__).resolve().parents[1]
# The PostgreSQL suite (CORE_TEST_DB) runs beside the SQLite one in CI: its screenshots go to a
# folder of their own so that neither overwrites the other's.
ARTIFACTS = REPO / "test-artifacts" / ("postgresql" if os.environ.get("CORE_TEST_DB") else "")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic",
                 "--no-first-run"]


def expect(*args, **kwargs):
    """Playwright's `expect`, imported when a browser test runs."""
    from playwright.sync_api import expect as playwright_expect
    return playwright_expect(*args, **kwargs)


def require_chromium():
    """Skip the test when Debian's Chromium is missing, or fail it under CORE_REQUIRE_BROWSER=1
    (CI must not go green with no browser test run)."""
    if CHROMIUM.exists():
        return
    message = (f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y "
               "chromium); these tests never download a browser")
    if os.environ.get("CORE_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (CORE_REQUIRE_BROWSER=1)")
    pytest.skip(message)


class SharedBrowser:
    """One Chromium for the whole run, launched at the first browser test and closed when the
    session ends (tests/plugin.py): starting Playwright and launching Chromium cost one to two
    seconds a test. Each test still gets fresh contexts (separate storage and cookies); a
    browser that crashed or was closed is launched again."""

    def __init__(self):
        self.playwright = None
        self.browser = None

    def get(self):
        require_chromium()
        if self.playwright is None:
            from playwright.sync_api import sync_playwright
            self.playwright = sync_playwright().start()
        if self.browser is None or not self.browser.is_connected():
            self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                           args=CHROMIUM_ARGS)
        return self.browser

    def close(self):
        if self.browser is not None and self.browser.is_connected():
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()
        self.playwright = self.browser = None


SHARED_BROWSER = SharedBrowser()


@contextmanager
def new_contexts(count, **options):
    """`count` fresh contexts of the run's Chromium, closed afterwards, with the tests' short
    default timeouts (5 s for an action or an expectation, 10 s for a navigation)."""
    browser = SHARED_BROWSER.get()
    contexts = []
    try:
        for _ in range(count):
            contexts.append(browser.new_context(**options))
            contexts[-1].set_default_timeout(5000)
            contexts[-1].set_default_navigation_timeout(10000)
        yield contexts
    finally:
        for context in contexts:
            try:
                context.close()
            except Exception:  # the browser died meanwhile: the next test launches another
                pass


@contextmanager
def tablet_contexts(count):
    """`count` fresh Chromium contexts (each its own IndexedDB, localStorage and cookies, as
    separate tablets) of a tablet's size."""
    with new_contexts(count, viewport={"width": 1100, "height": 760}) as contexts:
        yield contexts


def watch_errors(page):
    """Collect uncaught errors of the page, to assert there were none."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def sign_in_to_till(page, url, config_id=1, query="", login=ADMIN_LOGIN, secret=ADMIN_PASSWORD):
    """Open the till's page; it sends a visitor to the login form, then back to the till
    (`secret`: the password, or on an autonomous till the cashier's PIN)."""
    page.goto(f"{url}/pos/ui/{config_id}?{query}")
    expect(page).to_have_url(re.compile(r"/web/login\?next="))
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/pos/ui/{config_id}\?"))


# -- the database -------------------------------------------------------------------------------

@dataclass
class PosDatabase:
    url: str
    addons_path: list = field(default_factory=list)

    def _instance(self):
        return Instance(self.url, AddonCatalog([], entry_points=False))

    def scalar(self, sql, **params):
        instance = self._instance()
        try:
            with instance.engine.connect() as connection:
                return connection.scalar(text(sql), params)
        finally:
            instance.engine.dispose()

    def execute(self, sql, **params):
        instance = self._instance()
        try:
            with instance.engine.begin() as connection:
                connection.execute(text(sql), params)
        finally:
            instance.engine.dispose()

    def order_count(self, uuid):
        return self.scalar("SELECT count(*) FROM point_of_sale_order WHERE uuid = :uuid", uuid=uuid)


def prepare_database(db_url, addons=(), extra_addons=None):
    """point_of_sale with its demo data, `addons` (built-in) too, config 1's session opened, and
    the admin user. `extra_addons`: a folder of further addons, all of which are installed too.
    The built-in addons come from the run's installed template (support.installed_instance)."""
    path = [str(BUILT_IN_ADDONS)]
    instance = installed_instance(db_url, ["point_of_sale", *addons])
    try:
        if extra_addons is not None:
            path.append(str(extra_addons))
            instance.engine.dispose()
            instance = Instance(db_url, AddonCatalog([BUILT_IN_ADDONS, extra_addons],
                                                     entry_points=False))
            instance.install([p.name for p in extra_addons.iterdir()
                              if (p / "__manifest__.py").exists()])
        from addons.point_of_sale import sessions
        with instance.engine.begin() as connection:
            sessions.open_session(connection, 1)
    finally:
        instance.engine.dispose()
    return PosDatabase(db_url, path)


class PosServer:
    """`core --db URL serve --port PORT` in a process group of its own, on the same port each
    time it starts."""

    def __init__(self, database, log_folder):
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_folder = log_folder
        self.process = None

    def start(self):
        env = {**os.environ, "CORE_ADDONS_PATH": os.pathsep.join(self.database.addons_path),
               "CORE_LOAD_ENTRY_POINTS": "0"}
        self.process = start_core_server(self.database.url, self.log_folder, env=env,
                                         port=self.port).process
        return self

    def stop(self):
        """SIGTERM the process group, SIGKILL if it lingers; the port is then free again."""
        process, self.process = self.process, None
        if process is not None:
            stop_process_group(process)
