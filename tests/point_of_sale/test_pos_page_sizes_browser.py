"""Selling on a phone (390x844) and a tablet (1024x768), with every POS addon installed (their
icons in the header too), checked by element geometry and kept as screenshots
(test-artifacts/pos-phone-*.png, pos-tablet-*.png) for a person to look at."""
import re
from contextlib import ExitStack

import pytest

from tests.browser import expect, new_contexts, screenshot, watch_errors
from tests.point_of_sale.every_addon import open_till

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
TOUCH = 44  # px: the smallest touch target

# Every visible control of the sell screen and the header, with its size and place.
CONTROLS = """() => [...document.querySelectorAll(
    "#pos button, #pos input, #pos select, #pos a.button")]
  .filter((node) => node.offsetParent !== null && !node.closest("[hidden]"))
  .map((node) => { const r = node.getBoundingClientRect();
                   return {id: node.id, cls: node.className, text: node.textContent.trim().slice(0, 20),
                           x: r.x, y: r.y, width: r.width, height: r.height}; })"""


def box(page, selector):
    """The element's box once it is laid out (a re-render by a broadcast may briefly detach it)."""
    element = page.locator(selector).first
    expect(element).to_be_visible(timeout=15000)
    found = element.bounding_box()
    for _retry in range(50):
        if found is not None:
            break
        page.wait_for_timeout(100)
        found = element.bounding_box()
    return found


def inside_viewport(rect, viewport):
    return (rect["x"] >= 0 and rect["y"] >= 0 and rect["x"] + rect["width"] <= viewport["width"] + 0.5
            and rect["y"] + rect["height"] <= viewport["height"] + 0.5)


def overlap(a, b):
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.fixture
def device():
    """`make(viewport)`: a page in a fresh touch-screen context of that size."""
    with ExitStack() as stack:
        def make(viewport):
            context, = stack.enter_context(new_contexts(
                1, viewport=viewport, has_touch=True, is_mobile=True, device_scale_factor=1))
            return context.new_page()
        yield make


def sign_in(page, server):
    open_till(page, server)
    expect(page.locator("body")).to_have_attribute("data-multi-session", "online", timeout=15000)


def product(page, name):
    return page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} "))


def assert_fits_and_touchable(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    header = page.evaluate("""() => { const h = document.querySelector(".pos-header");
        return {scroll: h.scrollWidth, client: h.clientWidth}; }""")
    assert header["scroll"] <= header["client"], header
    small = [c for c in page.evaluate(CONTROLS)
             if c["width"] < TOUCH - 0.5 or c["height"] < TOUCH - 0.5]
    assert small == [], small


def test_a_phone_can_sell(device, every_addon_server):
    page = device(PHONE)
    errors = watch_errors(page)
    sign_in(page, every_addon_server)
    screenshot(page, "pos-phone-start.png")
    assert_fits_and_touchable(page, PHONE)
    tabs = box(page, "#order-tabs")
    assert tabs["width"] >= 2 * TOUCH and tabs["height"] >= TOUCH, tabs

    for name in ("Espresso", "Croissant", "Latte"):
        product(page, name).click()
    page.get_by_role("button", name="Add order").click()
    expect(page.locator("#order-tabs .tab")).to_have_count(2)
    expect(page.locator("#order-lines .line")).to_have_count(0)
    product(page, "Cola").click()
    expect(page.locator("#edit-qty")).to_be_visible()
    pay = box(page, "#pay-button")
    assert inside_viewport(pay, PHONE), pay  # on screen without scrolling
    qty = box(page, "#edit-qty")
    assert qty["width"] >= 64, qty
    screenshot(page, "pos-phone-order.png")
    assert_fits_and_touchable(page, PHONE)

    # An error toast leaves Pay free.
    page.evaluate("window.comptoirPos.notify('No product with barcode 123456789', 'error')")
    expect(page.locator("#toast")).to_be_visible()
    assert not overlap(box(page, "#toast"), box(page, "#pay-button"))
    screenshot(page, "pos-phone-toast.png")

    page.locator("#pay-button").tap()
    page.get_by_role("button", name=re.compile(r"^Exact")).tap()
    assert inside_viewport(box(page, "#validate-payment"), PHONE)  # kept on screen
    screenshot(page, "pos-phone-payment.png")
    page.get_by_role("button", name="Validate").tap()
    expect(page.locator("#receipt")).to_be_visible()
    screenshot(page, "pos-phone-receipt.png")
    assert inside_viewport(box(page, "#next-order"), PHONE)
    page.get_by_role("button", name="New order").tap()
    expect(page.locator("#sync-indicator")).to_have_text("synced", timeout=15000)
    assert errors == []


def test_a_tablet_can_sell_and_shows_what_is_cut_off(device, every_addon_server):
    page = device(TABLET)
    errors = watch_errors(page)
    sign_in(page, every_addon_server)
    # Many open orders: the tabs scroll, and say there are more.
    for count in range(2, 11):
        page.get_by_role("button", name="Add order").click()
        expect(page.locator("#order-tabs .tab")).to_have_count(count)
    product(page, "Espresso").click()
    expect(page.locator("#edit-qty")).to_be_visible()
    tabs = page.locator("#order-tabs")
    assert page.evaluate("(n) => n.scrollWidth > n.clientWidth", tabs.element_handle())
    expect(tabs).to_have_attribute("data-more", re.compile("start"))
    # The selected (newest) tab is in view.
    selected = box(page, '#order-tabs [aria-selected="true"]')
    strip = box(page, "#order-tabs")
    assert strip["x"] - 1 <= selected["x"]
    assert selected["x"] + selected["width"] <= strip["x"] + strip["width"] + 1

    page.set_viewport_size({"width": 1024, "height": 768})
    categories = page.locator("#categories")
    overflowing = page.evaluate("(n) => n.scrollWidth > n.clientWidth", categories.element_handle())
    if overflowing:
        expect(categories).to_have_attribute("data-more", re.compile("end"))
    qty = box(page, "#edit-qty")
    assert qty["width"] >= 64, qty
    assert_fits_and_touchable(page, TABLET)
    assert inside_viewport(box(page, "#pay-button"), TABLET)
    screenshot(page, "pos-tablet-order.png")
    page.locator("#pay-button").tap()
    page.get_by_role("button", name=re.compile(r"^Exact")).tap()
    page.get_by_role("button", name="Validate").tap()
    expect(page.locator("#receipt")).to_be_visible()
    screenshot(page, "pos-tablet-receipt.png")
    assert errors == []


# -- every screen and dialog at the four sizes of issue #27 (item 5) ---------------------------

SIZES = {"phone": {"width": 390, "height": 844}, "tablet-portrait": {"width": 768, "height": 1024},
         "tablet": {"width": 1024, "height": 768}, "laptop": {"width": 1280, "height": 800}}

# What does not fit in `scope`: visible elements sticking out of the viewport sideways (but
# those inside the two strips that scroll sideways on purpose: tabs, categories; an element
# cut by a container's overflow counts), and controls smaller than a finger.
MISFITS = """([scope, width, touch]) => {
    const root = document.querySelector(scope);
    const scrollsSideways = (node) => Boolean(node.closest('#order-tabs, #categories'));
    const visible = (node) => node.getClientRects().length
        && getComputedStyle(node).visibility !== 'hidden' && !node.closest('[hidden]');
    const out = [];
    const outer = root.getBoundingClientRect();
    const left = Math.max(0, outer.left), right = Math.min(width, outer.right);
    for (const node of root.querySelectorAll('*')) {
        if (!visible(node) || scrollsSideways(node)) continue;
        const r = node.getBoundingClientRect();
        const label = (node.id ? '#' + node.id : node.tagName.toLowerCase() + '.' + node.className)
            + ' ' + (node.textContent || node.value || '').trim().slice(0, 24);
        // Within the viewport and within the scope's own box (a dialog's button spilling out).
        if (r.width && (r.left < left - 0.5 || r.right > right + 0.5)) {
            out.push(['wide', label, r.left, r.right]);
        }
        const control = node.matches('button, input:not([type=hidden]), select, a.button');
        if (control && (r.width < touch - 0.5 || r.height < touch - 0.5)) {
            out.push(['small', label, r.width, r.height]);
        }
    }
    const page = document.documentElement.scrollWidth;
    if (page > width) {
        const wide = [...document.body.querySelectorAll('*')].filter((n) => n.getClientRects().length
            && n.getBoundingClientRect().right > width + 0.5).slice(-3);
        out.push(['page', page, ...wide.map((n) => n.id || n.className)]);
    }
    return out;
}"""


def misfits(page, scope, viewport):
    return page.evaluate(MISFITS, [scope, viewport["width"], TOUCH])


# The element is what a finger meets near its top and bottom edges: neither clipped by a
# container nor covered by another element.
UNCOVERED = """(selector) => { const node = document.querySelector(selector);
    const r = node.getBoundingClientRect(); const x = r.left + r.width / 2;
    return [r.top + 2, r.bottom - 2].every((y) => { const hit = document.elementFromPoint(x, y);
        return hit && (hit === node || node.contains(hit)); }); }"""


def on_screen(page, selector, viewport):
    """The element is within the viewport as the screen opens (no scrolling needed), whole."""
    found = box(page, selector)
    assert inside_viewport(found, viewport), (selector, found, viewport)
    assert page.evaluate(UNCOVERED, selector), (selector, "clipped or covered", found)
    return found


def test_every_screen_and_dialog_fits_at_every_size(device, every_addon_server):
    page = device(SIZES["phone"])
    errors = watch_errors(page)
    sign_in(page, every_addon_server)
    for name, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.evaluate("document.getElementById('toast').hidden = true")
        # Sell, with three lines and the line editor open.
        if not page.locator("#order-lines .line").count():
            for item in ("Espresso", "Croissant", "Latte"):
                product(page, item).click()
        page.locator("#order-lines .line").first.click()
        expect(page.locator("#edit-qty")).to_be_visible()
        assert misfits(page, "#pos", viewport) == [], name
        on_screen(page, "#pay-button", viewport)
        customer = page.locator("#customer-button").inner_text()
        assert "None" not in customer, customer
        screenshot(page, f"pos-{name}-sell.png")
        if name != "phone":  # (a phone scrolls the order and the products each)
            # The line editor leaves the order readable: its three lines in view.
            lines = page.evaluate("""() => { const list = document.getElementById('order-lines');
                const r = list.getBoundingClientRect();
                return [...list.querySelectorAll('.line')].filter((l) => {
                    const b = l.getBoundingClientRect();
                    return b.top >= r.top - 1 && b.bottom <= r.bottom + 1;
                }).length; }""")
            assert lines >= 3, lines

        # The customer dialog, and its No customer button, inside the screen.
        page.locator("#customer-button").click()
        dialog = page.locator("#customer-dialog .dialog")
        expect(dialog).to_be_visible()
        page.locator("#customer-search").fill("a")
        page.wait_for_timeout(400)
        assert misfits(page, "#customer-dialog .dialog", viewport) == [], name
        on_screen(page, "#customer-dialog .dialog", viewport)
        none = on_screen(page, "#customer-none", viewport)
        inner = box(page, "#customer-dialog .dialog")
        assert none["x"] + none["width"] <= inner["x"] + inner["width"] + 0.5, (none, inner)
        screenshot(page, f"pos-{name}-customer.png")
        page.locator("#customer-close").click()

        # The connection status.
        page.locator("#sync-indicator").click()
        assert misfits(page, "#status-dialog .dialog", viewport) == [], name
        on_screen(page, "#status-close", viewport)
        page.locator("#status-close").click()

        # Payment, then the receipt opened at its top (Paid in view).
        page.locator("#pay-button").click()
        page.get_by_role("button", name=re.compile(r"^Exact")).click()
        assert misfits(page, "#payment-screen", viewport) == [], name
        on_screen(page, "#validate-payment", viewport)
        screenshot(page, f"pos-{name}-payment.png")
        page.locator("#validate-payment").click()
        expect(page.locator("#receipt")).to_be_visible()
        on_screen(page, "#receipt-status", viewport)
        on_screen(page, "#next-order", viewport)
        assert misfits(page, "#receipt-screen", viewport) == [], name
        screenshot(page, f"pos-{name}-receipt.png")
        sale = page.locator("#receipt").get_attribute("data-uuid")
        page.locator("#next-order").click()

        # Past orders: the sale's detail with its Refund column.
        page.locator("#past-orders-button").click()
        page.locator(f'.past-order[data-uuid="{sale}"]').click()
        expect(page.locator("#refund-button")).to_be_attached()
        page.locator("#order-detail").scroll_into_view_if_needed()
        assert misfits(page, "#orders-screen", viewport) == [], name
        screenshot(page, f"pos-{name}-past-order.png")
        page.locator("#orders-back").click()

        # The close form (back without closing).
        page.locator("#close-session-button").click()
        expect(page.locator("#counted-cash")).to_be_visible()
        assert misfits(page, "#close-screen", viewport) == [], name
        on_screen(page, "#confirm-close", viewport)
        screenshot(page, f"pos-{name}-close-form.png")
        page.get_by_role("button", name="Back").click()

    # The session report, at every size: its action bar hides no table.
    page.locator("#close-session-button").click()
    page.locator("#counted-cash").fill("0")
    page.locator("#confirm-close").click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#close-done")).to_be_visible(timeout=15000)
    for name, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        assert misfits(page, "#close-screen", viewport) == [], name
        page.locator(".report-table").last.scroll_into_view_if_needed()
        table = box(page, ".report-table >> nth=-1")
        actions = box(page, "#close-done")
        assert not overlap(table, actions), (name, table, actions)
        screenshot(page, f"pos-{name}-report.png")
    assert errors == []
