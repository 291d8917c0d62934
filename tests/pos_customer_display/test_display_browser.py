"""The customer display with two pages in Chromium against a real server: the cashier's till
and the display (/pos/ui/1/display, the same signed-in browser, as a second screen). The
display follows the order as lines are tapped, shows the payment's change, then welcomes the
next customer, all in the till's language (fr-FR here), as the shop's customers read it."""
import re

import pytest

from tests.browser import PosServer, expect, prepare_database, sign_in_to_till, watch_errors

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


def test_the_display_follows_the_order_the_cashier_builds(browser_context, db_url, tmp_path):
    database = prepare_database(db_url, addons=("pos_customer_display",))
    database.execute("UPDATE point_of_sale_config SET currency_code = 'EUR', locale = 'fr-FR' "
                     "WHERE id = 1")
    server = PosServer(database, tmp_path)
    server.start()
    try:
        till = browser_context.new_page()
        errors = watch_errors(till)
        sign_in_to_till(till, server.url, 1, "push_retry_ms=100")
        expect(till.locator("body")).to_have_attribute("data-ready", "true")
        display = browser_context.new_page()  # the second screen, signed in as the till is
        errors += watch_errors(display)
        display.goto(f"{server.url}/pos/ui/1/display?bus_poll_timeout=5")
        expect(display.locator("body")).to_have_attribute("data-state", re.compile("idle"))
        expect(display.get_by_text("Bienvenue")).to_be_visible()

        products = till.locator("#products")
        products.get_by_role("button", name=re.compile("^Espresso ")).click()
        expect(display.locator("body")).to_have_attribute("data-state", "open")
        expect(display.locator("#lines li")).to_have_count(1)
        products.get_by_role("button", name=re.compile("^Espresso ")).click()
        products.get_by_role("button", name=re.compile("^Croissant ")).click()
        lines = display.get_by_role("list", name="Votre commande")
        expect(lines.locator("li")).to_have_count(2)
        expect(lines.locator("li").first).to_contain_text("2 ×Espresso")
        expect(lines.locator("li").first).to_contain_text("3,96\u00a0€")
        expect(display.locator("#total")).to_have_text("5,65\u00a0€")
        expect(display.get_by_text("Bienvenue")).to_be_hidden()

        till.locator("#pay-button").click()  # the till speaks French here: by id
        till.locator("#cash-input").fill("10")
        till.locator("#validate-payment").click()
        expect(display.locator("body")).to_have_attribute("data-state", "paid")
        expect(display.locator("#thanks")).to_have_text("Merci ! Votre monnaie : 4,35\u00a0€")

        till.locator("#next-order").click()
        expect(display.locator("body")).to_have_attribute("data-state", "idle")
        expect(display.get_by_text("Bienvenue")).to_be_visible()
        assert errors == []
    finally:
        server.stop()
