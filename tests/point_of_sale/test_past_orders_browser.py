"""Split payments, past orders, reprints and refunds on the POS page, in a real browser against a
real `core serve`, as a cashier uses them."""
import re
from decimal import Decimal

import pytest

from tests.browser import PosServer, expect, prepare_database, screenshot, watch_errors
from tests.point_of_sale.test_pos_page_browser import (
    pay_cash,
    product,
    sign_in,
    sync_status,
    wait_until_ready,
)

pytestmark = [pytest.mark.timeout(90), pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def till(db_url, tmp_path, browser_context):
    """(page, server, errors): Shop's till, signed in and ready to sell."""
    server = PosServer(prepare_database(db_url), tmp_path).start()
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)
    yield page, server, errors
    server.stop()


def ring_up_two_espressos_and_a_croissant(page):
    product(page, "Espresso").click()
    product(page, "Espresso").click()
    product(page, "Croissant").click()
    expect(page.locator("#total")).to_have_text("5.65")


def amounts(database, sql, **params):
    """The rows of `sql`, numbers as text with two places (SQLite returns 3 for 3.00)."""
    from sqlalchemy import text
    instance = database._instance()
    try:
        with instance.engine.connect() as connection:
            return [tuple(f"{Decimal(str(v)):.2f}" if isinstance(v, (int, float, Decimal))
                          else v for v in row)
                    for row in connection.execute(text(sql), params)]
    finally:
        instance.engine.dispose()


def test_a_split_payment_then_a_partial_refund_refused_past_what_was_sold(till):
    page, server, errors = till
    ring_up_two_espressos_and_a_croissant(page)

    # Card for 3.00, the rest in cash: 5.00 handed over, 2.35 back.
    page.get_by_role("button", name="Pay 5.65").click()
    methods = page.locator("#payment-methods")
    expect(methods.get_by_role("button")).to_have_text(["Cash", "Card"])
    methods.get_by_role("button", name="Card").click()
    page.get_by_label("Card received").fill("3")
    expect(page.locator("#change-box")).to_contain_text("Remaining")
    expect(page.locator("#change-amount")).to_have_text("2.65")
    # More on the card than is due: only cash gives change.
    page.get_by_label("Card received").fill("6")
    expect(page.locator("#change-box")).to_contain_text("Only Cash gives change")
    expect(page.get_by_role("button", name="Validate")).to_be_disabled()
    page.get_by_label("Card received").fill("3")
    methods.get_by_role("button", name="Cash").click()
    page.get_by_label("Cash received").fill("5")
    expect(page.locator("#change-amount")).to_have_text("2.35")
    screenshot(page, "pos-split-payment.png")
    page.get_by_role("button", name="Validate").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text("Card")
    expect(page.locator("#receipt-change-amount")).to_have_text("2.35")
    sale = receipt.get_attribute("data-uuid")
    expect(sync_status(page)).to_have_text("synced")
    database = server.database
    assert amounts(database, "SELECT p.method, p.amount FROM point_of_sale_payment p JOIN "
                   "point_of_sale_order o ON o.id = p.order_id WHERE o.uuid = :u ORDER BY p.id",
                   u=sale) == [("card", "3.00"), ("cash", "5.00")]
    page.get_by_role("button", name="New order").click()

    # Past orders: this session's sale; refund one of its two espressos.
    page.get_by_role("button", name="Orders").click()
    listed = page.locator(f'.past-order[data-uuid="{sale}"]')
    expect(listed).to_contain_text("5.65")
    listed.click()
    espresso = page.get_by_label(re.compile(r"Refund quantity of Espresso"))
    espresso.fill("3")
    expect(page.locator("#refund-problem")).to_have_text("Espresso: only 2 left to refund")
    expect(page.locator("#refund-button")).to_be_disabled()
    screenshot(page, "pos-refund-refused.png")
    espresso.fill("1")
    page.locator("#refund-button").click()
    expect(page.locator("#payment-title")).to_have_text("Refund")
    expect(page.locator("#payment-total")).to_have_text("1.98")
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("#receipt-status")).to_have_text("Refunded")
    expect(receipt).to_contain_text("Refund of Order 00001-001-0001")
    screenshot(page, "pos-refund-receipt.png")
    refund = receipt.get_attribute("data-uuid")
    expect(sync_status(page)).to_have_text("synced")
    assert amounts(database, "SELECT o.amount_total, r.uuid FROM point_of_sale_order o JOIN "
                   "point_of_sale_order r ON r.id = o.refunded_order_id WHERE o.uuid = :u",
                   u=refund) == [("-1.98", sale)]

    # The sale has one espresso left. Another till refunds it while this one shows it: the
    # server refuses this till's refund past what was sold; it waits in Needs attention.
    page.get_by_role("button", name="Orders").click()
    page.locator(f'.past-order[data-uuid="{sale}"]').click()
    espresso = page.get_by_label(re.compile(r"Refund quantity of Espresso"))
    expect(espresso).to_have_attribute("aria-label", "Refund quantity of Espresso (at most 1)")
    refund_elsewhere(database, sale)
    espresso.fill("1")
    page.locator("#refund-button").click()
    page.get_by_role("button", name="Validate").click()
    attention = page.get_by_role("button", name=re.compile("Needs attention"))
    expect(attention).to_contain_text("1")
    attention.click()
    expect(page.locator("#attention-list")).to_contain_text("only 0 of 2 sold is left to refund")
    screenshot(page, "pos-refund-refused-by-server.png")
    assert errors == []


def refund_elsewhere(database, sale):
    """Another till's refund of line 0 (one espresso) of `sale`, stored straight away."""
    from uuid import uuid4

    from addons.point_of_sale.orders import push_orders
    instance = database._instance()
    with instance.engine.begin() as connection:
        [result] = push_orders(connection, [{
            "uuid": str(uuid4()), "session_id": 1, "created_at": "2026-11-22T10:15:00Z",
            "refunded_order_uuid": sale,
            "lines": [{"product_id": 1, "qty": "-1", "price_unit": "1.80",
                       "refunded_line_index": 0}],
            "payments": [{"method": "cash", "amount": "-1.98"}]}])
    instance.engine.dispose()
    assert result["status"] == "created", result


def test_offline_the_till_finds_and_reprints_the_orders_it_holds(till, browser_context):
    page, server, errors = till
    ring_up_two_espressos_and_a_croissant(page)
    sale = pay_cash(page, "10")
    expect(sync_status(page)).to_have_text("synced")
    reference = page.locator("#receipt .receipt-reference").inner_text()
    printed = page.locator("#receipt .receipt-barcode")
    expect(printed.locator("svg rect").first).to_be_attached()  # bars drawn
    digits = printed.get_attribute("data-digits")
    assert digits == re.sub(r"\D", "", reference)
    page.get_by_role("button", name="New order").click()

    server.stop()
    browser_context.set_offline(True)
    page.get_by_role("button", name="Orders").click()
    expect(page.locator("#orders-note")).to_have_text(
        "Offline: these are the orders this till holds.")
    expect(page.locator(f'.past-order[data-uuid="{sale}"]')).to_contain_text(reference)
    # The receipt's barcode holds the reference's digits: scanned into the search, it opens it.
    search = page.get_by_label("Find an order")
    search.fill(digits)
    search.press("Enter")
    detail = page.locator("#order-detail")
    expect(detail).to_contain_text("held by this till")
    expect(detail.locator("tbody tr")).to_have_count(2)
    detail.get_by_role("button", name="Reprint").click()
    expect(page.locator("#receipt-status")).to_have_text("DUPLICATE (number pending)")
    receipt = page.locator("#receipt")
    expect(receipt).to_contain_text(reference)
    expect(receipt).to_contain_text("Espresso")
    expect(receipt).to_contain_text("10.00")  # the cash handed over
    screenshot(page, "pos-reprint-offline.png")
    assert errors == []
