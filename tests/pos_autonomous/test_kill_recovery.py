"""kill -9 of the till's synchroniser and of the central server at random points during a full
and an incremental import: every run completes on restart, the till's tables equal the
server's, no page is applied twice (the full import's row count only ever grows) and at most
one page is fetched twice per kill (the central server logs where each page starts).

AUTONOMOUS_KILL_TRIALS (default 3 per import) sets the number of kills; the seed is printed."""
import os
import random
import re
import subprocess
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from addons.point_of_sale import Product
from addons.pos_autonomous.till.synchroniser import request_full_import
from tests.pos_autonomous.till_helpers import core, set_parameters, table_digest
from tests.support import BUILT_IN_ADDONS_ONLY, CORE_COMMAND, stop_process_group

TRIALS = int(os.environ.get("AUTONOMOUS_KILL_TRIALS", "3"))
PRODUCTS = 3000 * max(TRIALS, 2)  # pages enough that the kills fall inside the import
PAGE_SIZE = 40
pytestmark = pytest.mark.timeout(max(120, 45 * TRIALS))  # the long run has time for its kills


def start_synchroniser(till_url, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen([CORE_COMMAND, "--db", till_url, "autonomous", "sync"],
                            env={**BUILT_IN_ADDONS_ONLY, "PYTHONUNBUFFERED": "1"}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def page_lines(log_path):
    return len(re.findall(r"point_of_sale\.product: \d+", log_path.read_text(errors="replace")))


def wait_for_a_new_page(log_path, seen, timeout=60, until_finished=True):
    """True once the synchroniser applied a page after the `seen` first ones; False if it
    finished (`until_finished`) or stalled first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page_lines(log_path) > seen:
            return True
        log = log_path.read_text(errors="replace")
        last_page = max(log.rfind("point_of_sale.product: "), 0)
        if until_finished and "synchronised (" in log[last_page:]:  # no page before the end
            return False
        time.sleep(0.02)
    return False


def kill_at_random_points(till_url, central_server, log_path, rng, more_changes=None):
    """Alternately kill -9 the synchroniser and the central server at a random moment while
    pages are being applied; return the number of kills made during the import. When the
    import ends before every kill was made (a fast machine, or kills early in it),
    `more_changes()`, if given, changes the central rows again so the kills go on during the
    import of those changes."""
    synchroniser = start_synchroniser(till_url, log_path)
    kills = 0
    try:
        for trial in range(TRIALS):
            seen = page_lines(log_path)
            if not wait_for_a_new_page(log_path, seen):
                if more_changes is None:
                    break
                more_changes()
                if not wait_for_a_new_page(log_path, seen, until_finished=False):
                    break
            time.sleep(rng.uniform(0.0, 0.3))
            if trial % 2 == 0:
                synchroniser.kill()
                synchroniser.wait()
                synchroniser = start_synchroniser(till_url, log_path)
            else:
                central_server.kill()
                time.sleep(rng.uniform(0.0, 0.5))
                central_server.start()
            kills += 1
    finally:
        stop_process_group(synchroniser)
    return kills


def product_progress(log_path):
    return [int(done) for done in re.findall(r"point_of_sale\.product: (\d+)/\d+ rows",
                                             log_path.read_text(errors="replace"))]


def pages_served(central_server):
    """How many pages with data the central server answered, and how many of them started
    where an earlier one had (fetched again)."""
    starts = Counter(re.findall(r"till \d+: page of \d+ rows from position (\w+)",
                                central_server.log()))
    return sum(starts.values()), sum(count - 1 for count in starts.values())


def assert_equal_products(central, till_url):
    till = create_engine(till_url)
    try:
        assert table_digest(till, Product.__table__) == table_digest(central.engine,
                                                                     Product.__table__)
    finally:
        till.dispose()


def test_full_and_incremental_imports_survive_kills(central, central_server, make_till,
                                                    tmp_path):
    seed = random.randrange(10**6)
    print(f"seed {seed}")
    rng = random.Random(seed)
    till_url = make_till(1)
    set_parameters(till_url, {"pos_autonomous.page_size": str(PAGE_SIZE)})
    with central.engine.begin() as connection:
        connection.execute(Product.__table__.insert(), [
            {"name": f"Item {n}", "price": Decimal(n % 97) + Decimal("0.25"),
             "tax_rate": Decimal("20"), "category": "Bulk", "barcode": f"B{n}"}
            for n in range(PRODUCTS)])
    from core.addons import AddonCatalog
    from core.instance import Instance
    till = Instance(till_url, AddonCatalog())
    request_full_import(till)
    till.engine.dispose()

    full_log = tmp_path / "full.log"
    served_before = pages_served(central_server)
    assert kill_at_random_points(till_url, central_server, full_log, rng) == TRIALS
    core("--db", till_url, "autonomous", "sync", "--once")
    assert_equal_products(central, till_url)
    progress = product_progress(full_log)
    assert progress == sorted(set(progress)), "a page of the full import was applied twice"
    assert_refetches_within_kills("full", served_before, pages_served(central_server))

    def change_prices():
        with central.engine.begin() as connection:
            connection.execute(text("UPDATE point_of_sale_product SET price = price + 1 "
                                    "WHERE category = 'Bulk'"))

    change_prices()
    with central.engine.begin() as connection:
        connection.execute(text("DELETE FROM point_of_sale_product WHERE category = 'Bulk' "
                                "AND id % 7 = 0"))
    served_before = pages_served(central_server)
    assert kill_at_random_points(till_url, central_server, tmp_path / "incremental.log",
                                 rng, more_changes=change_prices) == TRIALS
    core("--db", till_url, "autonomous", "sync", "--once")
    assert_equal_products(central, till_url)
    assert_refetches_within_kills("incremental", served_before, pages_served(central_server))


def assert_refetches_within_kills(phase, before, after):
    served, refetched = after[0] - before[0], after[1] - before[1]
    print(f"{phase} import: {TRIALS} kills, {served} pages served, {refetched} fetched again")
    assert served > TRIALS
    assert refetched <= TRIALS, f"{refetched} pages fetched again for {TRIALS} kills"
