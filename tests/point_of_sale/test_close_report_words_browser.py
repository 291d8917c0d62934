"""The words of the refund and closing screens (issue #27, item 6), on a till outside any
multi-session: no literal "null" on the close screen, the refund screen names the refunded
order once, the report counts sales apart from refunds and names payment methods as the till
shows them (not their codes)."""
import re

import pytest

from tests.browser import PosServer, expect, prepare_database, screenshot, watch_errors
from tests.point_of_sale.every_addon import sell
from tests.point_of_sale.test_pos_page_browser import (
    sign_in,
    sync_status,
    wait_until_ready,
)

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


def test_refund_and_close_screens_say_it_plainly(db_url, tmp_path, browser_context):
    server = PosServer(prepare_database(db_url), tmp_path).start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in(page, server)
        wait_until_ready(page)
        sale = sell(page, "Espresso")

        page.get_by_role("button", name="Orders").click()
        page.locator(f'.past-order[data-uuid="{sale}"]').click()
        page.get_by_role("button", name="Refund all").click()
        page.locator("#refund-button").click()
        expect(page.locator("#payment-title")).to_have_text("Refund")
        reference = page.locator("#payment-reference").text_content()
        assert reference.count("Order 00001-") == 1, reference  # not "Refund of X, refunding X"
        assert "refunding" not in reference and reference.startswith("Refund of"), reference
        page.get_by_role("button", name="Validate").click()
        expect(page.locator("#receipt-status")).to_have_text("Refunded")
        page.locator("#next-order").click()
        expect(sync_status(page)).to_have_text("synced", timeout=10000)

        page.get_by_role("button", name="Close", exact=True).click()
        card = page.locator("#close-card")
        expect(card.get_by_role("heading", name=re.compile("Close session"))).to_be_visible()
        assert "null" not in card.text_content(), card.text_content()
        expect(page.locator("#close-summary")).to_contain_text("1 sale · 1 refund")
        page.get_by_label("Cash counted in the drawer").fill("0")
        page.get_by_role("button", name="Close session").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Close session").click()
        expect(card.get_by_role("heading", name=re.compile("closed"))).to_be_visible()
        summary = page.locator("#report-summary")
        expect(summary).to_contain_text("Sales1")
        expect(summary).to_contain_text("Refunds1 · ")
        methods = page.locator(".report-table").nth(1)
        expect(methods).to_contain_text("Cash")
        assert "cash" not in methods.locator("tbody").text_content(), methods.text_content()
        assert "null" not in card.text_content()
        screenshot(page, "pos-close-report-words.png")
        assert errors == []
    finally:
        server.stop()
