"""A shop with real processes (#29, "Done means"): a central instance under `core serve` (on
PostgreSQL in the PostgreSQL run) and a shop instance — `core autonomous package 1 2 3`, `init`,
its own `core serve` and `core autonomous sync` — holding Shop and Bar (the multi-session "Shop
floor") and Boutique alone.

* Two browser tills (Chromium) on the shop share an order while the central is stopped, pay it;
  the central, started again, receives each config's tickets exactly once.
* kill -9 of the shop's synchroniser and of its server during the push: every config's chain
  reaches the central once, contiguous, link for link."""
import os
import random
import re
import subprocess
import time

import pytest
from sqlalchemy import create_engine, func, select

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.receive import open_alarms
from tests.browser import expect, screenshot, sign_in_to_till, tablet_contexts, watch_errors
from tests.pos_autonomous.conftest import TILL_MANAGER, TILL_MANAGER_PIN
from tests.pos_autonomous.till_helpers import FAST_SYNC, core, set_parameters
from tests.pos_autonomous.up_helpers import sell
from tests.support import (
    BUILT_IN_ADDONS_ONLY,
    CORE_COMMAND,
    installed_instance,
    start_core_server,
    stop_process_group,
)

pytestmark = pytest.mark.timeout(400)

SHOP_ADDONS = ["point_of_sale", "pos_autonomous", "pos_multi_session"]
SHOP_CONFIGS = (1, 2, 3)
FAST_PAGE = ("push_retry_ms=100&push_retry_max_ms=800&bus_retry_ms=200&bus_jitter_ms=0"
             "&ms_retry_ms=300&ms_jitter_ms=200")
WITHIN = 5000  # ms for an order to reach the other till (a loaded machine)
KILLS = int(os.environ.get("SHOP_KILLS", "4"))
TICKETS = int(os.environ.get("SHOP_TICKETS", "150"))  # per config


@pytest.fixture
def central(db_url):
    """The central instance with multi-sessions and the tills' manager (PIN) allowed on the
    shop's three configs (overrides conftest's, which central_server serves)."""
    from addons.point_of_sale.staff import set_pin
    from core.web.users import set_password, user_id_of
    instance = installed_instance(db_url, SHOP_ADDONS)
    with instance.engine.begin() as connection:
        set_password(connection, TILL_MANAGER, "tillboss-secret-1", "manager")
        manager = user_id_of(connection, TILL_MANAGER)
        set_pin(connection, manager, TILL_MANAGER_PIN)
        point_of_sale.set_allowed_configs(connection, manager, list(SHOP_CONFIGS))
    yield instance
    instance.engine.dispose()


@pytest.fixture
def shop_url(central, central_server, tmp_path):
    """The shop's database, made as a shop makes it: package on the central, init."""
    package = tmp_path / "shop.package"
    made = core("--db", central.url, "autonomous", "package", *map(str, SHOP_CONFIGS), "-o",
                str(package), "--server", central_server.url)
    assert "Shop (till" in made.stdout and "of POS configs 1, 2, 3" in made.stdout
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    core("--db", url, "autonomous", "init", str(package))
    set_parameters(url, FAST_SYNC)
    return url


def start_synchroniser(url, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen([CORE_COMMAND, "--db", url, "autonomous", "sync"],
                            env={**BUILT_IN_ADDONS_ONLY, "PYTHONUNBUFFERED": "1"}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def entries(engine, config_id):
    with engine.connect() as connection:
        return [(e["number"], e["uuid"], e["link"]) for e in point_of_sale.ledger_entries(
            connection, config_id, 0, 10**9)]


def wait_until(condition, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def assert_each_chain_once(central, shop):
    """Every config's chain on the central equals the shop's, link for link: numbers
    contiguous, each ticket once, the chain intact, no alarm open."""
    for config_id in SHOP_CONFIGS:
        ours, theirs = entries(shop, config_id), entries(central.engine, config_id)
        assert theirs == ours, f"config {config_id}"
        assert [n for n, _, _ in theirs] == list(range(1, len(theirs) + 1))
    with central.engine.connect() as connection:
        orders = connection.scalar(select(func.count()).select_from(point_of_sale.Order))
        distinct = connection.scalar(select(func.count(func.distinct(point_of_sale.Order.uuid))))
        assert orders == distinct  # nothing twice
        for config_id in SHOP_CONFIGS:
            check = point_of_sale.verify_chain(connection, config_id)
            assert check.ok, check.reason
        assert [(a.kind, a.message) for a in open_alarms(connection)] == []


def open_till(context, url, config_id):
    page = context.new_page()
    sign_in_to_till(page, url, config_id, query=FAST_PAGE, login=TILL_MANAGER,
                    secret=TILL_MANAGER_PIN)
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=10000)
    expect(page.locator("body")).to_have_attribute("data-multi-session", "online",
                                                   timeout=10000)
    return page


def add(page, name):
    page.locator("#products").get_by_role("button", name=re.compile(rf"^{name} ")).click()


def pay(page):
    page.get_by_role("button", name=re.compile(r"^Pay")).click()
    page.get_by_role("button", name=re.compile(r"^Exact")).click()
    page.get_by_role("button", name="Validate").click()
    expect(page.locator("#receipt")).to_be_visible(timeout=10000)


def share_and_pay(url):
    """Two tablets on Shop and Bar of the shop: Bar adds a line to Shop's order, Shop pays it
    (it leaves Bar), Bar sells one of its own. Return the shared order's uuid."""
    with tablet_contexts(2) as (first, second):
        shop_till, bar_till = open_till(first, url, 1), open_till(second, url, 2)
        errors = watch_errors(shop_till) + watch_errors(bar_till)
        try:
            add(shop_till, "Espresso")
            shared = shop_till.evaluate("window.comptoirPos.currentOrder().uuid")
            tab = bar_till.locator(f'#order-tabs [data-uuid="{shared}"]')
            expect(tab).to_be_visible(timeout=WITHIN)
            tab.click()
            add(bar_till, "Croissant")  # Bar adds to Shop's order, through the shop
            expect(shop_till.locator("#order-lines .line-name")).to_have_text(
                ["Espresso", "Croissant"], timeout=WITHIN)
            pay(shop_till)
            expect(tab).to_have_count(0, timeout=WITHIN)  # paid: gone from Bar too
            bar_till.get_by_role("button", name="Add order").click()
            add(bar_till, "Latte")
            pay(bar_till)
        except Exception:
            screenshot(shop_till, "shop-till-1.png")
            screenshot(bar_till, "shop-till-2.png")
            raise
        assert errors == []
    return shared


@pytest.mark.browser
def test_two_browser_tills_of_a_shop_share_an_order_with_the_central_stopped(
        central, central_server, shop_url, tmp_path):
    shop = create_engine(shop_url)
    with shop.begin() as connection:  # the shop's manager opens Shop and Bar there
        for config_id in (1, 2):
            point_of_sale.open_session(connection, config_id)
    server = start_core_server(shop_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    synchroniser = start_synchroniser(shop_url, tmp_path / "sync.log")
    try:
        central_server.kill()  # the line is down from now on
        shared = share_and_pay(server.url)
        boutique = sell(shop, 2, config_id=3)  # the third config, alone, sells too
        assert wait_until(lambda: len(entries(shop, 1)) == 1 and len(entries(shop, 2)) == 1,
                          10)
        paid = {1: entries(shop, 1), 2: entries(shop, 2), 3: entries(shop, 3)}
        assert [u for _, u, _ in paid[1]] == [shared]  # Bar's lines in Shop's ticket
        assert [u for _, u, _ in paid[3]] == boutique
        with shop.connect() as connection:
            lines = connection.scalar(select(func.count()).select_from(point_of_sale.OrderLine)
                                      .join(point_of_sale.Order).where(
                point_of_sale.Order.uuid == shared))
        assert lines == 2
        assert all(entries(central.engine, c) == [] for c in SHOP_CONFIGS)  # down meanwhile
        central_server.start()
        assert wait_until(lambda: all(len(entries(central.engine, c)) == len(paid[c])
                                      for c in SHOP_CONFIGS), 60)
        time.sleep(1)  # further passes: nothing more goes up
        assert_each_chain_once(central, shop)
        assert {c: entries(central.engine, c) for c in SHOP_CONFIGS} == paid
    finally:
        stop_process_group(synchroniser)
        stop_process_group(server.process)
        shop.dispose()


def test_each_configs_chain_reaches_the_central_once_through_kills_of_the_shop(
        central, central_server, shop_url, tmp_path):
    seed = random.randrange(10**6)
    print(f"seed {seed}, {TICKETS} tickets per config, {KILLS} kills")
    rng = random.Random(seed)
    set_parameters(shop_url, {"pos_autonomous.push_batch_size": "10"})
    shop = create_engine(shop_url)
    log = tmp_path / "sync.log"
    server = start_core_server(shop_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    synchroniser = None
    try:
        for config_id in SHOP_CONFIGS:
            sell(shop, TICKETS, config_id=config_id)
        total = TICKETS * len(SHOP_CONFIGS)

        def arrived():
            return sum(len(entries(central.engine, c)) for c in SHOP_CONFIGS)
        synchroniser = start_synchroniser(shop_url, log)
        kills = {"synchroniser": 0, "server": 0}
        for kill in range(KILLS):
            before = arrived()
            wait_until(lambda before=before: arrived() > before or before >= total, 30,
                       step=0.02)
            if arrived() >= total:
                break
            time.sleep(rng.uniform(0.0, 0.1))
            if kill % 2 == 0:  # each in turn, at a random moment of the push
                synchroniser.kill()  # SIGKILL, mid-push
                synchroniser.wait()
                synchroniser = start_synchroniser(shop_url, log)
                kills["synchroniser"] += 1
            else:
                server.process.kill()  # the shop's server, mid-push
                server.process.wait()
                server = start_core_server(shop_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
                kills["server"] += 1
        assert wait_until(lambda: arrived() >= total, 120), log.read_text()[-2000:]
        print(f"kills {kills}")
    finally:
        if synchroniser is not None:
            stop_process_group(synchroniser)
        stop_process_group(server.process)
    core("--db", shop_url, "autonomous", "sync", "--once")  # a last pass: nothing more
    assert_each_chain_once(central, shop)
    state = core("--db", shop_url, "autonomous", "status").stdout
    assert "config 3 (till" in state and f"last acknowledged ticket: {TICKETS}" in state
    shop.dispose()
