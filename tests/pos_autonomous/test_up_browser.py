"""What a person sees of the up direction, in Chromium: the till's POS page indicator counts the
tickets waiting to go up and stops once the central server acknowledged them; the central admin
then shows the till's last acknowledged ticket and no open alarm."""
import re

import pytest
from sqlalchemy import create_engine

from addons.pos_autonomous.synchroniser import Synchroniser
from core.addons import AddonCatalog
from core.instance import Instance
from tests.browser import expect, screenshot, sign_in_to_till, watch_errors
from tests.pos_autonomous.up_helpers import sell, token_of
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    start_core_server,
    stop_process_group,
)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(180)]


def sign_in(page, url):
    page.goto(url + "/web/pos_autonomous/")
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/web/pos_autonomous/"))


def test_the_pos_indicator_counts_what_waits_and_the_central_admin_what_arrived(
        browser_context, central, central_server, make_till, tmp_path):
    till_url = make_till(1, "--cashier", ADMIN_LOGIN)
    engine = create_engine(till_url)
    sell(engine, 2)
    engine.dispose()
    till_server = start_core_server(till_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    page = browser_context.new_page()
    errors = watch_errors(page)
    try:
        sign_in_to_till(page, till_server.url, query="from=test")
        chip = page.locator("#pos-autonomous-state")
        expect(chip).to_contain_text("2 waiting to go up", timeout=15000)
        expect(page.get_by_role("button", name=re.compile(r"^Espresso"))).to_be_visible(
            timeout=15000)  # the page sells while tickets wait
        screenshot(page, "pos_autonomous_up_waiting.png")
        till = Instance(till_url, AddonCatalog())
        synchroniser = Synchroniser(till)
        synchroniser.sync_once()
        synchroniser.client.close()
        page.reload()
        expect(chip).to_contain_text("synchronised", timeout=15000)
        expect(chip).not_to_contain_text("waiting")
        till_id = token_of(till).split(".")[0]
        till.engine.dispose()

        central_page = browser_context.new_page()
        sign_in(central_page, central_server.url)
        row = central_page.locator(f"#till-push-{till_id} td")
        expect(row.nth(3)).to_have_text("2")
        expect(row.nth(5)).to_have_text("0")
        expect(central_page.locator("#alarms")).to_contain_text("No open alarm.")
        expect(central_page.locator("#acknowledgements")).to_contain_text(re.compile(r"1–2"))
        central_page.locator("#up").scroll_into_view_if_needed()
        screenshot(central_page, "pos_autonomous_up_central.png")
        assert errors == []
    finally:
        stop_process_group(till_server.process)
