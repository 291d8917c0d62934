"""A barcode scanner that types like a keyboard, on the till in Chromium against a real server:
a scan adds its product wherever the focus is on the sell screen, weight and price labels of
the prefixes the shop declared become a line of their own with the weight or the price, and a
person typing at a person's speed still searches."""
import pytest

from tests.browser import PosServer, expect, prepare_database, sign_in_to_till, watch_errors

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


def ean13(twelve):
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return twelve + str((10 - total % 10) % 10)


def lines(page):
    return page.evaluate("window.comptoirPos.currentOrder().lines.map("
                         "(l) => [l.name, l.qty, l.price_unit])")


def scan(page, code):
    # A scanner's keys, back to back: any sleep between them is one more chance for a loaded
    # machine to hold this process past the gap (CI with two suites at once saw it).
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_scans_anywhere_on_the_sell_screen_add_products_weights_and_prices(
        browser_context, db_url, tmp_path):
    database = prepare_database(db_url)
    for field, value in (("barcode_weight_prefixes", "21 22"), ("barcode_price_prefixes", "23")):
        database.execute("INSERT INTO core_record_setting (form, record_id, field, addon, value) "
                         "VALUES ('pos.config', 1, :field, 'point_of_sale', :value)",
                         field=field, value=value)
    database.execute("INSERT INTO point_of_sale_product (id, name, barcode, price, tax_rate, "
                     "category, active) VALUES (40, 'Comté', :weighed, 20.00, 5.50, 'Deli', "
                     "true), (41, 'Fruit tart', '2354321', 10.00, 10.00, 'Deli', true)",
                     weighed=ean13("211234500000"))
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in_to_till(page, server.url, 1, "push_retry_ms=100")
        body = page.locator("body")
        expect(body).to_have_attribute("data-ready", "true")
        # A scanner's keys come a few ms apart; a loaded CI machine may delay them: 250 ms is
        # still well below a person's pace (the person here types a key every 400 ms).
        page.evaluate("document.body.dataset.scanGapMs = '250'")
        page.locator("#order-lines").click()  # the focus on nothing that takes text

        scan(page, "2000000000015")  # the demo's Espresso
        expect(body).to_have_attribute("data-last-scan", "unit")
        assert lines(page) == [["Espresso", "1", "1.80"]]

        page.get_by_label("Search or scan a barcode").click()
        page.keyboard.type("Cro", delay=400)  # a person, searching
        scan(page, ean13("211234501234"))  # 1.234 kg of Comté, scanned mid-search
        expect(body).to_have_attribute("data-scans", "2")
        assert lines(page)[-1] == ["Comté", "1.234", "20.00"]
        expect(page.get_by_label("Search or scan a barcode")).to_have_value("Cro")

        page.get_by_label("Search or scan a barcode").fill("")
        page.locator("#order-lines").click()
        scan(page, ean13("235432101100"))  # a tart labelled 11.00 with tax: 1 at 10.00 + 10 %
        expect(body).to_have_attribute("data-last-scan", "price")
        assert lines(page)[-1] == ["Fruit tart", "1.000", "10.00"]
        expect(page.locator("#total")).to_contain_text("39.02")  # 1.98 + 26.04 + 11.00

        # A person typing a name and Enter: the search answers, as it always did; no scan.
        page.get_by_label("Search or scan a barcode").click()
        page.keyboard.type("Espresso", delay=400)
        page.keyboard.press("Enter")
        expect(page.locator("#toast")).to_contain_text("2 products match “Espresso”")
        assert len(lines(page)) == 3
        expect(body).to_have_attribute("data-scans", "3")

        # A scanned code no product has: the search field says so.
        page.locator("#order-lines").click()
        scan(page, "9780201379624")
        expect(page.locator("#toast")).to_contain_text("No product with barcode 9780201379624")
        assert len(lines(page)) == 3
        assert errors == []
    finally:
        server.stop()
