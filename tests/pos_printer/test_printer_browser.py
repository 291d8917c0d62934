"""The till's page with a network receipt printer (the loopback emulator), in Chromium against a
real server: a cash sale opens the drawer and prints its receipt once the server has the order;
a manager's Open drawer; a copy asked for while the printer is off prints when it is back."""
import re

import pytest

from tests.browser import PosServer, expect, prepare_database, sign_in_to_till, watch_errors
from tests.pos_printer.printer_emulator import decode

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


def test_a_cash_sale_opens_the_drawer_and_prints_its_receipt(browser_context, db_url,
                                                              tmp_path, printer):
    database = prepare_database(db_url, addons=("pos_printer",))
    database.execute("INSERT INTO core_record_setting (form, record_id, field, addon, value) "
                     "VALUES ('pos.config', 1, 'printer_address', 'pos_printer', :address)",
                     address=printer.address)
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in_to_till(page, server.url, 1, "push_retry_ms=100&print_retry_ms=300")
        body = page.locator("body")
        expect(body).to_have_attribute("data-printer", "ready")
        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        page.get_by_role("button", name=re.compile(r"^Pay")).click()
        page.get_by_label("Cash received").fill("5")
        page.get_by_role("button", name="Validate").click()
        expect(body).to_have_attribute("data-drawer", "opened")
        expect(body).to_have_attribute("data-printer", "printed")
        received = decode(printer.received())
        assert received.pulses == [(0, 100, 100)] and received.cuts == 1
        assert any(line.startswith("Espresso") for line in received.lines)

        page.get_by_role("button", name="Open drawer").click()
        expect(page.locator("#toast")).to_be_hidden(timeout=6000)
        assert len(decode(printer.received()).pulses) == 2

        printer.stop()
        page.get_by_role("button", name="Print on printer").click()
        expect(body).to_have_attribute("data-printer", "queued")
        expect(page.locator("#toast")).to_contain_text("waits in the print queue")
        printer.start()
        expect(body).to_have_attribute("data-printer", "printed", timeout=8000)
        copy = decode(printer.jobs[-1])
        assert "DUPLICATE 1" in copy.text and copy.cuts == 1
        assert decode(printer.received()).cuts == 2  # the receipt and its one copy
        # The copy is a duplicate numbered and journaled by the server (point_of_sale).
        assert database.scalar("SELECT count(*) FROM point_of_sale_journal_event "
                               "WHERE kind = 'duplicate'") == 1
        page.get_by_role("button", name="Print receipt").click()  # the browser's stays
        assert errors == []
    finally:
        server.stop()
