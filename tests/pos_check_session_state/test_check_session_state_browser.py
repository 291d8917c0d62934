"""The POS page with pos_check_session_state, in Debian's Chromium against a real `core serve`,
checking every second: a session closed by `core pos close` blocks the till within two seconds,
naming its real state; a server that goes away does not, and the till keeps selling offline."""
import os
import re
import subprocess
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
from tests.support import CORE_COMMAND

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]

FAST_RETRY = "push_retry_ms=100&push_retry_max_ms=800"


@pytest.fixture
def checking_server(db_url, tmp_path):
    """point_of_sale (demo data, Shop's session opened) with pos_check_session_state, Shop
    checking every second; a started server, stopped at teardown."""
    database = prepare_database(db_url)
    instance = Instance(db_url, AddonCatalog([ADDONS], entry_points=False))
    try:
        instance.install(["pos_check_session_state"])
        from addons.pos_check_session_state.hooks import register_config_fields
        fields = [replace(f, addon="pos_check_session_state")
                  for f in register_config_fields("pos.config")]
        with instance.engine.begin() as connection:
            write_values(connection, "pos.config", 1, fields, {"check_session_frequency": 1})
    finally:
        instance.engine.dispose()
    server = PosServer(database, tmp_path)
    yield server.start()
    server.stop()


def sign_in(page, server):
    sign_in_to_till(page, server.url, 1, FAST_RETRY)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def product(page, name):
    return page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} "))


def sell(page, name="Espresso"):
    """One product, paid exactly in cash; back on a new order. Returns the order's uuid."""
    product(page, name).click()
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.get_by_role("button", name=re.compile(r"^Exact")).click()
    page.get_by_role("button", name="Validate").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    uuid = receipt.get_attribute("data-uuid")
    page.get_by_role("button", name="New order").click()
    expect(page.locator("#order-lines .line")).to_have_count(0)
    return uuid


def tap(page, locator):
    """A finger on the middle of `locator`, whatever lies on top of it (unlike `click`, which
    waits until the element itself would receive it)."""
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def checks(page):
    return int(page.locator("body").get_attribute("data-session-checks") or 0)


def test_a_session_closed_on_the_server_blocks_the_till_within_two_seconds(
        browser_context, checking_server):
    server = checking_server
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    expect(page.locator("body")).to_have_attribute("data-session-check", "opened")
    sold = sell(page)
    expect(page.locator("#sync-indicator")).to_have_text("synced")
    assert server.database.order_count(sold) == 1

    subprocess.run([CORE_COMMAND, "--db", server.database.url, "pos", "close", "1"],
                   env={**os.environ, "CORE_ADDONS_PATH": str(ADDONS),
                        "CORE_LOAD_ENTRY_POINTS": "0"}, check=True, capture_output=True)
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible(timeout=2000)  # `core pos close` has returned: it is closed
    expect(dialog).to_contain_text("Session Shop/00001 is closed.")
    expect(dialog).not_to_contain_text("closing control")
    assert [b.inner_text() for b in dialog.get_by_role("button").all()] == ["Reload"]
    screenshot(page, "pos-session-closed-blocked.png")

    # No further sale: nothing behind the popup takes a tap or a scan.
    assert page.evaluate("document.getElementById('pos').inert") is True
    tap(page, product(page, "Croissant"))
    search = page.get_by_label("Search or scan a barcode")
    tap(page, search)
    page.keyboard.type("2000000000015")  # a scanner types into whatever has the focus
    expect(search).to_have_value("")
    expect(page.locator("#order-lines .line")).to_have_count(0)
    # And the checking stopped: checking every second, it would check twice in 2.5 s.
    seen = checks(page)
    page.wait_for_timeout(2500)
    assert checks(page) == seen
    assert errors == []

    # Its one action, Reload: the page then says there is no open session, and sells nothing.
    dialog.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("heading", name="Shop is closed")).to_be_visible()
    expect(page.locator("#sell-screen")).to_be_hidden()


def test_an_unreachable_server_is_not_a_closed_session_and_the_till_keeps_selling(
        browser_context, checking_server):
    server = checking_server
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    sell(page)
    expect(page.locator("#sync-indicator")).to_have_text("synced")

    server.stop()
    expect(page.locator("body")).to_have_attribute("data-session-check", "unreachable",
                                                   timeout=4000)
    seen = checks(page)
    offline = sell(page, "Croissant")
    expect(page.locator("#sync-indicator")).to_contain_text("pending 1")
    # Still checking, every second.
    page.wait_for_function("seen => Number(document.body.dataset.sessionChecks) >= seen + 2",
                           arg=seen, timeout=4000)
    expect(page.locator("#block-dialog")).to_be_hidden()
    sell(page)
    expect(page.locator("#sync-indicator")).to_contain_text("pending 2")
    expect(page.locator("#block-dialog")).to_be_hidden()
    screenshot(page, "pos-session-check-offline.png")

    # The server comes back with the session still opened: everything arrives, no popup.
    server.start()
    expect(page.locator("#sync-indicator")).to_have_text("synced", timeout=10000)
    expect(page.locator("body")).to_have_attribute("data-session-check", "opened")
    assert server.database.order_count(offline) == 1
    expect(page.locator("#block-dialog")).to_be_hidden()
    assert errors == []


def core(server, *args):
    return subprocess.run([CORE_COMMAND, "--db", server.database.url, *args],
                          env={**os.environ, "CORE_ADDONS_PATH": str(ADDONS),
                               "CORE_LOAD_ENTRY_POINTS": "0"},
                          check=True, capture_output=True, text=True).stdout


def test_an_order_paid_offline_on_a_session_closed_meanwhile_waits_then_is_attached(
        browser_context, checking_server):
    server = checking_server
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    server.stop()
    expect(page.locator("body")).to_have_attribute("data-session-check", "unreachable",
                                                   timeout=4000)
    late = sell(page)
    expect(page.locator("#sync-indicator")).to_contain_text("pending 1")
    # Meanwhile the manager closes the session and opens the next one.
    core(server, "pos", "close", "1")
    core(server, "pos", "open", "1")
    server.start()

    # The push is refused for that order only; the till keeps it under Needs attention, and
    # the check blocks the till, naming the real state.
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Session Shop/00001 is closed.", timeout=4000)
    expect(page.locator("#attention-count")).to_have_text("1")
    entries = page.evaluate("window.comptoirPos.outbox()")
    assert [(e["uuid"], e["status"], e["error"]["code"]) for e in entries] == [
        (late, "rejected", "session_closed")]
    assert "Shop/00001 is closed" in entries[0]["error"]["message"]
    assert server.database.order_count(late) == 0
    assert server.database.scalar(
        "SELECT count(*) FROM pos_check_session_state_rejected_order WHERE uuid = :uuid",
        uuid=late) == 1

    # The manager attaches it to the open session (as the admin page's button does).
    from addons.pos_check_session_state.rejected import attach
    instance = Instance(server.database.url,
                        AddonCatalog([ADDONS], entry_points=False))
    try:
        with instance.engine.begin() as connection:
            row_id = connection.exec_driver_sql(
                "SELECT id FROM pos_check_session_state_rejected_order").scalar()
            order_id, target = attach(connection, row_id, "manager")
    finally:
        instance.engine.dispose()
    assert target.name == "Shop/00002"

    # The till reloads onto the new session and sends the order again: a duplicate, it leaves.
    dialog.get_by_role("button", name="Reload").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#session-name")).to_have_text("Shop/00002")
    page.get_by_role("button", name=re.compile("Needs attention")).click()
    item = page.locator(f'.attention-item[data-uuid="{late}"]')
    expect(item).to_contain_text("session_closed")
    item.get_by_role("button", name="Send again").click()
    page.wait_for_function("window.comptoirPos.outbox().then((entries) => !entries.length)",
                           polling=100)
    expect(page.locator("#sync-indicator")).to_have_text("synced")
    expect(page.locator("#attention-button")).to_be_hidden()
    assert server.database.scalar("SELECT session_id FROM point_of_sale_order WHERE id = :id",
                                  id=order_id) == target.id
    assert server.database.order_count(late) == 1
    assert errors == []
