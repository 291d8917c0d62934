"""Cash control on the till, in a real browser against a real server: the opening float counted
by denomination, a cash in and a cash out with their reasons, a sale in cash, then the close
screen and the sealed report explaining the expected cash."""
import re

import pytest

from tests.browser import (
    PosServer,
    expect,
    prepare_database,
    screenshot,
    sign_in_to_till,
    watch_errors,
)

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


def test_a_manager_counts_the_float_records_cash_in_and_out_and_the_report_explains_it(
        browser_context, db_url, tmp_path):
    database = prepare_database(db_url)
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in_to_till(page, server.url, 1, "push_retry_ms=100&push_retry_max_ms=800")
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        page.get_by_role("button", name="Cash", exact=True).click()
        dialog = page.get_by_role("dialog", name="Cash")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Count by denomination").click()
        dialog.get_by_label("Count of 20", exact=True).fill("2")
        dialog.get_by_label("Count of 10", exact=True).fill("1")
        expect(dialog.get_by_label("Float counted in the drawer")).to_have_value("50.00")
        dialog.get_by_role("button", name="Record the float").click()
        expect(page.locator("#cash-moves")).to_contain_text("Opening float +50.00")
        expect(dialog.get_by_role("button", name="Record the float")).to_be_hidden()

        dialog.get_by_role("radio", name="Cash in").click()
        dialog.get_by_label("Amount").fill("10")
        dialog.get_by_label("Reason").fill("Coins from the bank")
        dialog.get_by_role("button", name="Record", exact=True).click()
        expect(page.locator("#cash-moves")).to_contain_text("Cash in +10.00 · Coins from the bank")
        dialog.get_by_role("radio", name="Cash out").click()
        dialog.get_by_label("Amount").fill("5")
        dialog.get_by_role("button", name="Record", exact=True).click()
        expect(page.locator("#toast")).to_contain_text("Say why the cash goes out")
        dialog.get_by_label("Reason").fill("Stamps")
        dialog.get_by_role("button", name="Record", exact=True).click()
        expect(page.locator("#cash-moves li")).to_have_count(3)
        expect(page.locator("#cash-expected")).to_contain_text("Expected in the drawer: 55.00")
        screenshot(page, "pos-cash-dialog.png")
        dialog.get_by_role("button", name="Close").click()

        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        page.get_by_role("button", name=re.compile(r"^Pay")).click()
        page.get_by_label("Cash received").fill("10")
        page.get_by_role("button", name="Validate").click()
        expect(page.locator("#receipt .receipt-ticket")).to_contain_text("Ticket 1 · ")
        page.get_by_role("button", name="New order").click()

        page.get_by_role("button", name="Close", exact=True).click()
        expect(page.locator("#expected-cash-parts")).to_have_text(
            "Expected 56.98 = float 50.00 + cash sales 1.98 − refunds 0.00 + in 10.00 − out 5.00")
        page.get_by_label("Cash counted in the drawer").fill("57")
        page.get_by_role("button", name="Close session").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Close session").click()
        expect(page.get_by_role("heading", name="Session Shop/00001 closed")).to_be_visible()
        summary = page.locator("#report-summary")
        expect(summary).to_contain_text("Opening float50.00")
        expect(summary).to_contain_text("Cash in10.00")
        expect(summary).to_contain_text("Cash out5.00")
        expect(summary).to_contain_text("Difference+0.02")
        expect(page.locator("#cash-explanation")).to_contain_text(
            "Counted 57.00: 0.02 more than expected (with 2 cash moves recorded")
        expect(page.get_by_role("table", name="Cash moves")).to_contain_text("Cash out5.00Stamps")
        screenshot(page, "pos-cash-report.png")
        assert database.scalar("SELECT count(*) FROM point_of_sale_cash_move") == 3
        assert errors == []
    finally:
        server.stop()
