"""Exactly once under faults: tickets sold on a till go up through a proxy that drops replies
after the server committed, sends batches twice, out of order and late (faulty_proxy.py), while
the till's synchroniser and the central server are killed (-9) at random points. Afterwards the
central instance holds every ticket once: 0 duplicates, 0 losses, numbers 1..N contiguous, the
same chain link for link, and no alarm left open.

AUTONOMOUS_PUSH_TICKETS (default 300) and AUTONOMOUS_PUSH_KILLS (default 2) set the size; the
seed is printed. The 10,000-ticket run: AUTONOMOUS_PUSH_TICKETS=10000 AUTONOMOUS_PUSH_KILLS=20.
"""
import os
import random
import subprocess
import time

import pytest
from sqlalchemy import create_engine, func, select, text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.models import Acknowledgement
from addons.pos_autonomous.central.receive import open_alarms
from tests.pos_autonomous.faulty_proxy import FaultyProxy
from tests.pos_autonomous.till_helpers import core, set_parameters
from tests.pos_autonomous.up_helpers import sell
from tests.support import BUILT_IN_ADDONS_ONLY, CORE_COMMAND, stop_process_group

TICKETS = int(os.environ.get("AUTONOMOUS_PUSH_TICKETS", "300"))
KILLS = int(os.environ.get("AUTONOMOUS_PUSH_KILLS", "2"))
BATCH = max(10, min(200, TICKETS // 50))
pytestmark = pytest.mark.timeout(max(240, TICKETS // 4 + 30 * KILLS))  # the long run's time


def start_synchroniser(till_url, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen([CORE_COMMAND, "--db", till_url, "autonomous", "sync"],
                            env={**BUILT_IN_ADDONS_ONLY, "PYTHONUNBUFFERED": "1"}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def acknowledged(central):
    with central.engine.connect() as connection:
        return point_of_sale.ledger_head(connection, 1)[0]


def till_entries(engine):
    with engine.connect() as connection:
        return [(e["number"], e["uuid"], e["link"]) for e in point_of_sale.ledger_entries(
            connection, 1, 0, 10**9)]


def wait_for_progress(central, since, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = acknowledged(central)
        if now > since or now >= TICKETS:
            return now
        time.sleep(0.02)
    return acknowledged(central)


def test_every_ticket_reaches_the_server_once_through_faults_and_kills(central, central_server,
                                                                      make_till, tmp_path):
    seed = random.randrange(10**6)
    print(f"seed {seed}, {TICKETS} tickets in batches of {BATCH}, {KILLS} kills")
    rng = random.Random(seed)
    till_url = make_till(1)
    set_parameters(till_url, {"pos_autonomous.push_batch_size": str(BATCH)})
    proxy = FaultyProxy(central_server.url, rate=0.3, seed=seed)
    till = create_engine(till_url)
    with till.begin() as connection:
        connection.execute(text("UPDATE pos_autonomous_link SET server_url = :url"),
                           {"url": proxy.url})
    started = time.perf_counter()
    try:
        uuids = sell(till, TICKETS)
        sold = time.perf_counter()
        log = tmp_path / "sync.log"
        synchroniser = start_synchroniser(till_url, log)
        kills = {"synchroniser": 0, "central": 0}
        try:
            for _kill in range(KILLS):
                seen = wait_for_progress(central, acknowledged(central))
                if seen >= TICKETS:
                    break
                time.sleep(rng.uniform(0.0, 0.4))
                if rng.random() < 0.5:
                    synchroniser.kill()
                    synchroniser.wait()
                    synchroniser = start_synchroniser(till_url, log)
                    kills["synchroniser"] += 1
                else:
                    central_server.kill()
                    time.sleep(rng.uniform(0.0, 0.3))
                    central_server.start()
                    kills["central"] += 1
            deadline = time.monotonic() + max(120, TICKETS / 5)
            while acknowledged(central) < TICKETS and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop_process_group(synchroniser)
        core("--db", till_url, "autonomous", "sync", "--once")  # the last pass settles all
        elapsed = time.perf_counter() - sold
        print(f"pushed {TICKETS} tickets in {elapsed:.1f} s (selling took "
              f"{sold - started:.1f} s); kills {kills}; faults {dict(proxy.faults)} in "
              f"{proxy.pushes} pushes")
    finally:
        proxy.close()
    with central.engine.connect() as connection:
        central_entries = [(e["number"], e["uuid"], e["link"]) for e in
                           point_of_sale.ledger_entries(connection, 1, 0, 10**9)]
        orders = connection.scalar(select(func.count()).select_from(point_of_sale.Order).where(
            point_of_sale.Order.uuid.in_(uuids)))
        distinct = connection.scalar(select(func.count(func.distinct(point_of_sale.Order.uuid))))
        stored = connection.scalar(select(func.sum(Acknowledgement.stored)))
        alarms = [(a.kind, a.first_number, a.message) for a in open_alarms(connection)]
        chain = point_of_sale.verify_chain(connection, 1)
    ours = till_entries(till)
    till.dispose()
    numbers = [number for number, _, _ in central_entries]
    duplicates, losses = orders - len(set(uuids)), len(set(uuids) - {u for _, u, _ in
                                                                      central_entries})
    print(f"0 expected: duplicates {duplicates}, losses {losses}; contiguous "
          f"{numbers == list(range(1, TICKETS + 1))}; open alarms {len(alarms)}")
    assert numbers == list(range(1, TICKETS + 1))  # contiguous, none twice
    assert central_entries == ours  # the till's chain, link for link: nothing lost or altered
    assert orders == distinct == TICKETS and duplicates == 0 and losses == 0
    assert stored == TICKETS  # the acknowledgement journal accounts for each ticket once
    assert chain.ok, chain.reason
    assert alarms == []  # the gaps that reordering made closed when the tickets arrived
    state = core("--db", till_url, "autonomous", "status", "--json").stdout
    assert '"last_acknowledged": %d' % TICKETS in state
