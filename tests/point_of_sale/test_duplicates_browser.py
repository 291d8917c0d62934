"""Reprints on the POS page in a real browser (#25 item 4): in French, the server numbers each
copy (DUPLICATA n° 1, n° 2); a reprint made while the server is away says its number is
pending, is queued, and reaches the server's journal once it is back."""
import re

import pytest

from tests.browser import PosServer, expect, prepare_database, screenshot, watch_errors
from tests.point_of_sale.test_pos_page_browser import (
    product,
    sign_in,
    sync_status,
    wait_until_ready,
)

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]


def pay_exact_in_french(page):
    page.get_by_role("button", name=re.compile(r"^Encaisser")).click()
    page.get_by_role("button", name=re.compile(r"^(Montant exact|Exact)")).first.click()
    page.get_by_role("button", name="Valider").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    return receipt.get_attribute("data-uuid")


def reprint(page, uuid):
    page.get_by_role("button", name="Commandes").click()
    page.locator(f'.past-order[data-uuid="{uuid}"]').click()
    page.locator("#order-detail").get_by_role("button", name="Réimprimer").click()


def test_reprints_are_numbered_by_the_server_and_queued_offline_in_french(
        db_url, tmp_path, browser_context):
    database = prepare_database(db_url)
    database.execute("UPDATE point_of_sale_config SET locale = 'fr-FR' WHERE id = 1")
    server = PosServer(database, tmp_path).start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in(page, server)
        wait_until_ready(page)
        product(page, "Espresso").click()
        product(page, "Croissant").click()
        expect(page.locator("#total")).to_contain_text("3,67")
        sale = pay_exact_in_french(page)
        expect(sync_status(page)).to_have_text("synchronisé")
        page.get_by_role("button", name="Nouvelle commande").click()
        status = page.locator("#receipt-status")
        reprint(page, sale)
        expect(status).to_have_text("DUPLICATA n° 1")
        expect(page.locator("#receipt .receipt-duplicate")).to_have_text("DUPLICATA n° 1")
        screenshot(page, "pos-duplicata-fr.png")
        page.get_by_role("button", name="Nouvelle commande").click()
        reprint(page, sale)
        expect(status).to_have_text("DUPLICATA n° 2")
        counted = "SELECT count(*) FROM point_of_sale_journal_event WHERE kind = 'duplicate'"
        assert database.scalar(counted) == 2

        server.stop()
        browser_context.set_offline(True)
        page.get_by_role("button", name="Nouvelle commande").click()
        reprint(page, sale)
        expect(status).to_have_text("DUPLICATA (numéro en attente)")
        expect(page.locator("#receipt .receipt-duplicate")).to_have_text(
            "DUPLICATA (numéro en attente)")
        assert page.evaluate("JSON.parse(localStorage.getItem('duplicates:1')).length") == 1

        server.start()
        browser_context.set_offline(False)
        page.get_by_role("button", name="Nouvelle commande").click()
        reprint(page, sale)  # the queued copy goes first: it is n° 3, this one n° 4
        expect(status).to_have_text("DUPLICATA n° 4")
        assert page.evaluate("JSON.parse(localStorage.getItem('duplicates:1')).length") == 0
        assert database.scalar(counted) == 4
        assert errors == []
    finally:
        server.stop()


def test_a_till_in_training_prints_formation_and_sells_nothing_for_real(
        db_url, tmp_path, browser_context):
    database = prepare_database(db_url)
    database.execute("UPDATE point_of_sale_config SET locale = 'fr-FR' WHERE id = 1")
    instance = database._instance()
    try:
        from addons.point_of_sale.training import set_training
        with instance.engine.begin() as connection:
            set_training(connection, 1, True, by="manager")
    finally:
        instance.engine.dispose()
    server = PosServer(database, tmp_path).start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in(page, server)
        wait_until_ready(page)
        expect(page.locator("body")).to_have_class(re.compile(r"\btraining\b"))
        product(page, "Espresso").click()
        pay_exact_in_french(page)
        expect(page.locator("#receipt .receipt-training").first).to_have_text("FORMATION")
        expect(sync_status(page)).to_have_text("synchronisé")
        screenshot(page, "pos-formation-fr.png")
        assert database.scalar("SELECT count(*) FROM point_of_sale_order") == 0
        assert database.scalar("SELECT count(*) FROM point_of_sale_journal_event WHERE kind = "
                               "'training_ticket' AND chain = 'training/1'") == 1
        assert errors == []
    finally:
        server.stop()


def test_a_line_removed_and_an_order_deleted_before_payment_reach_the_journal(
        db_url, tmp_path, browser_context):
    database = prepare_database(db_url)
    server = PosServer(database, tmp_path).start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in(page, server)
        wait_until_ready(page)
        product(page, "Espresso").click()
        product(page, "Croissant").click()
        page.get_by_role("button", name="Remove line").click()  # the croissant, selected
        expect(page.locator("#total")).to_have_text("1.98")
        page.locator("#delete-order").click()
        page.get_by_role("button", name="Delete", exact=True).click()
        counted = ("SELECT count(*) FROM point_of_sale_journal_event WHERE kind IN "
                   "('cancelled_line', 'cancelled_order')")
        for _ in range(50):
            if database.scalar(counted) == 2:
                break
            page.wait_for_timeout(100)
        assert database.scalar(counted) == 2
        line = database.scalar("SELECT details FROM point_of_sale_journal_event WHERE kind = "
                               "'cancelled_line'")
        order = database.scalar("SELECT details FROM point_of_sale_journal_event WHERE kind = "
                                "'cancelled_order'")
        assert '"amount":"1.69"' in line and '"lines":1' in line
        assert '"amount":"1.98"' in order
        assert errors == []
    finally:
        server.stop()
