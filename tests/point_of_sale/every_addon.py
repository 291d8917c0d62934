"""The POS page with every POS addon installed (bus, shared orders, session check): the database,
signing in to Shop's till, and what the browser tests of those addons share."""
import re

from tests.browser import PosDatabase, expect
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD, installed_instance
from tests.support import BUILT_IN_ADDONS as ADDONS

EVERY_ADDON = ["pos_multi_session", "pos_longpolling", "pos_check_session_state"]
FAST = ("push_retry_ms=100&push_retry_max_ms=800&bus_retry_ms=200&bus_jitter_ms=0"
        "&bus_poll_timeout=2&ms_retry_ms=300&ms_jitter_ms=200")
BACK_WITHIN = 6000  # ms: every addon online again after the server returns


def every_addon_database(db_url, check_every=1):
    """Every POS addon with demo data (Shop and Bar share orders), both sessions opened, Shop
    checking its session every `check_every` seconds, and the admin."""
    from addons.point_of_sale.sessions import open_session
    from core.config_fields import declared_fields, write_values
    instance = installed_instance(db_url, EVERY_ADDON)
    try:
        with instance.engine.begin() as connection:
            open_session(connection, 1)
            open_session(connection, 2)
            fields = [f for f in declared_fields(instance.plugin_manager(), "pos.config")
                      if f.name == "check_session_frequency"]
            write_values(connection, "pos.config", 1, fields, {"check_session_frequency": check_every})
    finally:
        instance.engine.dispose()
    return PosDatabase(db_url, [str(ADDONS)])


def open_till(page, server, query=FAST):
    page.goto(f"{server.url}/pos/ui/1?{query}")
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def expect_every_addon_online(page, timeout=5000):
    body = page.locator("body")
    expect(body).to_have_attribute("data-bus-state", "online", timeout=timeout)
    expect(body).to_have_attribute("data-multi-session", "online", timeout=timeout)
    expect(body).to_have_attribute("data-session-check", "opened", timeout=timeout)
    expect(page.locator(".bus-icon")).to_be_visible()
    expect(page.locator(".ms-chip")).to_have_text("Shared")


def sell(page, name="Espresso"):
    page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} ")).click()
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.get_by_role("button", name=re.compile(r"^Exact")).click()
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("#receipt")).to_have_attribute("data-uuid", re.compile("."))
    uuid = page.locator("#receipt").get_attribute("data-uuid")
    page.get_by_role("button", name="New order").click()
    return uuid
