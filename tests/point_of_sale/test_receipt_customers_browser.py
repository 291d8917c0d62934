"""The receipt and the customers at the till, in a real browser against a real server: the
receipt in two locales and currencies (fr-FR EUR with prices shown with tax, en-US USD without),
order numbers that skip none for a deleted order, and customers searched, created from the
template customer, changed, and refused offline. Screenshots in test-artifacts/."""
import re

import pytest

from tests.browser import expect, prepare_database, screenshot, watch_errors
from tests.point_of_sale.test_pos_page_browser import (
    pay_cash,
    product,
    sign_in,
    wait_until_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(90)]

NBSP = re.compile("[\u00a0\u202f]")


@pytest.fixture
def server(db_url, tmp_path):
    from tests.browser import PosServer
    server = PosServer(prepare_database(db_url), tmp_path)
    yield server.start()
    server.stop()


def set_config(server, **values):
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    server.database.execute(f"UPDATE point_of_sale_config SET {assignments} WHERE id = 1",
                            **values)


def pay_cash_in_french(page, amount=None):
    """pay_cash on a till that speaks French."""
    page.get_by_role("button", name=re.compile(r"^Encaisser")).click()
    expect(page.get_by_role("heading", name="Paiement")).to_be_visible()
    if amount is None:
        page.get_by_role("button", name="Exact").click()
    else:
        page.get_by_label("Montant reçu (Espèces)").fill(amount)
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#receipt")).to_be_visible()


def text(locator):
    """The element's text with no-break spaces as spaces (Intl puts them in amounts)."""
    return NBSP.sub(" ", locator.inner_text())


def test_the_receipt_in_the_shops_locale_and_currency_and_numbers_that_skip_none(
        browser_context, server):
    set_config(server, locale="fr-FR", currency_code="EUR", prices_include_tax=True)
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)
    # Cards and lines show unit prices with tax, as the config says: 1.80 + 10 % = 1,98 €.
    expect(product(page, "Espresso")).to_contain_text("1,98")
    product(page, "Espresso").click()
    product(page, "Espresso").click()
    product(page, "Croissant").click()
    lines = page.locator("#order-lines .line")
    assert text(lines.nth(0)).endswith("3,96 €")
    assert "2 × 1,98 €" in text(lines.nth(0))
    pay_cash_in_french(page, "10")
    receipt = page.locator("#receipt")
    content = text(receipt)
    for expected in ["Comptoir Café", "12 rue des Halles", "69001 Lyon",
                     "N° TVA FR 32 123456789", "Commande #0001", "Commande 00001-001-0001",
                     "2 × 1,98 €", "Total HT", "5,20 €",
                     "TVA 5,5 % sur 1,60 €", "0,09 €", "TVA 10 % sur 3,60 €", "0,36 €",
                     "Total TTC", "5,65 €", "Espèces", "10,00 €", "Rendu", "4,35 €", "Merci !"]:
        assert expected in content, (expected, content)
    assert re.search(r"\d\d/\d\d/20\d\d \d\d:\d\d", content), content  # the French date
    assert "null" not in content
    screenshot(page, "receipt-fr-FR-EUR.png")

    # A new order, one more opened with "+" and deleted unpaid: the next paid one is #0002,
    # and the order after it #0003 (the deleted one's number is not lost).
    page.get_by_role("button", name="Nouvelle commande").click()
    page.get_by_role("button", name="Ajouter une commande").click()
    expect(page.get_by_role("tab")).to_have_count(2)
    page.get_by_role("button", name="Supprimer la commande").click()
    expect(page.get_by_role("tab")).to_have_count(1)
    product(page, "Croissant").click()
    pay_cash_in_french(page)
    expect(page.locator("#receipt")).to_contain_text("Commande #0002")
    page.get_by_role("button", name="Nouvelle commande").click()
    expect(page.get_by_role("tab")).to_have_text(re.compile("#0003"))

    # The shop goes to en-US and USD, prices without tax: after a reload the till follows.
    set_config(server, locale="en-US", currency_code="USD", prices_include_tax=False)
    page.reload()
    wait_until_ready(page)
    expect(product(page, "Espresso")).to_contain_text("$1.80")
    product(page, "Espresso").click()
    product(page, "Beer").click()
    expect(page.locator("#order-lines .line").nth(1)).to_contain_text("1 × $4.50")
    pay_cash(page, "20")
    content = text(page.locator("#receipt"))
    for expected in ["Order #0003", "1 × $4.50 excl. tax", "Total excl. tax", "$6.30",
                     "Tax 10 % on $1.80", "$0.18", "Tax 20 % on $4.50", "$0.90",
                     "$7.38", "$20.00", "$12.62"]:
        assert expected in content, (expected, content)
    assert re.search(r"\d{1,2}/\d{1,2}/\d\d, \d{1,2}:\d\d [AP]M", content), content
    screenshot(page, "receipt-en-US-USD.png")
    assert errors == []


def test_customers_are_searched_created_from_the_template_changed_and_refused_offline(
        browser_context, server):
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)
    page.locator("#customer-button").click()
    dialog = page.get_by_role("dialog", name="Customer")
    results = page.locator("#customer-results")

    # Search by a phone as typed: Bruno.
    page.get_by_label("Search customers").fill("98 76")
    expect(results.locator("li")).to_have_count(1)
    expect(results).to_contain_text("Bruno Lefèvre")

    # Change Alice's e-mail.
    page.get_by_label("Search customers").fill("alice")
    expect(results.locator("li")).to_have_count(1)
    dialog.get_by_role("button", name="Change Alice Martin").click()
    page.get_by_label("E-mail").fill("alice.martin@example.com")
    dialog.get_by_role("button", name="Save").click()
    expect(results).to_contain_text("alice.martin@example.com")

    # Create one: the server fills the rest from the template (city Lyon), the order gets it.
    page.get_by_label("Search customers").fill("Chloé Durand")
    expect(page.locator("#customer-note")).to_contain_text("No customer matches")
    dialog.get_by_role("button", name="New customer").click()
    expect(page.get_by_label("Name")).to_have_value("Chloé Durand")
    page.get_by_label("Phone").fill("06 11 22 33 44")
    screenshot(page, "customer-create.png")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#customer-name")).to_have_text("Chloé Durand")
    assert server.database.scalar(
        "SELECT city FROM point_of_sale_partner WHERE name = 'Chloé Durand'") == "Lyon"
    assert server.database.scalar(
        "SELECT email FROM point_of_sale_partner WHERE id = 2") == "alice.martin@example.com"

    # Offline: searching uses what the till holds; creating is refused with a reason.
    page.context.set_offline(True)
    page.locator("#customer-button").click()
    page.get_by_label("Search customers").fill("chlo")
    expect(page.locator("#customer-note")).to_contain_text("Offline")
    expect(results).to_contain_text("Chloé Durand")
    page.get_by_label("Search customers").fill("Dan")
    dialog.get_by_role("button", name="New customer").click()
    page.get_by_label("Name").fill("Dan Offline")
    dialog.get_by_role("button", name="Save").click()
    expect(page.locator("#customer-form-error")).to_contain_text(
        "Creating a customer needs the connection to the server")
    screenshot(page, "customer-offline-refusal.png")
    page.context.set_offline(False)
    assert server.database.scalar(
        "SELECT count(*) FROM point_of_sale_partner WHERE name = 'Dan Offline'") == 0

    # Back online, the cashier cancels Chloé's creation: deleted on the server, off the order.
    page.locator("#customer-form-cancel").click()
    page.get_by_label("Search customers").fill("chlo")
    dialog.get_by_role("button", name="Cancel the creation of Chloé Durand").click()
    expect(page.locator("#toast")).to_contain_text("The creation of Chloé Durand is cancelled")
    screenshot(page, "customer-creation-cancelled.png")
    expect(results.locator("li")).to_have_count(0)
    assert server.database.scalar(
        "SELECT count(*) FROM point_of_sale_partner WHERE name = 'Chloé Durand'") == 0
    expect(page.locator("#customer-name")).not_to_have_text("Chloé Durand")
    assert errors == []
