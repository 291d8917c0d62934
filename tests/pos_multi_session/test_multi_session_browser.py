"""Two tills (Shop and Bar, two browser contexts as two tablets) share live orders through a
separate sync server: another `core serve` on another port and database, called cross-origin
with the main instance's signed POS tokens."""
import re

import pytest
import requests
from sqlalchemy import update

from tests.browser import expect, screenshot, tablet_contexts, watch_errors
from tests.pos_multi_session.multi_session_helpers import trust_tokens_and_origin
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    bearer_header,
    free_port,
    installed_instance,
    start_core_server,
    stop_process_group,
)

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser]

FAST = ("push_retry_ms=100&push_retry_max_ms=800&bus_retry_ms=200&bus_jitter_ms=0"
        "&ms_retry_ms=300&ms_jitter_ms=200")
WITHIN = 2000  # ms: the goal for an order or an edit to reach the other till


@pytest.fixture
def two_tablets():
    """Two browser contexts: each its own cookies, IndexedDB and localStorage."""
    with tablet_contexts(2) as contexts:
        yield contexts


def open_till(context, main_url, config_id, multi_session="online"):
    page = context.new_page()
    page.goto(f"{main_url}/pos/ui/{config_id}?{FAST}")
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("body")).to_have_attribute("data-multi-session", multi_session)
    return page


def add(page, name):
    page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} ")).click()


def tab(page, uuid):
    return page.locator(f'#order-tabs [data-uuid="{uuid}"]')


def line_names(page):
    return page.locator("#order-lines .line-name")


def current_uuid(page):
    return page.evaluate("window.comptoirPos.currentOrder().uuid")


def lines_of(page, uuid):
    return page.evaluate("""(uuid) => {
        const order = window.comptoirPos.openOrders().find((o) => o.uuid === uuid);
        return order ? order.lines.map((l) => l.name).sort() : null;
    }""", uuid)


def test_two_tills_share_orders_through_a_separate_sync_server(main_and_sync_server,
                                                               two_tablets):
    servers = main_and_sync_server
    shop = open_till(two_tablets[0], servers.main_url, 1)
    bar = open_till(two_tablets[1], servers.main_url, 2)
    errors = watch_errors(shop) + watch_errors(bar)
    try:
        # An order made on Shop appears on Bar.
        add(shop, "Espresso")
        first = current_uuid(shop)
        expect(tab(bar, first)).to_be_visible(timeout=WITHIN)
        # An edit on Bar appears on Shop, with who made it.
        tab(bar, first).click()
        add(bar, "Croissant")
        expect(line_names(shop)).to_have_text(["Espresso", "Croissant"], timeout=WITHIN)
        expect(shop.locator("#order-byline")).to_contain_text("last change on Bar")
        # Paying on Shop removes it from Bar.
        shop.get_by_role("button", name=re.compile(r"^Pay")).click()
        shop.get_by_role("button", name=re.compile(r"^Exact")).click()
        shop.get_by_role("button", name="Validate").click()
        expect(shop.locator("#receipt")).to_be_visible()
        expect(tab(bar, first)).to_have_count(0, timeout=WITHIN)

        # A new shared order; then Bar loses the network and keeps editing, while Shop edits
        # another line of the same order.
        shop.get_by_role("button", name="New order").click()
        add(shop, "Latte")
        second = current_uuid(shop)
        expect(tab(bar, second)).to_be_visible(timeout=WITHIN)
        tab(bar, second).click()
        two_tablets[1].set_offline(True)
        add(bar, "Green tea")
        expect(bar.locator("body")).to_have_attribute("data-multi-session", "offline")
        bar.get_by_role("button", name="Add order").click()
        add(bar, "Orange juice")
        offline_order = current_uuid(bar)
        add(shop, "Americano")
        two_tablets[1].set_offline(False)
        expect(bar.locator("body")).to_have_attribute("data-multi-session", "online",
                                                      timeout=10000)
        # Nothing lost: both tills hold both edits of the shared order, and Bar's new order.
        expect(tab(shop, offline_order)).to_be_visible(timeout=WITHIN)
        for page in (shop, bar):
            page.wait_for_function(
                """([uuid, wanted]) => {
                    const order = window.comptoirPos.openOrders().find((o) => o.uuid === uuid);
                    return order && JSON.stringify(order.lines.map((l) => l.name).sort())
                        === JSON.stringify(wanted);
                }""", arg=[second, ["Americano", "Green tea", "Latte"]], timeout=5000)
        assert lines_of(shop, offline_order) == ["Orange juice"]
        assert errors == []
    except Exception:
        screenshot(shop, "multi-session-shop.png")
        screenshot(bar, "multi-session-bar.png")
        raise


def test_tills_share_orders_through_their_own_instance(addon_instance, tmp_path, two_tablets):
    """The demo's set-up: no sync server, so the main instance syncs (same origin, cookie)."""
    server = start_core_server(addon_instance.url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    try:
        shop = open_till(two_tablets[0], server.url, 1)
        bar = open_till(two_tablets[1], server.url, 2)
        add(bar, "Cappuccino")
        shared = current_uuid(bar)
        expect(tab(shop, shared)).to_be_visible(timeout=WITHIN)
        tab(shop, shared).click()
        expect(line_names(shop)).to_have_text(["Cappuccino"])
        expect(shop.locator("#order-byline")).to_contain_text(f"Started on Bar ({ADMIN_LOGIN})")
    finally:
        stop_process_group(server.process)


def test_an_unreachable_sync_server_is_named_and_the_till_sells_and_retries(
        addon_instance, other_db_url, tmp_path, two_tablets):
    """The original hung on "Sync Orders" (pos-addons #924, #1273). Here the till says which
    server it cannot reach, sells on, and shares its orders once that server answers."""
    from addons.pos_multi_session.models import MultiSession
    sync_port = free_port()
    sync_url = f"http://127.0.0.1:{sync_port}"
    with addon_instance.engine.begin() as connection:
        connection.execute(update(MultiSession).values(sync_server=sync_url))
    main = start_core_server(addon_instance.url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    sync_server = None
    try:
        shop = open_till(two_tablets[0], main.url, 1, multi_session="offline")
        chip = shop.locator(".ms-chip")
        expect(chip).to_have_attribute("title", re.compile(re.escape(sync_url)))
        expect(shop.locator("#toast")).to_contain_text(f"the sync server {sync_url} does not answer")
        # It sells: an order paid now reaches the main instance.
        add(shop, "Espresso")
        shop.get_by_role("button", name=re.compile(r"^Pay")).click()
        shop.get_by_role("button", name=re.compile(r"^Exact")).click()
        shop.get_by_role("button", name="Validate").click()
        expect(shop.locator("#receipt")).to_be_visible()
        # The order went (nothing pending); the one status is not green: sharing is offline.
        status = shop.locator("#sync-indicator")
        expect(status).to_contain_text("shared orders offline", timeout=5000)
        expect(status).not_to_contain_text("pending", timeout=5000)
        expect(status).to_have_attribute("data-state", "down")
        shop.get_by_role("button", name="New order").click()
        add(shop, "Latte")
        waiting = current_uuid(shop)
        # The sync server comes up at that address: the till retries, then shares its order.
        sync = installed_instance(other_db_url, ["pos_multi_session_sync"], demo=False)
        trust_tokens_and_origin(sync, addon_instance, main.url)
        sync.engine.dispose()
        sync_server = start_core_server(other_db_url, tmp_path, env=BUILT_IN_ADDONS_ONLY,
                                        port=sync_port)
        expect(shop.locator("body")).to_have_attribute("data-multi-session", "online",
                                                       timeout=10000)
        bar = open_till(two_tablets[1], main.url, 2)
        expect(tab(bar, waiting)).to_be_visible(timeout=WITHIN)
    finally:
        stop_process_group(main.process)
        if sync_server is not None:
            stop_process_group(sync_server.process)


def test_a_gap_in_message_ids_makes_the_till_ask_for_a_full_sync(addon_instance, tmp_path,
                                                                  two_tablets):
    """A till that sees message_ID n+3 after n missed two: it asks for sync_all instead of
    applying the message after the gap, and gets the order from that sync."""
    from addons.pos_multi_session_sync.models import SyncPos
    server = start_core_server(addon_instance.url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    try:
        shop = open_till(two_tablets[0], server.url, 1)
        actions = []
        shop.on("request", lambda request: actions.append(
            request.post_data_json["message"]["action"])
            if request.url.endswith("/pos_multi_session_sync/update") else None)
        # Two messages to Shop are lost: its counter on the server moves on without them.
        with addon_instance.engine.begin() as connection:
            connection.execute(update(SyncPos).where(SyncPos.pos_id == 1)
                               .values(message_id=SyncPos.message_id + 2))
        bar_token = bearer_header(addon_instance, 2, multi_sessions={1: 1})  # as Bar's page has
        answer = requests.post(f"{server.url}/pos_multi_session_sync/update", timeout=10,
                               headers=bar_token, json={
            "multi_session_id": 1, "dbname": addon_instance.db_name, "user_ID": 1,
            "message": {"action": "update_order", "session_id": 2, "login_number": 1, "data": {
                "uid": "after-the-gap", "name": "Order after the gap", "sequence_number": 1,
                "revision_ID": 1, "new_order": True, "nonce": "n1", "pos_id": 2, "run_ID": 1,
                "lines": [{"uid": "after-the-gap-2.1.1", "product_id": 1, "name": "Espresso",
                           "qty": "1", "price_unit": "1.80", "discount": "0",
                           "tax_rate": "10.00"}]}}})
        assert answer.json()["action"] == "update_revision_ID"
        expect(tab(shop, "after-the-gap")).to_be_visible(timeout=WITHIN)
        assert "sync_all" in actions
    finally:
        stop_process_group(server.process)
