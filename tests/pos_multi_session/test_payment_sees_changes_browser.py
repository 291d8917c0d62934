"""What the cashier sees is what is charged (issue #27, item 1): Shop is on the payment screen of
an order it shares with Bar when Bar adds a line. Shop's screen shows the new total at once and
says so; the payment typed against the older total cannot be validated until the cashier has
seen the new one, and a grey Validate always says why."""
import re

import pytest

from tests.browser import expect, screenshot
from tests.pos_multi_session.test_order_on_screen_browser import (  # noqa: F401 (the fixture)
    WITHIN,
    add,
    shop_and_bar,
    shown,
    tab,
)

pytestmark = [pytest.mark.timeout(180), pytest.mark.browser]


def amount(text):
    """'25,46 €' or '$25.46' or '25.46' -> 2546 (cents)."""
    digits = re.sub(r"[^\d]", "", text)
    return int(digits)


def order_total(page):
    return page.evaluate("""() => {
        const order = window.comptoirPos.currentOrder();
        return order && document.querySelector('#total').textContent;
    }""")


def test_a_change_from_another_till_reaches_the_payment_screen(shop_and_bar):  # noqa: F811
    shop, bar = shop_and_bar
    add(shop, "Croissant")
    uuid = shown(shop)["uuid"]
    expect(tab(bar, uuid)).to_be_visible(timeout=WITHIN)
    before = amount(shop.locator("#total").text_content())
    shop.get_by_role("button", name=re.compile(r"^Pay")).click()
    validate = shop.get_by_role("button", name="Validate")
    # Grey before anything is typed, and it says why.
    expect(validate).to_be_disabled()
    expect(shop.locator("#validate-reason")).to_be_visible()
    expect(shop.locator("#validate-reason")).to_contain_text("still to pay")
    shop.get_by_role("button", name=re.compile(r"^Exact")).click()
    expect(validate).to_be_enabled()
    assert amount(shop.locator("#payment-total").text_content()) == before

    # Bar adds a Latte to the order Shop is being paid for.
    tab(bar, uuid).click()
    add(bar, "Latte")
    bar_total = amount(bar.locator("#total").text_content())
    assert bar_total > before
    expect(shop.locator("#payment-total")).to_have_text(
        bar.locator("#total").text_content(), timeout=WITHIN)
    notice = shop.locator("#payment-changed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("changed on another till")
    expect(validate).to_be_disabled()
    expect(shop.locator("#validate-reason")).to_contain_text("The total is now")
    screenshot(shop, "payment-total-changed.png")
    # Validate through the keyboard does nothing either.
    shop.evaluate("document.getElementById('validate-payment').click()")
    expect(shop.locator("#payment-screen")).to_be_visible()

    shop.get_by_role("button", name="New total seen").click()
    expect(notice).to_be_hidden()
    # The old amount no longer covers the order: still grey, still saying why.
    expect(validate).to_be_disabled()
    expect(shop.locator("#validate-reason")).to_contain_text("still to pay")
    shop.get_by_role("button", name=re.compile(r"^Exact")).click()
    expect(validate).to_be_enabled()
    expect(shop.locator("#validate-reason")).to_be_hidden()
    # What is charged, as the till sends it (its outbox entry is gone once the server took it,
    # which on a quick machine comes before the test could look).
    with shop.expect_request(lambda r: r.method == "POST" and r.url.endswith("/pos/orders")
                             and uuid in (r.post_data or ""), timeout=WITHIN * 2) as pushed:
        validate.click()
    expect(shop.locator("#receipt")).to_have_attribute("data-uuid", uuid)
    order = next(o for o in pushed.value.post_data_json if o["uuid"] == uuid)
    paid = sum(round(float(p["amount"]) * 100) for p in order["payments"])
    assert round(float(order["amount_total"]) * 100) == bar_total
    assert paid == bar_total


def test_an_order_paid_elsewhere_leaves_the_payment_screen(shop_and_bar):  # noqa: F811
    shop, bar = shop_and_bar
    add(shop, "Espresso")
    uuid = shown(shop)["uuid"]
    expect(tab(bar, uuid)).to_be_visible(timeout=WITHIN)
    shop.get_by_role("button", name=re.compile(r"^Pay")).click()
    shop.get_by_role("button", name=re.compile(r"^Exact")).click()
    tab(bar, uuid).click()
    bar.get_by_role("button", name=re.compile(r"^Pay")).click()
    bar.get_by_role("button", name=re.compile(r"^Exact")).click()
    bar.get_by_role("button", name="Validate").click()
    expect(bar.locator("#receipt")).to_have_attribute("data-uuid", uuid)
    # Shop no longer offers to take the money a second time.
    expect(shop.locator("#payment-screen")).to_be_hidden(timeout=WITHIN)
    expect(tab(shop, uuid)).to_have_count(0)
    outbox = shop.evaluate("async () => (await window.comptoirPos.outbox()).map((e) => e.uuid)")
    assert uuid not in outbox
