"""One order's content never refuses its batch, on the POS page in Chromium: orders paid
offline go out together; one holds a lone surrogate (the server rejects that order alone), the
batch is larger than core.max_request_bytes (the page splits it), and one order alone is larger
than the limit (the page marks that one refused). Every other order is stored, the refused
ones wait in "Needs attention", and the page does not retry them for ever."""
import pytest

from core.addons import AddonCatalog
from core.instance import Instance
from tests.browser import PosServer, expect, prepare_database, watch_errors
from tests.point_of_sale.test_pos_page_browser import (
    pay_cash,
    product,
    sign_in,
    sync_status,
    wait_until_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]
LIMIT = 20_000  # core.max_request_bytes for the test

SPOIL = """([badUuid, padded, tooBig]) => {
  const pad = (size) => Array.from({ length: Math.ceil(size / 4000) }, () => "x".repeat(4000));
  window.pushSizes = [];
  window.comptoirPos.addEventListener("pos:before-push", (event) => {
    for (const order of event.detail.orders) {
      if (order.uuid === badUuid) order.note = "broken \\ud800 emoji";  // a lone surrogate
      if (padded.includes(order.uuid)) order.padding = pad(8000);
      if (order.uuid === tooBig) order.padding = pad(25000);
    }
    window.pushSizes.push(event.detail.orders.length);
  });
}"""


@pytest.fixture
def small_limit_server(db_url, tmp_path):
    database = prepare_database(db_url)
    instance = Instance(db_url, AddonCatalog([], entry_points=False))
    try:
        with instance.engine.begin() as connection:
            instance.parameters(connection).set("core.max_request_bytes", LIMIT)
    finally:
        instance.engine.dispose()
    server = PosServer(database, tmp_path).start()
    yield server
    server.stop()


def test_one_orders_content_or_size_never_holds_back_the_others(browser_context,
                                                               small_limit_server):
    server, database = small_limit_server, small_limit_server.database
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, server)
    wait_until_ready(page)
    browser_context.set_offline(True)
    paid = []
    for _ in range(5):
        product(page, "Croissant").click()
        paid.append(pay_cash(page))
        page.get_by_role("button", name="New order").click()
    expect(sync_status(page)).to_contain_text("pending 5")
    good, bad, padded_one, padded_two, too_big = paid
    page.evaluate(SPOIL, [bad, [padded_one, padded_two], too_big])

    browser_context.set_offline(False)
    page.evaluate("window.comptoirPos.pushNow()")
    expect(sync_status(page)).to_contain_text("2 refused", timeout=15000)
    for uuid in (good, padded_one, padded_two):
        assert database.order_count(uuid) == 1, uuid
    for uuid in (bad, too_big):
        assert database.order_count(uuid) == 0, uuid
    refused = {entry["uuid"]: entry for entry in page.evaluate("window.comptoirPos.outbox()")}
    assert set(refused) == {bad, too_big}
    assert refused[bad]["error"]["code"] == "lone_surrogate"
    assert refused[too_big]["error"]["code"] == "payload_too_large"
    assert all(entry["status"] == "rejected" for entry in refused.values())
    # The whole batch, then halves: never the same refused batch again and again.
    sizes = page.evaluate("window.pushSizes")
    assert sizes[0] == 5 and len(sizes) < 10, sizes
    page.wait_for_timeout(1500)  # retries would have come by now (push_retry_ms=100)
    assert page.evaluate("window.pushSizes") == sizes
    assert page.evaluate("window.comptoirPos.syncState().status") == "synced"
    assert errors == []
