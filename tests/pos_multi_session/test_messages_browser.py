"""Messages of the shared-orders module that tell the truth (issue #12, item 4): whose change a
same-line conflict kept, and why sharing stopped when the run ended."""
import json
import re

import pytest
import requests
from click.testing import CliRunner

from core.cli import cli
from tests.browser import expect, screenshot, tablet_contexts, watch_errors
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    bearer_header,
    start_core_server,
    stop_process_group,
)

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser]

FAST = "push_retry_ms=100&bus_retry_ms=200&bus_jitter_ms=0&ms_retry_ms=300&ms_jitter_ms=200"


@pytest.fixture
def shop(addon_instance, tmp_path):
    server = start_core_server(addon_instance.url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    try:
        with tablet_contexts(1) as [context]:
            page = context.new_page()
            page.goto(f"{server.url}/pos/ui/1?{FAST}")
            page.get_by_label("Login").fill(ADMIN_LOGIN)
            page.get_by_label("Password").fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("body")).to_have_attribute("data-multi-session", "online")
            errors = watch_errors(page)
            try:
                yield page, server.url
                assert errors == []
            except BaseException:
                screenshot(page, "messages-shop.png")
                raise
    finally:
        stop_process_group(server.process)


def add(page, name):
    page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} ")).click()


def as_bar(addon_instance, url, action, data):
    """A call of the sync server as Bar's till (config 2, its token)."""
    response = requests.post(f"{url}/pos_multi_session_sync/update", timeout=10,
                             headers=bearer_header(addon_instance, 2), json={
        "multi_session_id": 1, "dbname": addon_instance.db_name, "user_ID": 1,
        "message": {"action": action, "session_id": 2, "login_number": 1,
                    "data": {**data, "pos_id": 2, "run_ID": 1}}})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_same_line_conflict_names_the_till_whose_change_was_kept(addon_instance, shop):
    page, url = shop
    add(page, "Espresso")
    uuid = page.evaluate("window.comptoirPos.currentOrder().uuid")
    page.wait_for_function("() => document.body.dataset.multiSession === 'online'")
    orders = []
    for _ in range(50):
        orders = as_bar(addon_instance, url, "sync_all",
                        {"immediate_rerendering": True, "uid": uuid})["data"]["orders"]
        if orders:
            break
        page.wait_for_timeout(100)
    server_copy = orders[0]["data"]

    def bar_changes_the_line_first(route):
        """Shop's next update leaves only after Bar changed the same line on the server."""
        body = json.loads(route.request.post_data)
        if body["message"]["action"] == "update_order" and not bar_changes_the_line_first.done:
            bar_changes_the_line_first.done = True
            [line] = [triple[2] for triple in server_copy["lines"]]
            bar = {"pos": {"id": 2, "name": "Bar"}, "user": {"id": 1, "name": "admin"}}
            changed = {**line, "qty": "3", "ms_info": {"created": line.get("ms_info", {})
                                                       .get("created"), "changed": bar}}
            reply = as_bar(addon_instance, url, "update_order", {
                **server_copy, "lines": [changed], "nonce": "bar-1", "new_order": False})
            assert reply["conflicts"] == []
        route.continue_()
    bar_changes_the_line_first.done = False
    page.route("**/pos_multi_session_sync/update", bar_changes_the_line_first)
    add(page, "Espresso")  # the same line, quantity 2
    toast = page.locator("#toast")
    expect(toast).to_contain_text("Bar changed the same line at the same time; Bar's change "
                                  "was kept, this till's (Shop) was not.", timeout=5000)
    page.wait_for_function("""(uuid) => window.comptoirPos.openOrders()
        .find((o) => o.uuid === uuid).lines[0].qty === '3'""", arg=uuid, timeout=5000)


def test_the_run_ended_because_every_session_closed_says_so(addon_instance, shop, monkeypatch):
    page, _ = shop
    monkeypatch.setenv("CORE_ADDONS_PATH", "")
    runner = CliRunner()
    for config_id in ("1", "2"):
        result = runner.invoke(cli, ["--db", addon_instance.url, "pos", "close", config_id])
        assert result.exit_code == 0, result.output
    add(page, "Espresso")  # the till learns it from the sync server's answer
    expect(page.get_by_text(re.compile(
        r"every session of Shop floor was closed, this till's included"))).to_be_visible(
        timeout=5000)
    assert "a new one started" not in page.content()
