"""What a person sees of the up direction, in Chromium: the till's POS page indicator counts the
tickets waiting to go up and stops once the central server acknowledged them; the central admin
then shows the till's last acknowledged ticket and no open alarm. Customer changes held because
the central admin switched their table off are said, with why, on the till's admin and in the
indicator."""
import re

import pytest
from sqlalchemy import create_engine, select

from addons.point_of_sale import Partner
from addons.pos_autonomous.declarations import set_row
from addons.pos_autonomous.till.synchroniser import Synchroniser
from core.addons import AddonCatalog
from core.instance import Instance
from tests.browser import expect, screenshot, sign_in_to_till, watch_errors
from tests.pos_autonomous.conftest import TILL_MANAGER, TILL_MANAGER_PIN
from tests.pos_autonomous.test_customers_up import till_client
from tests.pos_autonomous.up_helpers import sell, token_of
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    start_core_server,
    stop_process_group,
)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(180)]


def sign_in(page, url, login=ADMIN_LOGIN, secret=ADMIN_PASSWORD):
    """The admin page of `url`: the central's admin, or on a till its manager with the PIN."""
    page.goto(url + "/web/pos_autonomous/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/web/pos_autonomous/"))


def test_the_pos_indicator_counts_what_waits_and_the_central_admin_what_arrived(
        browser_context, central, central_server, make_till, tmp_path):
    till_url = make_till(1, "--cashier", TILL_MANAGER)
    engine = create_engine(till_url)
    sell(engine, 2)
    engine.dispose()
    till_server = start_core_server(till_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    page = browser_context.new_page()
    errors = watch_errors(page)
    try:
        sign_in_to_till(page, till_server.url, query="from=test", login=TILL_MANAGER,
                        secret=TILL_MANAGER_PIN)
        chip = page.locator("#pos-autonomous-state")
        expect(chip).to_contain_text("2 waiting to go up", timeout=15000)
        # The page's one status says it, not a grey line under a green "synced" (#27 item 2).
        status = page.locator("#sync-indicator")
        expect(status).to_contain_text("not synchronised yet")
        expect(status).to_have_attribute("data-state", "waiting")
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
        page.wait_for_function(
            "() => window.comptoirPos.status.current().channels.central?.level === 'ok'")
        expect(page.locator("#sync-indicator")).not_to_contain_text("central server")
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


def test_the_till_shows_customer_changes_held_by_a_switched_off_table(
        browser_context, central, central_server, make_till, tmp_path):
    till_url = make_till(1, "--cashier", TILL_MANAGER)
    with central.engine.begin() as connection:  # the central admin switched the up row off
        set_row(connection, "point_of_sale.partner", "up", active=False)
    till, client, headers = till_client(till_url)
    customer_id = till_engine_partner_id(till)
    edited = client.post(f"/pos/customers/{customer_id}", headers=headers,
                         json={"config_id": 1, "phone": "07 11 22 33 44"})
    assert edited.status_code == 200, edited.get_json()
    synchroniser = Synchroniser(till)
    synchroniser.sync_once()  # held, not an error
    synchroniser.client.close()
    till.engine.dispose()
    till_server = start_core_server(till_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    page = browser_context.new_page()
    errors = watch_errors(page)
    try:
        sign_in(page, till_server.url, TILL_MANAGER, TILL_MANAGER_PIN)
        held = page.locator("#up-customers-held")
        expect(held).to_contain_text(re.compile(r"1 customer change\(s\) held: .*switched off"))
        expect(page.locator("#sync-last-error td")).to_have_text("none")
        held.scroll_into_view_if_needed()
        screenshot(page, "pos_autonomous_till_customers_held.png")
        pos = browser_context.new_page()  # signed in already, by the admin page
        pos.goto(f"{till_server.url}/pos/ui/1?from=test")
        chip = pos.locator("#pos-autonomous-state")
        expect(chip).to_contain_text("1 waiting to go up", timeout=15000)
        expect(chip).to_have_attribute("title", re.compile(r"customer changes held: .*switched"))
        assert errors == []
    finally:
        stop_process_group(till_server.process)


def till_engine_partner_id(till):
    """A customer the till has (the demo's, come down with its data)."""
    with till.engine.connect() as connection:
        return connection.scalar(select(Partner.id).where(
            Partner.is_customer_template.is_(False), Partner.active.is_(True)).order_by(
            Partner.id))
