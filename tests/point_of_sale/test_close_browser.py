"""Closing a session on the till as a manager does, in a real browser against a real server:
the warning about the other till of the multi-session, the cash count and its difference, the
confirmation, then the sealed session report (which a closed-session block does not hide)."""
import re

import pytest

from core.addons import AddonCatalog
from core.instance import Instance
from tests.browser import (
    PosServer,
    expect,
    prepare_database,
    screenshot,
    sign_in_to_till,
    watch_errors,
)

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


def test_a_manager_closes_the_session_with_a_cash_count_and_sees_the_report(
        browser_context, db_url, tmp_path):
    database = prepare_database(db_url, addons=("pos_multi_session", "pos_check_session_state"))
    instance = Instance(db_url, AddonCatalog())
    with instance.engine.begin() as connection:
        from addons.point_of_sale.sessions import open_session
        open_session(connection, 2)  # Bar, in the demo multi-session "Shop floor" with Shop
    instance.engine.dispose()
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in_to_till(page, server.url, 1, "push_retry_ms=100&push_retry_max_ms=800")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        page.get_by_role("button", name=re.compile(r"^Pay")).click()
        page.get_by_label("Cash received").fill("10")
        page.get_by_role("button", name="Validate").click()
        expect(page.locator("#receipt .receipt-ticket")).to_contain_text("Ticket 1 · ")
        page.get_by_role("button", name="New order").click()

        page.get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_role("heading", name="Close session Shop/00001")).to_be_visible()
        expect(page.locator(".close-warnings")).to_contain_text(
            "Bar/00001 (Bar) is still open in multi-session Shop floor")
        counted = page.get_by_label("Cash counted in the drawer")
        counted.fill("5")
        expect(page.locator("#cash-difference")).to_have_text("Expected 1.98 · difference +3.02")
        screenshot(page, "pos-close-count.png")
        page.get_by_role("button", name="Close session").click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("Close session Shop/00001 with 5.00 counted?")
        dialog.get_by_role("button", name="Close session").click()

        expect(page.get_by_role("heading", name="Session Shop/00001 closed")).to_be_visible()
        expect(page.locator("#closing-ticket")).to_contain_text("Closing sealed as ticket 2 · ")
        summary = page.locator("#report-summary")
        expect(summary).to_contain_text("Expected cash1.98")
        expect(summary).to_contain_text("Counted cash5.00")
        expect(summary).to_contain_text("Difference+3.02")
        expect(page.locator(".report-table").nth(1)).to_contain_text("Cash1.98")
        expect(page.locator(".report-table").nth(2)).to_contain_text("10 %1.800.181.98")
        # pos_check_session_state hears of the closing on the bus: the report stays in view.
        page.wait_for_timeout(2500)
        expect(page.locator("#block-dialog")).to_be_hidden()
        screenshot(page, "pos-close-report.png")
        assert database.scalar("SELECT counted_cash FROM point_of_sale_closing") in ("5.00", 5)
        assert database.scalar("SELECT state FROM point_of_sale_session WHERE id = 1") == "closed"
        page.get_by_role("button", name="Done").click()
        expect(page.get_by_role("heading", name="Shop is closed")).to_be_visible()
        assert errors == []
    finally:
        server.stop()
