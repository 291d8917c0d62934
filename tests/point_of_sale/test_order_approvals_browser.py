"""A manager's approval of an order at the till, accepted by the server: a cashier's discount
approved with the manager's PIN online (the order carries the approval's uuid) and offline (the
till checks the PIN itself and signs the order with it; the server checks that proof when the
order arrives and keeps the approval with the ticket)."""
import re

import pytest

from tests.browser import PosServer, expect, screenshot
from tests.point_of_sale.test_staff_browser import carla_at_till, staff_database

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser, pytest.mark.server]


def pay_discounted_espresso(page, pin, shot=None):
    """An espresso at 50 % off, paid: the manager approves with `pin`; the order's uuid."""
    before = page.locator("#receipt").get_attribute("data-uuid") or "-"
    page.locator("#products").get_by_role("button", name=re.compile("^Espresso ")).click()
    page.get_by_label("Discount %").fill("50")
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.get_by_role("button", name=re.compile(r"^Exact")).click()
    page.get_by_role("button", name="Validate").click()
    approval = page.get_by_role("dialog", name="Manager approval")
    expect(approval).to_contain_text("approves this discount")
    approval.get_by_role("button", name="mona").click()
    approval.get_by_label("Manager's PIN").fill(pin)
    if shot:
        screenshot(page, shot)
    approval.get_by_role("button", name="Approve").click()
    expect(page.locator("#receipt")).not_to_have_attribute("data-uuid", before)
    expect(page.locator("#receipt")).to_have_attribute("data-uuid", re.compile("."))
    uuid = page.locator("#receipt").get_attribute("data-uuid")
    page.get_by_role("button", name="New order").click()
    return uuid


def approvals_of(database, uuid):
    return database.scalar("SELECT count(*) FROM point_of_sale_approval WHERE order_uuid = :u",
                           u=uuid), database.scalar(
        "SELECT approver || ' ' || via FROM point_of_sale_approval WHERE order_uuid = :u", u=uuid)


def test_a_discount_approved_at_the_till_online_and_offline_is_accepted_by_the_server(
        browser_context, db_url, tmp_path):
    database = staff_database(db_url, manager=True)
    server = PosServer(database, tmp_path)
    server.start()
    try:
        page, errors = carla_at_till(browser_context, server)

        online = pay_discounted_espresso(page, "9753")
        expect(page.locator("#sync-indicator")).to_have_attribute("data-state", "ok")
        assert database.scalar("SELECT cashier FROM point_of_sale_order WHERE uuid = :u",
                               u=online) == "carla"  # the server took it
        assert approvals_of(database, online) == (1, "mona pin")  # once, as approved

        server.stop()  # offline: the till checks mona's PIN and signs the order with it
        offline = pay_discounted_espresso(page, "9753", shot="pos-approval-offline.png")
        assert database.scalar("SELECT count(*) FROM point_of_sale_order WHERE uuid = :u",
                               u=offline) == 0
        server.start()  # back: the order and its approval reach the server together
        expect(page.locator("#sync-indicator")).to_have_attribute("data-state", "ok",
                                                                  timeout=15000)
        assert database.scalar("SELECT cashier FROM point_of_sale_order WHERE uuid = :u",
                               u=offline) == "carla"
        assert approvals_of(database, offline) == (1, "mona pin_offline")
        assert database.scalar("SELECT count(*) FROM point_of_sale_journal_event WHERE kind = "
                               "'approval' AND details LIKE :u", u=f"%{offline}%") == 1
        assert errors == []
    finally:
        server.stop()
