"""The bus on the POS page, in Debian's Chromium against a real `core serve`: the status icon
follows the server going away and coming back, a click on it PINGs and the PONG comes over the
bus, `last` survives a reload so that no message is delivered twice, and a PING without its PONG
turns the icon red. The server's cycle (pos_longpolling.poll_timeout), the page's polls and its
retries are short, so each test takes seconds."""
import json
from dataclasses import replace

import pytest

from core.addons import AddonCatalog
from core.config_fields import write_values
from core.instance import Instance
from tests.browser import (
    PosServer,
    expect,
    prepare_database,
    screenshot,
    sign_in_to_till,
    watch_errors,
)
from tests.support import BUILT_IN_ADDONS as ADDONS

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]

FAST = "push_retry_ms=100&push_retry_max_ms=800&bus_retry_ms=100&bus_jitter_ms=100"
GREEN, RED = "rgb(60, 207, 122)", "rgb(180, 35, 24)"

# Before the page's modules settle, record what the main bus says (again after every reload).
RECORD_BUS = """
window.busSeen = { states: [], messages: [] };
document.addEventListener("DOMContentLoaded", () => {
  const pos = window.comptoirPos;
  if (!pos) return;  // the login page
  pos.addEventListener("longpolling:state", (event) => {
    if (event.detail.bus === pos.longpolling.bus) window.busSeen.states.push(event.detail.state);
  });
  pos.addEventListener("longpolling:message", (event) => {
    window.busSeen.messages.push(event.detail.notification);
  });
});
"""


@pytest.fixture
def make_bus_server(db_url, tmp_path):
    """`make_bus_server(poll_timeout=2, max_silence=60, pong_timeout=10)`: point_of_sale (demo
    data, Shop's session opened) with pos_longpolling, that server cycle and Shop's heartbeat
    settings; a started server, stopped at teardown."""
    servers = []

    def make(poll_timeout=2, max_silence=60, pong_timeout=10):
        database = prepare_database(db_url)
        instance = Instance(db_url, AddonCatalog([ADDONS],
                                                 entry_points=False))
        try:
            instance.install(["pos_longpolling"])
            from addons.pos_longpolling.hooks import register_config_fields
            fields = [replace(f, addon="pos_longpolling")
                      for f in register_config_fields("pos.config")]
            with instance.engine.begin() as connection:
                write_values(connection, "pos.config", 1, fields, {
                    "longpolling_max_silence_timeout": max_silence,
                    "longpolling_pong_timeout": pong_timeout,
                    "autostart_longpolling": True})
                instance.parameters(connection, instance.plugin_manager()).set(
                    "pos_longpolling.poll_timeout", poll_timeout)
        finally:
            instance.engine.dispose()
        server = PosServer(database, tmp_path)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


def open_till(context, server, poll_timeout=1):
    """A signed-in till on Shop with fast retries and polls of `poll_timeout` seconds,
    recording what its bus says."""
    page = context.new_page()
    page.add_init_script(RECORD_BUS)
    errors = watch_errors(page)
    sign_in_to_till(page, server.url, 1, f"{FAST}&bus_poll_timeout={poll_timeout}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page, errors


def colour(locator):
    return locator.evaluate("(node) => getComputedStyle(node).color")


def seen(page, what):
    return page.evaluate(f"window.busSeen.{what}")


def wait_for_pongs(page, count):
    page.wait_for_function(
        f"window.busSeen.messages.filter((n) => n.message === 'PONG').length >= {count}",
        polling=50, timeout=4000)


def test_the_icon_is_green_red_while_the_server_is_gone_and_green_once_it_is_back(
        browser_context, make_bus_server):
    # A PING a second after every answer, within the 2 s polls: the heartbeat runs throughout
    # and must not flicker the icon.
    server = make_bus_server(max_silence=1, pong_timeout=1)
    page, errors = open_till(browser_context, server, poll_timeout=2)
    icon = page.locator(".bus-icon")
    expect(icon).to_have_count(1)
    expect(icon).to_have_attribute("data-state", "online", timeout=4000)
    expect(page.get_by_role("button", name="Bus online")).to_have_attribute("title", "Bus online")
    expect(page.locator("body")).to_have_attribute("data-bus-state", "online")
    assert colour(icon) == GREEN
    assert icon.evaluate("(node) => node.nextElementSibling.id") == "sync-indicator"
    assert seen(page, "states") == ["connecting", "online"]
    page.wait_for_timeout(2500)  # PINGs, PONGs and empty answers: it stays green
    assert seen(page, "states") == ["connecting", "online"]
    assert "PONG" in [n["message"] for n in seen(page, "messages")]
    screenshot(page, "pos-bus-online.png")

    server.stop()
    expect(icon).to_have_attribute("data-state", "offline", timeout=3000)
    expect(page.get_by_role("button", name="Bus offline — retrying")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-bus-state", "offline")
    assert colour(icon) == RED
    page.wait_for_timeout(1500)  # retrying every ~0.1 s, and PINGing: red all along
    assert seen(page, "states") == ["connecting", "online", "offline"]
    screenshot(page, "pos-bus-offline.png")

    server.start()
    expect(icon).to_have_attribute("data-state", "online", timeout=5000)
    assert seen(page, "states") == ["connecting", "online", "offline", "online"]
    assert colour(icon) == GREEN
    assert errors == []


def test_a_click_on_the_icon_pings_and_the_pong_comes_over_the_bus(
        browser_context, make_bus_server):
    server = make_bus_server()  # 60 s of silence before a PING: the only PING is the click's
    page, errors = open_till(browser_context, server)
    icon = page.get_by_role("button", name="Bus online")
    expect(icon).to_be_visible(timeout=4000)
    db_name = page.evaluate("comptoirPos.currentData().longpolling.db_name")
    channel = page.evaluate("comptoirPos.longpolling.bus.channel('pos.longpolling')")
    assert channel == json.dumps([db_name, "pos.longpolling", "1"], separators=(",", ":"))
    page.evaluate("""window.pongs = [];
        comptoirPos.longpolling.bus.subscribe("pos.longpolling",
          (message, notification) => window.pongs.push([message, notification.id]))""")
    page.wait_for_timeout(500)
    assert seen(page, "messages") == []  # nothing comes unasked

    icon.click()
    wait_for_pongs(page, 1)
    pong_id = server.database.scalar(
        "SELECT id FROM pos_longpolling_message WHERE channel = :channel AND message = :pong",
        channel=channel, pong='"PONG"')
    assert seen(page, "messages") == [{"id": pong_id, "channel": channel, "message": "PONG"}]
    assert page.evaluate("window.pongs") == [["PONG", pong_id]]
    expect(icon).to_have_attribute("data-state", "online")

    # A stopped bus has no icon; started again, it is back and connects.
    page.evaluate("comptoirPos.longpolling.bus.stop()")
    expect(page.locator(".bus-icon")).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-bus-state", "offline")
    page.evaluate("comptoirPos.longpolling.bus.start()")
    expect(page.locator(".bus-icon")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-bus-state", "online", timeout=4000)
    assert seen(page, "states")[-3:] == ["offline", "connecting", "online"]
    assert len(seen(page, "messages")) == 1  # the restarted poll did not bring the PONG again
    assert errors == []


def test_last_survives_a_reload_so_no_message_comes_twice(browser_context, make_bus_server):
    # A server cycle of 30 s: a poller without `last` would get the last 30 s of messages, so a
    # till that forgot its `last` on reload would see the PONG again.
    server = make_bus_server(poll_timeout=30)
    page, errors = open_till(browser_context, server)  # polls of 1 s
    icon = page.locator(".bus-icon")
    expect(icon).to_have_attribute("data-state", "online", timeout=4000)
    icon.click()
    wait_for_pongs(page, 1)
    [first] = seen(page, "messages")
    assert page.evaluate("localStorage.getItem(comptoirPos.longpolling.bus.lastKey)") \
        == str(first["id"])

    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    assert page.evaluate("comptoirPos.longpolling.bus.last") == first["id"]
    expect(page.locator("body")).to_have_attribute("data-bus-state", "online", timeout=4000)
    assert seen(page, "messages") == []  # the first poll after the reload brought nothing old

    icon.click()
    wait_for_pongs(page, 1)
    [second] = seen(page, "messages")
    assert second["id"] > first["id"] and second["message"] == "PONG"
    assert errors == []


def test_a_ping_whose_pong_never_comes_turns_the_icon_red_until_one_does(
        browser_context, make_bus_server):
    # PINGs answered 1 that send no PONG. A PING 1 s after the last answer, red 1 s after it
    # returns without its PONG; polls of 5 s, so no empty answer comes in between.
    server = make_bus_server(poll_timeout=5, max_silence=1, pong_timeout=1)
    browser_context.route("**/pos_longpolling/update", lambda route: route.fulfill(json=1))
    page, errors = open_till(browser_context, server, poll_timeout=5)
    icon = page.locator(".bus-icon")
    expect(icon).to_have_attribute("data-state", "connecting")
    expect(icon).to_have_attribute("data-state", "offline", timeout=3500)
    assert seen(page, "states") == ["connecting", "offline"]
    assert seen(page, "messages") == []
    expect(page.get_by_role("button", name="Bus offline — retrying")).to_be_visible()

    browser_context.unroute("**/pos_longpolling/update")  # the next PING brings a PONG
    expect(icon).to_have_attribute("data-state", "online", timeout=3500)
    assert {n["message"] for n in seen(page, "messages")} == {"PONG"}
    assert errors == []
