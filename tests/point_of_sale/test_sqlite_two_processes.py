"""Two `core serve` processes on one SQLite file: concurrent order pushes all succeed (write
transactions take SQLite's write lock first and wait for it; issue #10 item 6)."""
import os
import threading
import uuid

import pytest
import requests

from tests.support import (
    BUILT_IN_ADDONS_ONLY,
    bearer_header,
    installed_instance,
    scalar,
    start_core_server,
    stop_process_group,
)

pytestmark = [pytest.mark.server,
              pytest.mark.skipif(bool(os.environ.get("CORE_TEST_DB")),
                                 reason="SQLite only: PostgreSQL has its own locking")]
PUSHERS_PER_SERVER, PUSHES, ORDERS_PER_PUSH = 4, 8, 3


def a_push(session_id):
    return [{"uuid": uuid.uuid4().hex, "session_id": session_id,
             "created_at": "2026-11-22T10:15:00Z",
             "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
             "payments": [{"method": "cash", "amount": "5"}]}
            for _ in range(ORDERS_PER_PUSH)]


def test_two_servers_on_one_sqlite_file_store_every_concurrent_push(db_url, tmp_path):
    from addons.point_of_sale.sessions import open_session
    instance = installed_instance(db_url, ["point_of_sale"])
    with instance.engine.begin() as connection:
        session_id = open_session(connection, 1)
    headers = bearer_header(instance, 1)
    servers = [start_core_server(db_url, tmp_path, env=BUILT_IN_ADDONS_ONLY) for _ in range(2)]
    statuses, failures = [], []
    start = threading.Barrier(2 * PUSHERS_PER_SERVER)

    def pusher(server):
        with requests.Session() as http:
            start.wait()
            for _ in range(PUSHES):
                response = http.post(server.url + "/pos/orders", json=a_push(session_id),
                                     headers=headers, timeout=60)
                statuses.append(response.status_code)
                if response.status_code != 200:
                    failures.append(response.text[:200])
                else:
                    failures.extend(r for r in response.json()["results"]
                                    if r["status"] != "created")

    try:
        threads = [threading.Thread(target=pusher, args=(server,))
                   for server in servers for _ in range(PUSHERS_PER_SERVER)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for server in servers:
            stop_process_group(server.process)
    total = 2 * PUSHERS_PER_SERVER * PUSHES
    assert len(statuses) == total
    failed = len(statuses) - statuses.count(200)
    assert failures == [], f"{failed} of {total} pushes failed: {failures[:3]}"
    assert scalar(instance, "SELECT count(*) FROM point_of_sale_order") == total * ORDERS_PER_PUSH
    # Sealed by two processes at once: ticket numbers 1..N, none twice (ledger.py).
    assert scalar(instance, "SELECT count(DISTINCT number) || ',' || min(number) || ',' || "
                            "max(number) FROM point_of_sale_ledger_entry") == \
        f"{total * ORDERS_PER_PUSH},1,{total * ORDERS_PER_PUSH}"
    instance.engine.dispose()
