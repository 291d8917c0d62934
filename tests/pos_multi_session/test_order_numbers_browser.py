"""Order numbers a person can use (issue #27, item 3), Shop and Bar sharing orders: each till
numbers its orders from #0001 in each session, whatever the other till does; another till's
order shows that till's name with its number ("Bar #0002"); a new session starts with no empty
tab left over from the last one."""
import re
import subprocess

import pytest

from tests.browser import expect, screenshot
from tests.pos_multi_session.test_order_on_screen_browser import (  # noqa: F401 (the fixture)
    WITHIN,
    add,
    new_order,
    shop_and_bar,
    tab,
    wait_online,
)
from tests.support import BUILT_IN_ADDONS_ONLY, CORE_COMMAND

pytestmark = [pytest.mark.timeout(180), pytest.mark.browser]

TABS = """() => [...document.querySelectorAll('#order-tabs [data-uuid]')].map((tab) => {
    const order = window.comptoirPos.openOrders().find((o) => o.uuid === tab.dataset.uuid);
    return {number: tab.querySelector('.tab-number').textContent,
            lines: order ? order.lines.length : -1};
})"""


def tabs(page):
    return page.evaluate(TABS)


def core(url, *args):
    subprocess.run([CORE_COMMAND, "--db", url, *args], env=BUILT_IN_ADDONS_ONLY, check=True,
                   capture_output=True)


def test_each_till_numbers_its_orders_from_one_each_session(shop_and_bar, addon_instance):  # noqa: F811
    shop, bar = shop_and_bar
    # "Replace an empty order" off: each till's first order stays its own, whichever till
    # rings up first (the option's own tests are in test_order_on_screen_browser.py).
    from core.config_fields import declared_fields, write_values
    fields = [f for f in declared_fields(addon_instance.plugin_manager(), "pos.config")
              if f.name == "multi_session_replace_empty_order"]
    with addon_instance.engine.begin() as connection:
        for config_id in (1, 2):
            write_values(connection, "pos.config", config_id, fields,
                         {"multi_session_replace_empty_order": False})
    for page in (shop, bar):
        page.reload()
        wait_online(page)
    add(shop, "Espresso")
    add(bar, "Croissant")
    bars_second = new_order(bar)
    add(bar, "Latte")
    expect(tab(shop, bars_second)).to_be_visible(timeout=WITHIN)
    new_order(shop)
    add(shop, "Cola")
    new_order(shop)  # left empty
    expect(shop.locator("#order-tabs [data-uuid]")).to_have_count(5, timeout=WITHIN)
    numbers = [t["number"] for t in tabs(shop)]
    assert sorted(numbers) == ["#0001", "#0002", "#0003", "Bar #0001", "Bar #0002"], numbers
    assert sorted(t["number"] for t in tabs(bar)) == ["#0001", "#0002", "Shop #0001", "Shop #0002"]
    screenshot(shop, "order-numbers-shop.png")

    # Shop's session closes and the next one opens while Bar sells on (the run goes on).
    core(addon_instance.url, "pos", "close", "1")
    core(addon_instance.url, "pos", "open", "1")
    shop.reload()
    wait_online(shop)
    expect(tab(shop, bars_second)).to_be_visible(timeout=WITHIN)
    shop.wait_for_timeout(500)
    now = tabs(shop)
    own = [t for t in now if not t["number"].startswith("Bar")]
    empty = [t for t in own if t["lines"] == 0]
    assert len(empty) <= 1, now  # no leftover empty tabs of the last session
    assert sorted(t["number"] for t in own)[0] == "#0001", now
    assert len({t["number"] for t in now}) == len(now), now
    assert sorted(t["number"] for t in now if t["number"].startswith("Bar")) == [
        "Bar #0001", "Bar #0002"], now
    # The next order of the new session follows on.
    before = {t["number"] for t in own}
    new_order(shop)
    add(shop, "Latte")
    after = {t["number"] for t in tabs(shop) if not t["number"].startswith("Bar")}
    added = after - before
    assert added <= {f"#{n:04d}" for n in range(1, 4)}, (before, after)
    screenshot(shop, "order-numbers-next-session.png")
    assert re.match(r"#\d{4}", sorted(after)[0])
