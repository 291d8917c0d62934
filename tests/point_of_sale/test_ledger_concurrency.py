"""Several workers push orders to one config at once: the ticket numbers are 1..N, without a
gap or a duplicate, and the chain verifies (PostgreSQL: concurrent transactions queue on the
config's head row; SQLite: writers take the database's write lock)."""
import os
import threading
import uuid

import pytest
import requests
from sqlalchemy import text

from addons.point_of_sale import push_orders, verify_chain
from tests.support import (
    BUILT_IN_ADDONS_ONLY,
    bearer_header,
    installed_instance,
    start_core_server,
    stop_process_group,
)

WORKERS, PUSHES, ORDERS_PER_PUSH = 6, 4, 3


def a_push(session_id):
    return [{"uuid": uuid.uuid4().hex, "session_id": session_id,
             "created_at": "2026-11-22T10:15:00Z",
             "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
             "payments": [{"method": "cash", "amount": "5"}]}
            for _ in range(ORDERS_PER_PUSH)]


def test_concurrent_pushes_to_one_config_get_numbers_without_gaps_or_duplicates(
        addon_instance, shop_session):
    numbers, failures = [], []
    start = threading.Barrier(WORKERS)

    def worker():
        try:
            start.wait()
            for _ in range(PUSHES):
                with addon_instance.engine.begin() as connection:
                    results = push_orders(connection, a_push(shop_session))
                numbers.extend(r["number"] for r in results if r["status"] == "created")
                failures.extend(r for r in results if r["status"] != "created")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    total = WORKERS * PUSHES * ORDERS_PER_PUSH
    assert sorted(numbers) == list(range(1, total + 1))
    with addon_instance.engine.connect() as connection:
        check = verify_chain(connection, 1)
        stored = connection.scalar(text("SELECT count(*) FROM point_of_sale_ledger_entry"))
    assert (check.ok, check.checked, stored) == (True, total, total)


@pytest.mark.server
@pytest.mark.skipif(not os.environ.get("CORE_TEST_DB"),
                    reason="several worker processes need PostgreSQL (set CORE_TEST_DB)")
def test_two_worker_processes_number_concurrent_pushes_without_gaps(db_url, tmp_path):
    """`core serve --workers 2` (gunicorn) on PostgreSQL, pushed to by several clients at once."""
    from addons.point_of_sale.sessions import open_session
    instance = installed_instance(db_url, ["point_of_sale"])
    with instance.engine.begin() as connection:
        session_id = open_session(connection, 1)
    headers = bearer_header(instance, 1)
    server = start_core_server(db_url, tmp_path, "--workers", "2", env=BUILT_IN_ADDONS_ONLY)
    numbers, failures = [], []
    start = threading.Barrier(WORKERS)

    def client():
        with requests.Session() as http:
            start.wait()
            for _ in range(PUSHES):
                response = http.post(server.url + "/pos/orders", json=a_push(session_id),
                                     headers=headers, timeout=60)
                if response.status_code != 200:
                    failures.append(response.text[:200])
                    continue
                for result in response.json()["results"]:
                    (numbers.append(result["number"]) if result["status"] == "created"
                     else failures.append(result))

    try:
        threads = [threading.Thread(target=client) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop_process_group(server.process)
    assert failures == []
    total = WORKERS * PUSHES * ORDERS_PER_PUSH
    assert sorted(numbers) == list(range(1, total + 1))
    with instance.engine.connect() as connection:
        assert verify_chain(connection, 1).checked == total
    instance.engine.dispose()
