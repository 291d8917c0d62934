"""The POS page with every POS addon installed (bus, shared orders, session check) in Debian's
Chromium against a real `core serve`: reloaded while the server is down it comes back with all
of them, and when the server returns each reconnects by itself, without a second reload."""
import time

import pytest
import requests

from tests.browser import PosDatabase, PosServer, expect, screenshot, watch_errors
from tests.point_of_sale.every_addon import (
    ADDONS,
    BACK_WITHIN,
    expect_every_addon_online,
    open_till,
    sell,
)
from tests.support import installed_instance

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]


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


def wait_for_worker_with(server, asset, timeout=30):
    """Until the running server (which picks up installed addons within 2 s) serves a worker
    whose offline copy holds `asset`."""
    deadline = time.monotonic() + timeout
    while asset not in requests.get(f"{server.url}/pos/sw.js", timeout=2).text:
        assert time.monotonic() < deadline, f"the server's worker still lacks {asset}"
        time.sleep(0.2)


BUS_SCRIPT = "/pos_longpolling/static/longpolling.js"

# What the page's offline copies hold: per cache, each entry's path and whether it names `script`.
OFFLINE_COPIES = """async (script) => {
    const copies = {};
    for (const name of (await caches.keys()).filter((n) => n.startsWith("comptoir-pos-"))) {
        const cache = await caches.open(name);
        copies[name] = await Promise.all((await cache.keys()).map(async (request) => {
            const path = new URL(request.url).pathname;
            const text = path.startsWith("/pos/ui/") ? await (await cache.match(request)).text() : "";
            return [path, text.includes(script)];
        }));
    }
    return copies;
}"""


def wait_for_offline_copy(page, cache_name, script, timeout=15):
    """Until `cache_name` is the page's only offline copy and holds `script` and a page that
    loads it (the newer worker fills its copy while the page runs, so this takes a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        copies = page.evaluate(OFFLINE_COPIES, script)
        entries = copies.get(cache_name, [])
        if (list(copies) == [cache_name] and [script, False] in entries
                and any(path.startswith("/pos/ui/") and has for path, has in entries)):
            return
        assert time.monotonic() < deadline, f"the offline copies after {timeout} s: {copies}"
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
        wait_for_worker_with(server, BUS_SCRIPT)
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator("body")).not_to_have_attribute("data-offline-version", first,
                                                           timeout=15000)
        expect(page.locator(".bus-icon")).to_be_visible()
        # One offline copy: the older one is dropped when the newer worker takes over. Until
        # it has, an offline reload still gets the older copy (without the bus), which sells
        # as well; so the network goes only once the takeover is done.
        version = page.locator("body").get_attribute("data-offline-version")
        wait_for_offline_copy(page, f"comptoir-pos-{version}", BUS_SCRIPT)

        server.stop()
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator(".bus-icon")).to_have_attribute("data-state", "offline")
        assert page.locator("body").get_attribute("data-offline-version") == version
    finally:
        server.stop()
        instance.engine.dispose()


