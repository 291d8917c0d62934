"""A French shop's till, in a real browser against a real server: the demo's Boutique (fr-FR,
EUR) sells, edits a line's price with tax, picks and creates a customer, is paid with the
keypad's comma, prints its receipt, refunds the sale and closes its session; on every screen no
English word of the catalogs shows (data such as product names aside). Screenshots in
test-artifacts/french-*.png."""
import re
from pathlib import Path

import pytest
import yaml

from tests.browser import PosServer, expect, prepare_database, screenshot, watch_errors
from tests.i18n.catalogs import english_on, english_words
from tests.point_of_sale.test_pos_page_browser import product, sign_in, wait_until_ready
from tests.support import ADMIN_LOGIN

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(120)]

BOUTIQUE = 3
NBSP = re.compile("[\u00a0\u202f]")
DEMO = Path(__file__).resolve().parents[2] / "addons" / "point_of_sale" / "demo" / "data.yaml"


def demo_data_text():
    """The demo's own words (product, category, customer and shop names): data, not messages."""
    data = yaml.safe_load(DEMO.read_text())
    return [str(row.get(key) or "") for rows in data.values() for row in rows
            for key in ("name", "category", "shop_name")]


@pytest.fixture
def server(db_url, tmp_path):
    # With the session check and the bus: their status words are on screen too.
    database = prepare_database(db_url, addons=("pos_check_session_state", "pos_longpolling"))
    _open_boutique(database)
    server = PosServer(database, tmp_path)
    yield server.start()
    server.stop()


def _open_boutique(database):
    from core.addons import AddonCatalog
    from core.instance import Instance
    instance = Instance(database.url, AddonCatalog())
    try:
        from addons.point_of_sale.sessions import open_session
        with instance.engine.begin() as connection:
            open_session(connection, BOUTIQUE)
    finally:
        instance.engine.dispose()


def visible(page):
    return NBSP.sub(" ", page.locator("body").inner_text())


def assert_no_english(page, words, where):
    # The signed-in user's login shows at the till: data too.
    found = english_on(visible(page), words, demo_data_text() + [ADMIN_LOGIN])
    assert found == [], f"English on the {where} screen: {found}\n{visible(page)}"


def test_a_french_shop_sells_refunds_and_closes_in_french(browser_context, server):
    words = english_words()
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server, BOUTIQUE)
    wait_until_ready(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # Selling: cards with tax (1,69 € for a croissant at 5.5 %), two croissants and a pain au
    # chocolat; the line editor asks for the price with tax, as the card shows it.
    expect(product(page, "Croissant")).to_contain_text("1,69 €")
    product(page, "Croissant").click()
    product(page, "Croissant").click()
    product(page, "Pain au chocolat").click()
    page.locator("#order-lines .line").first.click()
    price = page.get_by_label("Prix unitaire TTC")
    expect(price).to_have_value("1,69")
    price.fill("1,50")
    expect(page.locator("#order-lines .line").first).to_contain_text("2 × 1,50 €")
    expect(page.locator("#pay-button")).to_have_text("Encaisser 4,90 €")
    assert_no_english(page, words, "sell")
    screenshot(page, "french-sell.png")

    # The customer dialog: Alice found, a new customer created from the template.
    page.locator("#customer-button").click()
    dialog = page.get_by_role("dialog", name="Client")
    page.get_by_label("Rechercher un client").fill("alice")
    expect(page.locator("#customer-results li")).to_have_count(1)
    assert_no_english(page, words, "customer dialog")
    screenshot(page, "french-customers.png")
    dialog.get_by_role("button", name="Nouveau client").click()
    page.get_by_label("Nom").fill("Chloé Dupont")
    page.get_by_label("Téléphone").fill("06 11 22 33 44")
    assert_no_english(page, words, "new customer")
    dialog.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#customer-name")).to_have_text("Chloé Dupont")
    expect(page.locator("#toast")).to_have_text("Chloé Dupont est créé")

    # Paying in cash with the keypad: its separator key is a comma.
    page.get_by_role("button", name=re.compile("^Encaisser")).click()
    expect(page.get_by_role("heading", name="Paiement")).to_be_visible()
    expect(page.locator('#keypad [data-key="."]')).to_have_text(",")
    for key in ["1", "0", ".", "5"]:
        page.locator(f'#keypad [data-key="{key}"]').click()
    expect(page.locator("#cash-input")).to_have_value("10,5")
    expect(page.locator("#change-box")).to_contain_text("Rendu")
    expect(page.locator("#change-amount")).to_have_text("5,60 €")
    assert_no_english(page, words, "payment")
    screenshot(page, "french-payment.png")
    page.get_by_role("button", name="Valider").click()

    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text("Merci !")
    content = NBSP.sub(" ", receipt.inner_text())
    for expected in ["La Boutique du Comptoir", "8 place Bellecour", "N° TVA FR 61 987654321",
                     "Client : Chloé Dupont", "2 × 1,50 €", "Total HT", "TVA 5,5 % sur",
                     "Total TTC", "4,90 €", "Espèces", "10,50 €", "Rendu", "5,60 €",
                     "Boutique/00001 · Merci !"]:
        assert expected in content, (expected, content)
    assert_no_english(page, words, "receipt")
    screenshot(page, "french-receipt.png")

    # Refunding the whole sale from the past orders.
    page.get_by_role("button", name="Nouvelle commande").click()
    page.get_by_role("button", name="Commandes", exact=True).click()
    page.locator("#orders-list .past-order").first.click()
    expect(page.locator("#order-detail")).to_contain_text("1,50 €")  # the unit price with tax
    page.get_by_role("button", name="Tout rembourser").click()
    assert_no_english(page, words, "past orders")
    screenshot(page, "french-past-orders.png")
    page.get_by_role("button", name="Rembourser", exact=True).click()
    expect(page.get_by_role("heading", name="Remboursement")).to_be_visible()
    expect(page.locator("#payment-due-label")).to_have_text("À rembourser")
    assert_no_english(page, words, "refund payment")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#receipt-status")).to_have_text("Remboursé")
    expect(page.locator("#receipt")).to_contain_text(re.compile(r"Remboursement de Commande \d{5}-"))
    assert_no_english(page, words, "refund receipt")
    screenshot(page, "french-refund.png")

    # Closing the session: the count, the confirmation, the report.
    page.get_by_role("button", name="Nouvelle commande").click()
    page.get_by_role("button", name="Clôture", exact=True).click()
    expect(page.get_by_role("heading", name="Clôture de la session Boutique/00001")).to_be_visible()
    page.get_by_label("Espèces comptées dans le tiroir-caisse").fill("0,00")
    assert_no_english(page, words, "closing")
    screenshot(page, "french-closing.png")
    page.get_by_role("button", name="Clôturer la session").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Clôturer la session Boutique/00001 avec 0,00 € comptés ?")
    confirm.get_by_role("button", name="Clôturer la session").click()
    expect(page.get_by_role("heading", name="Session Boutique/00001 clôturée")).to_be_visible()
    expect(page.locator("#report-summary")).to_contain_text("Grand total perpétuel")
    expect(page.locator(".report-table").last).to_contain_text("5,5 %")
    assert_no_english(page, words, "session report")
    screenshot(page, "french-report.png")
    assert errors == []
