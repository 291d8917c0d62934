"""The POS page with every POS addon installed (bus, shared orders, session check) in Debian's
Chromium against a real `core serve`: reloaded while the server is down it comes back with all
of them, and when the server returns each reconnects by itself, without a second reload."""
import re
import time

import pytest
import requests

from tests.browser import PosDatabase, PosServer, expect, screenshot, watch_errors
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD, installed_instance
from tests.support import BUILT_IN_ADDONS as ADDONS

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]

EVERY_ADDON = ["pos_multi_session", "pos_longpolling", "pos_check_session_state"]
FAST = ("push_retry_ms=100&push_retry_max_ms=800&bus_retry_ms=200&bus_jitter_ms=0"
        "&bus_poll_timeout=2&ms_retry_ms=300&ms_jitter_ms=200")
BACK_WITHIN = 6000  # ms: every addon online again after the server returns


def every_addon_database(db_url, check_every=1):
    """Every POS addon with demo data (Shop and Bar share orders), both sessions opened, Shop
    checking its session every `check_every` seconds, and the admin."""
    from addons.point_of_sale.sessions import open_session
    from core.config_fields import declared_fields, write_values
    instance = installed_instance(db_url, EVERY_ADDON)
    try:
        with instance.engine.begin() as connection:
            open_session(connection, 1)
            open_session(connection, 2)
            fields = [f for f in declared_fields(instance.plugin_manager(), "pos.config")
                      if f.name == "check_session_frequency"]
            write_values(connection, "pos.config", 1, fields, {"check_session_frequency": check_every})
    finally:
        instance.engine.dispose()
    return PosDatabase(db_url, [str(ADDONS)])


@pytest.fixture
def every_addon_server(db_url, tmp_path):
    server = PosServer(every_addon_database(db_url), tmp_path)
    yield server.start()
    server.stop()


def open_till(page, server, query=FAST):
    page.goto(f"{server.url}/pos/ui/1?{query}")
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def expect_every_addon_online(page, timeout=5000):
    body = page.locator("body")
    expect(body).to_have_attribute("data-bus-state", "online", timeout=timeout)
    expect(body).to_have_attribute("data-multi-session", "online", timeout=timeout)
    expect(body).to_have_attribute("data-session-check", "opened", timeout=timeout)
    expect(page.locator(".bus-icon")).to_be_visible()
    expect(page.locator(".ms-chip")).to_have_text("Shared")


def sell(page, name="Espresso"):
    page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} ")).click()
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.get_by_role("button", name=re.compile(r"^Exact")).click()
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("#receipt")).to_have_attribute("data-uuid", re.compile("."))
    uuid = page.locator("#receipt").get_attribute("data-uuid")
    page.get_by_role("button", name="New order").click()
    return uuid


def test_an_offline_reload_keeps_every_addon_and_each_reconnects_when_the_server_returns(
        browser_context, every_addon_server):
    server = every_addon_server
    page = browser_context.new_page()
    errors = watch_errors(page)
    open_till(page, server)
    expect(page.locator("body")).to_have_attribute("data-offline-reload", "ready")
    expect_every_addon_online(page)
    assets = page.evaluate("""() => [...document.querySelectorAll(
        "script[src], link[rel=stylesheet]")].map((n) => new URL(n.src || n.href).pathname)""")
    assert {"/pos_longpolling/static/longpolling.js", "/pos_multi_session/static/multi_session.js",
            "/pos_check_session_state/static/session_state.js"} <= set(assets)

    server.stop()
    page.reload()
    body = page.locator("body")
    expect(body).to_have_attribute("data-ready", "true")
    expect(page.locator("#banner")).to_contain_text("Working offline")
    # Every script and stylesheet came from the offline copy, and every addon runs.
    loaded = page.evaluate("""() => performance.getEntriesByType("resource")
        .filter((e) => e.initiatorType === "script" || e.initiatorType === "link"
                       || e.initiatorType === "other")
        .map((e) => ({path: new URL(e.name).pathname, size: e.decodedBodySize}))""")
    for path in assets:
        assert any(entry["path"] == path and entry["size"] > 0 for entry in loaded), path
    expect(page.locator(".bus-icon")).to_have_attribute("data-state", "offline")
    expect(body).to_have_attribute("data-multi-session", "offline")
    expect(body).to_have_attribute("data-session-check", "unreachable")
    screenshot(page, "pos-offline-reload-every-addon.png")
    offline_sale = sell(page)

    server.start()
    expect_every_addon_online(page, timeout=BACK_WITHIN)
    expect(page.locator("#sync-indicator")).to_contain_text("synced", timeout=BACK_WITHIN)
    assert server.database.order_count(offline_sale) == 1
    screenshot(page, "pos-offline-reload-server-back.png")
    assert errors == []


def wait_for_worker_with(server, asset, timeout=10):
    """Until the running server (which picks up installed addons within 2 s) serves a worker
    whose offline copy holds `asset`."""
    deadline = time.monotonic() + timeout
    while asset not in requests.get(f"{server.url}/pos/sw.js", timeout=2).text:
        assert time.monotonic() < deadline, f"the server's worker still lacks {asset}"
        time.sleep(0.2)


def test_installing_an_addon_refreshes_the_offline_copy(browser_context, db_url, tmp_path):
    """A till that had only point_of_sale: pos_longpolling is installed, the page is loaded once
    online, and an offline reload then has the bus too."""
    from addons.point_of_sale.sessions import open_session
    instance = installed_instance(db_url, ["point_of_sale"])
    with instance.engine.begin() as connection:
        open_session(connection, 1)
    server = PosServer(PosDatabase(db_url, [str(ADDONS)]), tmp_path).start()
    try:
        page = browser_context.new_page()
        open_till(page, server)
        expect(page.locator("body")).to_have_attribute("data-offline-reload", "ready")
        first = page.locator("body").get_attribute("data-offline-version")
        assert page.locator(".bus-icon").count() == 0

        instance.install(["pos_longpolling"])
        wait_for_worker_with(server, "/pos_longpolling/static/longpolling.js")
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("body")).not_to_have_attribute("data-offline-version", first,
                                                           timeout=5000)
        expect(page.locator(".bus-icon")).to_be_visible()

        server.stop()
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator(".bus-icon")).to_have_attribute("data-state", "offline")
        # One offline copy: the older one was dropped when the newer worker took over.
        version = page.locator("body").get_attribute("data-offline-version")
        page.wait_for_function("""async (wanted) => JSON.stringify((await caches.keys())
            .filter((name) => name.startsWith("comptoir-pos-"))) === JSON.stringify([wanted])""",
                               arg=f"comptoir-pos-{version}", timeout=5000)
    finally:
        server.stop()
        instance.engine.dispose()


