"""The till's admin page in Chromium: a manager of the till presses *Test connection* and reads
each check in words (the central running, then stopped), and changes the central server's
address."""
import pytest

from tests.browser import expect, screenshot, watch_errors
from tests.pos_autonomous.conftest import TILL_MANAGER, TILL_MANAGER_PIN
from tests.pos_autonomous.test_admin_browser import sign_in
from tests.support import BUILT_IN_ADDONS_ONLY, start_core_server, stop_process_group

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(120)]


def test_a_manager_tests_the_connection_and_changes_the_address(
        browser_context, central_server, make_till, tmp_path):
    till_url = make_till(1, "--cashier", TILL_MANAGER)
    till_server = start_core_server(till_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    page = browser_context.new_page()
    errors = watch_errors(page)
    try:
        sign_in(page, till_server.url, TILL_MANAGER, TILL_MANAGER_PIN)
        page.get_by_role("button", name="Test connection").first.click()
        flashes = page.locator(".flash")
        expect(flashes.first).to_have_text("The connection to the central server works.")
        expect(flashes.nth(1)).to_contain_text(f"Address: the central server answers at "
                                               f"{central_server.url}")
        expect(flashes.nth(2)).to_contain_text("Credentials: accepted: this is till 1")
        expect(flashes.nth(3)).to_contain_text("Clock: this till's clock agrees")
        expect(flashes.nth(4)).to_contain_text("Versions: compatible")
        screenshot(page, "pos_autonomous_till_test_connection.png")

        central_server.kill()
        page.get_by_role("button", name="Test connection").first.click()
        expect(flashes.first).to_have_text(
            "The connection to the central server does not work: see below.")
        expect(flashes.nth(1)).to_contain_text("Address: cannot reach the central server")
        expect(flashes.nth(1)).to_have_class("flash error")
        expect(flashes.nth(2)).to_contain_text("Credentials: not tested")
        screenshot(page, "pos_autonomous_till_test_connection_failed.png")

        page.get_by_label("Address of the central server").fill("https://central.example.com")
        page.get_by_role("button", name="Change the address").click()
        expect(flashes.first).to_contain_text(
            f"Server address changed from {central_server.url} to https://central.example.com")
        expect(page.get_by_label("Address of the central server")).to_have_value(
            "https://central.example.com")
        assert errors == []
    finally:
        stop_process_group(till_server.process)
