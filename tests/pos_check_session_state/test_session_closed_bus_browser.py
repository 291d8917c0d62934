"""A session closed from the admin blocks its till within two seconds through the bus
(pos_longpolling installed), while the till's periodic check is 60 s away and its bus poll
would wait 30 s: the message, not the check or a poll's end, blocks it."""
import os
import re
import subprocess
import time

import pytest

from tests.browser import PosServer, expect, screenshot, watch_errors
from tests.point_of_sale.every_addon import every_addon_database, open_till
from tests.support import BUILT_IN_ADDONS, CORE_COMMAND

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]

QUIET_BUS = ("push_retry_ms=100&push_retry_max_ms=800&bus_retry_ms=200&bus_jitter_ms=0"
             "&bus_poll_timeout=30&ms_retry_ms=300&ms_jitter_ms=200")


@pytest.fixture
def server(db_url, tmp_path):
    server = PosServer(every_addon_database(db_url, check_every=60), tmp_path)
    yield server.start()
    server.stop()


def test_a_session_closed_in_the_admin_blocks_its_till_within_two_seconds_via_the_bus(
        browser_context, server):
    till = browser_context.new_page()
    errors = watch_errors(till)
    open_till(till, server, query=QUIET_BUS)
    body = till.locator("body")
    expect(body).to_have_attribute("data-session-bus", "listening")
    expect(body).to_have_attribute("data-session-checks", "1")  # the one check at start
    # Let the bus settle into a quiet poll (nothing to say for 30 s): it is under way.
    till.wait_for_timeout(1000)
    assert body.get_attribute("data-bus-state") in ("connecting", "online")

    manager = browser_context.new_page()
    manager.goto(f"{server.url}/web/pos/configs")
    row = manager.locator("tr", has_text="Shop")
    closed_at = time.monotonic()
    row.get_by_role("button", name="Close session").click()
    dialog = till.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=2000)
    blocked_after = time.monotonic() - closed_at
    assert blocked_after < 2.0, blocked_after
    expect(dialog).to_contain_text("Session Shop/00001 is closed.")
    assert body.get_attribute("data-session-checks") == "2"  # the block, not another check
    expect(till.locator("#sync-indicator")).to_contain_text("session closed")
    screenshot(till, "pos-session-closed-by-bus.png")
    assert till.evaluate("document.getElementById('pos').inert") is True
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    with pytest.raises(PlaywrightTimeout):
        till.locator("#products").get_by_role("button", name=re.compile(r"^Espresso ")).click(
            timeout=500)
    assert errors == []


def test_a_session_closed_by_another_process_blocks_its_till_within_two_seconds(
        browser_context, server):
    """`core pos close` from the command line is not the server: on PostgreSQL its message
    reaches the server by NOTIFY, on SQLite the server tails the bus table (issue #27, item 4).
    The till checks every 60 s and its poll would wait 30 s: only the bus can block it."""
    till = browser_context.new_page()
    errors = watch_errors(till)
    open_till(till, server, query=QUIET_BUS)
    body = till.locator("body")
    expect(body).to_have_attribute("data-session-bus", "listening")
    expect(body).to_have_attribute("data-session-checks", "1")
    till.wait_for_timeout(1000)  # the bus settles into a quiet poll
    subprocess.run([CORE_COMMAND, "--db", server.database.url, "pos", "close", "1"],
                   env={**os.environ, "CORE_ADDONS_PATH": str(BUILT_IN_ADDONS),
                        "CORE_LOAD_ENTRY_POINTS": "0"}, check=True, capture_output=True)
    closed_at = time.monotonic()
    dialog = till.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=2000)
    blocked_after = time.monotonic() - closed_at
    assert blocked_after < 2.0, blocked_after
    expect(dialog).to_contain_text("Session Shop/00001 is closed.")
    assert body.get_attribute("data-session-checks") == "2"  # the bus's block, not a check
    assert errors == []
