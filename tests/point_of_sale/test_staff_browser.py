"""The cashier switch on the till, in Chromium against a real server: a wrong PIN, a switch with
the right one (the order on screen kept, no reload), the server gone and a switch checked against
what the till holds, a lock-out after repeated wrong PINs, and each sale sealed with its
cashier."""
import re

import pytest

from addons.point_of_sale.staff import set_allowed_configs, set_pin
from core.addons import AddonCatalog
from core.instance import Instance
from core.web.users import set_password
from tests.browser import (
    PosServer,
    expect,
    prepare_database,
    screenshot,
    sign_in_to_till,
    watch_errors,
)
from tests.support import set_parameter

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]
FAST = "push_retry_ms=100&push_retry_max_ms=800&server_check_ms=500"


def staff_database(db_url, manager=False):
    """Cashiers carla (PIN 4821) and dave (1357) on Shop, and with `manager` mona (9753)."""
    database = prepare_database(db_url)
    instance = Instance(db_url, AddonCatalog())
    set_parameter(instance, "point_of_sale.pin_max_failures", "3")
    staff = [("carla", "4821", "cashier"), ("dave", "1357", "cashier")]
    with instance.engine.begin() as connection:
        for login, pin, role in staff + ([("mona", "9753", "manager")] if manager else []):
            set_password(connection, login, "secret-pass-1", role)
            user_id = connection.exec_driver_sql(
                "SELECT id FROM core_user WHERE login = ?" if db_url.startswith("sqlite")
                else "SELECT id FROM core_user WHERE login = %s", (login,)).scalar()
            set_allowed_configs(connection, user_id, [1])
            set_pin(connection, user_id, pin)
    instance.engine.dispose()
    return database


def carla_at_till(browser_context, server):
    """A new page of Shop's till with carla signed in and shown in the header; (page, the
    list its script errors go to)."""
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in_to_till(page, server.url, 1, FAST, login="carla", secret="secret-pass-1")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#cashier-button")).to_have_text("carla")
    return page, errors


def switch_to(page, login, pin):
    page.locator("#cashier-button").click()
    dialog = page.get_by_role("dialog", name="Switch cashier")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=login, exact=True).click()
    dialog.get_by_label("PIN").fill(pin)
    dialog.get_by_role("button", name="Switch", exact=True).click()
    return dialog


def sell_espresso(page):
    """Pay the order on screen; its uuid (the receipt's, once it is this order's)."""
    before = page.locator("#receipt").get_attribute("data-uuid") or ""
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.get_by_role("button", name=re.compile(r"^Exact")).click()
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("#receipt")).not_to_have_attribute("data-uuid", before or "-")
    expect(page.locator("#receipt")).to_have_attribute("data-uuid", re.compile("."))
    uuid = page.locator("#receipt").get_attribute("data-uuid")
    page.get_by_role("button", name="New order").click()
    return uuid


def test_cashiers_switch_with_their_pin_online_and_offline_and_get_locked_out(
        browser_context, db_url, tmp_path):
    database = staff_database(db_url)
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page = browser_context.new_page()
        errors = watch_errors(page)
        sign_in_to_till(page, server.url, 1, FAST)
        body = page.locator("body")
        expect(body).to_have_attribute("data-ready", "true")
        expect(page.locator("#cashier-button")).to_have_text("manager")  # who opened the page
        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        expect(page.locator("#order-lines li")).to_have_count(1)
        page.evaluate("window.notReloaded = true")

        dialog = switch_to(page, "carla", "0000")
        expect(page.locator("#cashier-error")).to_contain_text("Wrong PIN (2 tries left")
        screenshot(page, "pos-cashier-wrong-pin.png")
        dialog.get_by_label("PIN").fill("4821")
        dialog.get_by_role("button", name="Switch", exact=True).click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#cashier-button")).to_have_text("carla")
        expect(page.locator("#order-lines li")).to_have_count(1)  # the order on screen stays
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "pos-cashier-switched.png")
        sold_by_carla = sell_espresso(page)
        expect(page.locator("#sync-indicator")).to_have_attribute("data-state", "ok")
        assert database.scalar("SELECT cashier FROM point_of_sale_order WHERE uuid = :u",
                               u=sold_by_carla) == "carla"

        server.stop()  # the server is gone: the till checks the PIN against what it holds
        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        dialog = switch_to(page, "dave", "1357")
        expect(dialog).to_be_hidden()
        expect(page.locator("#cashier-button")).to_have_text("dave")
        expect(page.locator("#order-lines li")).to_have_count(1)
        sold_by_dave = sell_espresso(page)

        for wrong in ("1111", "2222"):
            switch_to(page, "carla", wrong)
            expect(page.locator("#cashier-error")).to_contain_text("Wrong PIN")
            page.get_by_role("button", name="Cancel").click()
        switch_to(page, "carla", "3333")
        expect(page.locator("#cashier-error")).to_contain_text("Too many wrong PINs")
        page.get_by_label("PIN").fill("4821")  # locked: the right PIN no longer opens it
        page.get_by_role("button", name="Switch", exact=True).click()
        expect(page.locator("#cashier-error")).to_contain_text("locked for")
        screenshot(page, "pos-cashier-locked.png")
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#cashier-button")).to_have_text("dave")

        server.start()  # back: the offline sale reaches the server with its cashier
        expect(page.locator("#sync-indicator")).to_have_attribute("data-state", "ok",
                                                                  timeout=15000)
        assert database.scalar("SELECT cashier FROM point_of_sale_order WHERE uuid = :u",
                               u=sold_by_dave) == "dave"
        assert errors == []
    finally:
        server.stop()


def test_a_manager_approves_with_their_pin_a_deletion_and_the_closing(browser_context, db_url, tmp_path):
    database = staff_database(db_url, manager=True)
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page, errors = carla_at_till(browser_context, server)
        # a discount above the config's limit (20 %): a manager approves the order at payment
        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        page.get_by_label("Discount %").fill("50")
        page.get_by_role("button", name=re.compile(r"^Pay")).click()
        page.get_by_role("button", name=re.compile(r"^Exact")).click()
        page.get_by_role("button", name="Validate").click()
        approval = page.get_by_role("dialog", name="Manager approval")
        expect(approval).to_contain_text("approves this discount")
        approval.get_by_label("Manager's PIN").fill("9753")
        approval.get_by_role("button", name="Approve").click()
        expect(page.locator("#receipt")).to_have_attribute("data-uuid", re.compile("."))
        discounted = page.locator("#receipt").get_attribute("data-uuid")
        page.get_by_role("button", name="New order").click()
        assert database.scalar("SELECT approver FROM point_of_sale_approval WHERE action = "
                               "'discount' AND order_uuid = :u", u=discounted) == "mona"
        # deleting an order that has lines: a manager approves it with their PIN
        page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
        expect(page.locator("#order-lines li")).to_have_count(1)
        page.get_by_role("button", name="Delete order").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        approval = page.get_by_role("dialog", name="Manager approval")
        expect(approval).to_contain_text("approves deleting an order that has lines")
        approval.get_by_label("Manager's PIN").fill("9753")
        approval.get_by_role("button", name="Approve").click()
        expect(page.locator("#order-lines li.lines-empty")).to_have_count(1)  # a new, empty order
        assert database.scalar("SELECT approver FROM point_of_sale_approval "
                               "WHERE action = 'delete_order'") == "mona"
        page.get_by_role("button", name="Close", exact=True).click()
        page.get_by_label("Cash counted in the drawer").fill("0.99")
        page.get_by_role("button", name="Close session").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Close session").click()
        approval = page.get_by_role("dialog", name="Manager approval")
        expect(approval).to_contain_text("A manager of this till approves closing the session.")
        approval.get_by_label("Manager's PIN").fill("1111")
        approval.get_by_role("button", name="Approve").click()
        approval = page.get_by_role("dialog", name="Manager approval")
        expect(approval.locator("#approval-error")).to_contain_text("Wrong PIN")
        approval.get_by_label("Manager's PIN").fill("9753")
        screenshot(page, "pos-manager-approval.png")
        approval.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("heading", name="Session Shop/00001 closed")).to_be_visible()
        assert database.scalar("SELECT approver FROM point_of_sale_approval "
                               "WHERE action = 'closing'") == "mona"
        assert database.scalar("SELECT cashier FROM point_of_sale_order WHERE uuid = :u",
                               u=discounted) == "carla"
        assert database.scalar("SELECT state FROM point_of_sale_session WHERE id = 1") \
            == "closed"
        assert errors == []
    finally:
        server.stop()
