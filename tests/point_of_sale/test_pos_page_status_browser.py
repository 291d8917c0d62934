"""The POS page's one status, with every POS addon installed, in Debian's Chromium against a real
`core serve`: during each failure it says what is wrong in words and in colour, and it is never
green while something is unreachable or waiting."""
import re

import pytest

from tests.browser import expect, screenshot, watch_errors
from tests.point_of_sale.every_addon import FAST, expect_every_addon_online, open_till, sell

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]

STATUS_FAST = FAST + "&server_check_ms=300&bus_transport=poll"  # the bus-down test routes polls
SAID_WITHIN = 10000  # ms: a ceiling, not a wait (a loaded machine answers the probe late)


def status(page):
    return page.locator("#sync-indicator")


def expect_status(page, level, words):
    expect(status(page)).to_have_attribute("data-state", level, timeout=SAID_WITHIN)
    expect(status(page)).to_have_text(words, timeout=SAID_WITHIN)


def colour(page):
    return page.evaluate("getComputedStyle(document.querySelector('#sync-indicator .dot'))"
                         ".backgroundColor")


@pytest.fixture
def till(browser_context, every_addon_server):
    page = browser_context.new_page()
    errors = watch_errors(page)
    open_till(page, every_addon_server, query=STATUS_FAST)
    expect_every_addon_online(page)
    expect_status(page, "ok", "synced")
    assert colour(page) == "rgb(60, 207, 122)"  # green
    yield page
    assert errors == []


def test_server_down_while_idle_and_with_pending_orders(till, every_addon_server):
    page = till
    every_addon_server.stop()
    expect_status(page, "down", "offline")
    assert colour(page) == "rgb(180, 35, 24)"  # red
    screenshot(page, "pos-status-server-down-idle.png")
    sell(page)
    expect_status(page, "down", "offline · pending 1")
    # Never green meanwhile, and the title names each channel's trouble.
    title = status(page).get_attribute("title")
    assert "This server" in title and "Paid orders" in title
    every_addon_server.start()
    expect_status(page, "ok", "synced")


def test_a_refused_order_is_not_green(till, every_addon_server):
    page = till
    every_addon_server.database.execute("DELETE FROM point_of_sale_product WHERE id = 31")
    sell(page, "Beer")
    expect(page.get_by_role("button", name=re.compile("Needs attention"))).to_be_visible()
    expect_status(page, "down", "1 refused")
    screenshot(page, "pos-status-refused.png")
    page.get_by_role("button", name=re.compile("Needs attention")).click()
    page.get_by_role("button", name="Discard").click()
    page.locator("#confirm-ok").click()
    page.locator("#attention-close").click()
    expect_status(page, "ok", "synced")


def test_the_sync_server_down(till, browser_context):
    page = till
    # The sharing fails while this server, the page's, answers everything else (a request
    # that gets no answer at all from the page's own origin is this server being down).
    page.route("**/pos_multi_session_sync/update", lambda route: route.fulfill(
        status=500, content_type="application/json",
        body='{"error": {"code": "internal", "message": "sharing down"}}'))
    page.locator("#products").get_by_role("button", name=re.compile(r"^Latte ")).click()
    expect_status(page, "down", "shared orders offline")
    expect(page.locator(".ms-chip")).to_have_text("Shared · offline")
    screenshot(page, "pos-status-sync-server-down.png")
    page.unroute("**/pos_multi_session_sync/update")
    expect_status(page, "ok", "synced")


def test_the_bus_down(till):
    page = till
    # The server answers, its bus does not (a 500 on every poll).
    page.route("**/longpolling/poll", lambda route: route.fulfill(
        status=500, content_type="application/json",
        body='{"error": {"code": "internal", "message": "bus down"}}'))
    page.evaluate("window.comptoirPos.longpolling.bus.restartPoll()")
    expect_status(page, "down", "live updates offline")
    expect(page.locator(".bus-icon")).to_have_attribute("data-state", "offline")
    screenshot(page, "pos-status-bus-down.png")
    page.unroute("**/longpolling/poll")
    expect_status(page, "ok", "synced")
