"""The POS page (/pos/ui/<config id>) in a real browser (Debian's Chromium, driven by Playwright)
against a real `core serve` process, used as a till's staff would: products tapped or scanned,
cash counted, receipts, and a server that goes away and comes back.

Reloading while the server is unreachable works through the page's service worker, served at
/pos/sw.js. Without one (an old browser), paid orders still survive closing the page during an
outage: the page cannot be reloaded until the server is back, but nothing is lost."""
import json
import re
import textwrap
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from tests.browser import (
    PosServer,
    expect,
    prepare_database,
    screenshot,
    sign_in_to_till,
    watch_errors,
)
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD
from tests.support import BUILT_IN_ADDONS as ADDONS

pytestmark = pytest.mark.timeout(90)

ESPRESSO_BARCODE = "2000000000015"
FAST_RETRY = "push_retry_ms=100&push_retry_max_ms=800"


# Throwaway addons the tests install beside point_of_sale, written into the test's tmp_path.
STAND_IN_ADDONS = {
    # An addon extending the page as docs/pos_page.md says: a module and a stylesheet.
    "pos_test_extension": {
        "__manifest__.py": """\
            {"name": "POS page extension (test)", "depends": ["point_of_sale"]}
            """,
        "hooks.py": """\
            from flask import Blueprint

            from core import hookimpl

            blueprint = Blueprint("pos_test_extension", __name__, static_folder="static",
                                  url_prefix="/pos_test_extension")


            @hookimpl
            def register_routes():
                return [blueprint]


            @hookimpl
            def register_assets(page):
                if page != "pos":
                    return []
                return ["/pos_test_extension/static/extension.js?v=1",
                        "/pos_test_extension/static/extension.css"]
            """,
        "static/extension.js": """\
            const pos = window.comptoirPos;
            const seen = window.extensionSeen = { loaded: null, changed: 0, pushed: [] };
            pos.addEventListener("pos:loaded", (event) => { seen.loaded = event.detail.config.name; });
            pos.addEventListener("pos:order-changed", () => { seen.changed += 1; });
            pos.addEventListener("pos:before-push", (event) => {
              for (const order of event.detail.orders) {
                order.extension_note = "added by pos_test_extension";
                seen.pushed.push(order.uuid);
              }
            });
            pos.ready.then(() => pos.addButton("Extension", (order) => {
              pos.blockUi(`Blocked by the extension on ${order.reference}`);
            }));
            """,
        "static/extension.css": """\
            .pos-header { border-bottom: 4px solid rgb(200, 30, 30); }
            """,
    },
}


def write_stand_in_addons(folder, names):
    """Write the named STAND_IN_ADDONS under `folder`, an addons path entry of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    for name in names:
        for relative, source in {"__init__.py": "", **STAND_IN_ADDONS[name]}.items():
            path = folder / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))


@pytest.fixture
def make_pos_server(db_url, tmp_path):
    """`make_pos_server(*stand_in_addons)`: a started server on a database prepared by
    `prepare_database`, with those STAND_IN_ADDONS installed too. Stopped at teardown."""
    servers = []

    def make(*stand_ins):
        extra = None
        if stand_ins:
            # A folder of its own: the catalog then forgets another test's imported copy.
            extra = tmp_path / f"pos_test_addons_{uuid4().hex[:8]}"
            write_stand_in_addons(extra, stand_ins)
        server = PosServer(prepare_database(db_url, extra_addons=extra), tmp_path)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


def sign_in(page, server, config_id=1):
    sign_in_to_till(page, server.url, config_id, FAST_RETRY)


def wait_until_ready(page):
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def product(page, name):
    return page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} "))


def scan(page, barcode):
    search = page.get_by_label("Search or scan a barcode")
    search.fill(barcode)
    search.press("Enter")
    expect(search).to_have_value("")


def pay_cash(page, amount=None):
    """Pay the order on screen in cash: `amount` typed, or the exact total; return its uuid."""
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    if amount is None:
        page.get_by_role("button", name=re.compile(r"^Exact")).click()
    else:
        page.get_by_label("Cash received").fill(amount)
    page.get_by_role("button", name="Validate").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_be_visible()
    return receipt.get_attribute("data-uuid")


def sync_status(page):
    return page.locator("#sync-indicator")


def money(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.browser
@pytest.mark.server
def test_a_till_sells_by_tap_and_barcode_gives_change_and_flags_refused_orders(
        browser_context, make_pos_server):
    server = make_pos_server("pos_test_extension")
    database = server.database
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)
    expect(sync_status(page)).to_have_text("synced")
    expect(page.locator("#session-name")).to_have_text("Shop/00001")
    # The extension's module and stylesheet are on the page, and heard "pos:loaded".
    assert page.evaluate("window.extensionSeen.loaded") == "Shop"
    expect(page.locator(".pos-header")).to_have_css("border-bottom-color", "rgb(200, 30, 30)")

    # Two products: one tapped, one scanned; then two espressos and a customer.
    product(page, "Cappuccino").click()
    scan(page, ESPRESSO_BARCODE)
    lines = page.locator("#order-lines .line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Cappuccino")
    expect(lines.nth(1)).to_contain_text("Espresso")
    expect(page.locator("#total")).to_have_text("5.50")
    page.get_by_role("button", name="Increase quantity").click()
    expect(page.get_by_label("Quantity", exact=True)).to_have_value("2")
    expect(lines.nth(1)).to_contain_text("3.96")
    expect(page.locator("#total")).to_have_text("7.48")
    page.locator("#customer-button").click()
    page.get_by_label("Search customers").fill("alice")
    page.locator("#customer-results").get_by_role("button", name=re.compile("^Alice Martin")).click()
    expect(page.locator("#customer-name")).to_have_text("Alice Martin")
    screenshot(page, "pos-order.png")

    # A second order in its own tab, deleted again (it has a line: the till asks first).
    page.get_by_role("button", name="Add order").click()
    expect(page.get_by_role("tab")).to_have_count(2)
    product(page, "Croissant").click()
    page.get_by_role("button", name="Delete order").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("tab")).to_have_count(1)
    expect(page.locator("#total")).to_have_text("7.48")

    # Cash, more than the total: the change, the receipt.
    page.get_by_role("button", name="Pay 7.48").click()
    page.get_by_label("Cash received").fill("20")
    expect(page.locator("#change-box")).to_contain_text("Change")
    expect(page.locator("#change-amount")).to_have_text("12.52")
    screenshot(page, "pos-payment.png")
    page.get_by_role("button", name="Validate").click()
    receipt = page.locator("#receipt")
    expect(page.locator("#receipt-change-amount")).to_have_text("12.52")
    expect(receipt).to_contain_text("Alice Martin")
    expect(receipt).to_contain_text("Total")
    uuid = receipt.get_attribute("data-uuid")
    expect(sync_status(page)).to_have_text("synced")
    screenshot(page, "pos-receipt.png")

    assert database.order_count(uuid) == 1
    assert uuid in page.evaluate("window.extensionSeen.pushed")  # "pos:before-push"
    assert page.evaluate("window.extensionSeen.changed") > 0  # "pos:order-changed"
    assert money(database.scalar("SELECT amount_total FROM point_of_sale_order WHERE uuid = :u",
                                 u=uuid)) == Decimal("7.48")
    assert money(database.scalar("SELECT amount_return FROM point_of_sale_order WHERE uuid = :u",
                                 u=uuid)) == Decimal("12.52")
    assert database.scalar("SELECT partner_id FROM point_of_sale_order WHERE uuid = :u",
                           u=uuid) == 2
    assert re.fullmatch(r"Order 00001-\d{3}-\d{4}", database.scalar(
        "SELECT reference FROM point_of_sale_order WHERE uuid = :u", u=uuid))

    # The server refuses an order (its product was deleted meanwhile): it stays, flagged.
    page.get_by_role("button", name="New order").click()
    database.execute("DELETE FROM point_of_sale_product WHERE id = 31")
    product(page, "Beer").click()
    refused = pay_cash(page)
    attention = page.get_by_role("button", name=re.compile("Needs attention"))
    expect(attention).to_be_visible()
    expect(attention).to_contain_text("1")
    attention.click()
    item = page.locator(f'.attention-item[data-uuid="{refused}"]')
    expect(item).to_contain_text("unknown product ids: [31]")
    screenshot(page, "pos-needs-attention.png")
    page.locator("#attention-close").click()  # the dialog's, not the session's Close
    assert database.order_count(refused) == 0

    # The extension blocks the page (comptoirPos.blockUi): Reload is the way out, and the
    # refused order is still there after it.
    page.get_by_role("button", name="New order").click()
    page.get_by_role("button", name="Extension").click()
    blocked = page.get_by_role("alertdialog")
    expect(blocked).to_contain_text("Blocked by the extension on Order 00001-")
    blocked.get_by_role("button", name="Reload").click()
    wait_until_ready(page)
    expect(page.get_by_role("button", name=re.compile("Needs attention"))).to_contain_text("1")

    # A till without an open session says so to the cashier and sells nothing; the signed-in
    # manager opens a session right there.
    page.goto(f"{server.url}/pos/ui/2")
    expect(page.get_by_role("heading", name="Bar is closed")).to_be_visible()
    expect(page.locator("#message-text")).to_contain_text(
        "There is no open session for Bar, so this till cannot take orders. A manager can open "
        "one here")
    expect(page.locator("#message-text")).not_to_contain_text("core pos")
    expect(page.locator("#sell-screen")).to_be_hidden()
    screenshot(page, "pos-no-session.png")
    page.get_by_role("button", name="Open a session").click()
    wait_until_ready(page)
    expect(page.locator("#session-name")).to_have_text("Bar/00001")
    assert database.scalar("SELECT state FROM point_of_sale_session WHERE config_id = 2") == \
        "opened"
    assert errors == []


@pytest.mark.browser
@pytest.mark.server
def test_a_till_reloads_during_an_outage_and_every_order_reaches_the_server_once(
        browser_context, make_pos_server):
    server = make_pos_server()
    database = server.database
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)
    # The service worker has cached the page and its modules.
    expect(page.locator("body")).to_have_attribute("data-offline-reload", "ready")

    product(page, "Croissant").click()
    scan(page, ESPRESSO_BARCODE)
    online = pay_cash(page, "10")
    expect(sync_status(page)).to_have_text("synced")
    assert database.order_count(online) == 1
    # Sealed by the server: the receipt shows its ticket number and the start of its link.
    link = database.scalar("SELECT link FROM point_of_sale_ledger_entry WHERE uuid = :u", u=online)
    expect(page.locator("#receipt .receipt-ticket")).to_have_text(f"Ticket 1 · {link[:10]}")
    page.get_by_role("button", name="New order").click()

    # The network goes (and the server with it): selling goes on.
    server.stop()
    browser_context.set_offline(True)
    expect(sync_status(page)).to_contain_text("offline")
    product(page, "Latte").click()
    scan(page, ESPRESSO_BARCODE)
    expect(page.locator("#total")).to_have_text("5.72")
    offline_first = pay_cash(page)
    expect(sync_status(page)).to_have_text("offline · pending 1")
    expect(page.locator("#receipt .receipt-ticket")).to_contain_text("Ticket number pending")
    first_reference = page.locator("#receipt-reference").inner_text()
    page.get_by_role("button", name="New order").click()
    product(page, "Brioche").click()  # an open order, not paid yet
    screenshot(page, "pos-offline-pending.png")

    # Reloading while offline: the page comes back from the service worker, the data from
    # IndexedDB, with the pending order and the open one.
    page.reload()
    wait_until_ready(page)
    expect(page.locator("#banner")).to_contain_text("Working offline")
    expect(sync_status(page)).to_have_text("offline · pending 1")
    expect(page.locator("#order-lines .line")).to_have_count(1)
    expect(page.locator("#order-lines .line")).to_contain_text("Brioche")
    screenshot(page, "pos-offline-reloaded.png")
    offline_second = pay_cash(page, "5")
    expect(page.locator("#receipt-change-amount")).to_have_text("2.68")
    expect(sync_status(page)).to_have_text("offline · pending 2")
    assert page.locator("#receipt-reference").inner_text() != first_reference

    # The server and the network come back: everything is sent, once.
    server.start()
    browser_context.set_offline(False)
    expect(sync_status(page)).to_have_text("synced")
    expect(page.locator("#receipt .receipt-ticket")).to_contain_text("Ticket 3 · ")
    for uuid in (online, offline_first, offline_second):
        assert database.order_count(uuid) == 1, uuid
    assert database.scalar("SELECT count(*) FROM point_of_sale_order") == 3
    expect(page.locator("#banner")).to_contain_text("The server is back")
    assert errors == []


@pytest.mark.browser
@pytest.mark.server
def test_paid_orders_survive_closing_the_page_during_an_outage(
        browser_context, make_pos_server):
    server = make_pos_server()
    database = server.database
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)

    server.stop()
    product(page, "Cappuccino").click()
    paid = pay_cash(page)
    expect(sync_status(page)).to_have_text("offline · pending 1")
    page.get_by_role("button", name="New order").click()
    product(page, "Brioche").click()
    # Once the tap is on the device (an IndexedDB write a page closed at that very instant
    # may abort), the till is closed (or crashes) before the server is back.
    page.wait_for_function("""() => new Promise((resolve) => {
        const opening = indexedDB.open("comptoir-pos");
        opening.onsuccess = () => {
            const read = opening.result.transaction("open_orders").objectStore("open_orders")
                .getAll();
            read.onsuccess = () => { opening.result.close();
                resolve(JSON.stringify(read.result).includes('"Brioche"')); };
        };
    })""", timeout=15000)
    page.goto("about:blank")

    server.start()
    page.goto(f"{server.url}/pos/ui/1?{FAST_RETRY}")
    wait_until_ready(page)
    expect(sync_status(page)).to_have_text("synced")
    assert database.order_count(paid) == 1
    expect(page.locator("#order-lines .line")).to_contain_text("Brioche")

    # Signed out meanwhile: the paid order waits, the page says how to sign in, then sends it.
    browser_context.clear_cookies()
    waiting = pay_cash(page)
    expect(sync_status(page)).to_have_text("signed out · pending 1")
    link = page.locator("#banner").get_by_role("link", name="sign in again")
    expect(link).to_have_attribute("href", re.compile(r"^/web/login\?next=%2Fpos%2Fui%2F1%3F"))
    screenshot(page, "pos-signed-out.png")
    link.click()
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_until_ready(page)
    expect(sync_status(page)).to_have_text("synced")
    assert database.order_count(waiting) == 1
    assert errors == []


CASES = [
    # (qty, price_unit, discount, tax_rate)
    ("1", "1.80", "0", "10.00"),
    ("3", "1.35", "0", "5.50"),
    ("2.5", "0.99", "12.5", "20.00"),
    ("0.333", "2.22", "0", "5.50"),
    ("7", "0.05", "50", "10.00"),
    ("12.345", "19.99", "3.33", "5.50"),
    ("10000", "69999.99", "0", "20.00"),  # near the largest order (10^10)
    ("1", "0.01", "99.99", "20.00"),
]


@pytest.mark.browser
def test_the_page_computes_totals_exactly_as_the_server(browser_context):
    """money.js (cents and BigInt) against orders.compute_totals (Decimal), without a server."""
    from addons.point_of_sale.orders import ParsedLine, ParsedOrder, ParsedPayment, compute_totals

    static = ADDONS / "point_of_sale" / "static"

    def serve(route):
        path = route.request.url.split("/static/", 1)[1]
        route.fulfill(path=str(static / path), content_type="text/javascript")

    page = browser_context.new_page()
    page.route("http://pos.test/static/**", serve)
    page.route("http://pos.test/", lambda route: route.fulfill(body="<!doctype html><p>money"))
    page.goto("http://pos.test/")
    lines = [{"qty": q, "price_unit": p, "discount": d, "tax_rate": t} for q, p, d, t in CASES]
    computed = page.evaluate("""async (lines) => {
        const money = await import("/static/src/money.js");
        return {lines: lines.map((line) => money.lineAmounts(line)),
                totals: money.orderTotals(lines),
                parsed: ["1,5", "1.005", "abc", "-1", ""].map((t) => {
                    const c = money.cents(t); return c === null ? null : c; })};
    }""", lines)
    for case, amounts in zip(CASES, computed["lines"]):
        qty, price, discount, rate = (Decimal(x) for x in case)
        line = ParsedLine(product_id=1, qty=qty, price_unit=price, discount=discount)
        cash = (ParsedPayment("cash", Decimal("9999999999.99")),)
        order = ParsedOrder(uuid="u", session_id=1, created_at=None, partner_id=None,
                            reference=None, sequence_number=None, lines=(line,), payments=cash,
                            amount_total=None)
        server = compute_totals(order, {1: rate})
        subtotal, subtotal_incl = server.lines[0]
        assert (Decimal(amounts["subtotal"]) / 100, Decimal(amounts["total"]) / 100) == (
            subtotal, subtotal_incl), json.dumps(case)
    assert computed["totals"]["total"] == sum(a["total"] for a in computed["lines"])
    assert computed["parsed"] == [150, 101, None, None, None]


def test_the_page_documents_its_extension_points():
    """The event hub's header and docs/pos_page.md name every event the page's modules emit."""
    modules = ADDONS / "point_of_sale" / "static" / "src"
    source = "\n".join(path.read_text() for path in sorted(modules.glob("*.js")))
    header = (modules / "hub.js").read_text().split("\n\n", 1)[0]
    docs = (Path(__file__).resolve().parents[2] / "docs" / "pos_page.md").read_text()
    dispatched = set(re.findall(r'emit\("(pos:[a-z-]+)"', source))
    assert dispatched >= {"pos:loaded", "pos:order-changed", "pos:before-push"}
    for event in dispatched:
        assert event in header and event in docs, event
