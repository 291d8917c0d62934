"""A fleet catches up after an outage (#30 item 3): --tills tills, each holding --tickets sealed
tickets, push them to one central instance on PostgreSQL under `core serve --workers 2` all at
the same moment; beside it, in the same run, the same tickets pushed by one till alone (one
client sending every till's batches one after the other) to a copy of the same central.

    .venv/bin/python bench/catch_up.py [--tills 10] [--tickets 200] [--batch 200]
        [--workers 2] [--push-slots N] [--push-queue-ms MS]
        [--postgres postgresql://postgres@127.0.0.1:5432]

The chains are real: a seller instance (SQLite, point_of_sale's demo data and one POS config
per till) sells and seals every ticket with point_of_sale's own code (`push_orders`), and the
batches are built from its ledger as a till's push.py builds them (entries in chain order, its
head, the links anchoring acknowledged tickets, its sessions in the first batch). The central
instance registers one till per config (`tills.register_till`, `take_config`, as a package
does) and is copied (`CREATE DATABASE … TEMPLATE`) before anything is pushed, so that the
fleet and the baseline run against identical centrals with the same tills' credentials. The
clients are threads sending bodies encoded before the clock starts, so the figures are the
central's (each till sends its next batch once the previous one is acknowledged, like the
synchroniser). The issue's size is `--tills 200 --tickets 1000` (selling 200,000 tickets
takes long before the clock starts: about 5 ms each here).

Prints, for both: total time, tickets/s, p50/p99/max per batch, the central's CPU (its
processes, and the PostgreSQL backends serving its database), the server's time waiting for a
CPU, retries (503 answers); then the ratio fleet time / alone time (goal ≤ 1.5) and whether
every chain ended complete on the central (head number and link equal to the till's, every
ticket stored, `verify_chain` intact, the till's push row acknowledged up to its head).
"""
import argparse
import http.client
import sys
import threading
import time
import uuid
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autonomous_support import Scratch, make_central  # noqa: E402
from bench_support import CORE, ServerProcess, percentile  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import addons.point_of_sale as point_of_sale  # noqa: E402
from addons.pos_autonomous.central import tills as central_tills  # noqa: E402
from addons.pos_autonomous.central.models import TillPush  # noqa: E402
from addons.pos_autonomous.till.client import busy_wait  # noqa: E402
from addons.pos_autonomous.wire import ACKNOWLEDGED  # noqa: E402
from core.addons import AddonCatalog  # noqa: E402
from core.instance import Instance  # noqa: E402
from core.models import utc_now  # noqa: E402
from core.times import utc_iso  # noqa: E402

FIRST_CONFIG = 101  # the fleet's configs: 101, 102, ... (the demo's are 1 to 3)
WARM_UP = 4  # tills (configs 97 to 100) whose small chains warm the workers up, not counted
PRICES = {}  # product id: price (text), read from the seller's demo data


def add_configs(engine, count):
    with engine.begin() as connection:
        connection.execute(point_of_sale.PosConfig.__table__.insert(), [
            {"id": FIRST_CONFIG + n, "name": f"Till {n + 1}", "active": True}
            for n in range(-WARM_UP, count)])


def sell(seller, config_id, count, chunk=500):
    """`count` tickets sold and sealed on `config_id` by point_of_sale's own push."""
    with seller.engine.begin() as connection:
        session_id = point_of_sale.open_session(connection, config_id)
    for start in range(0, count, chunk):
        orders = [{"uuid": uuid.uuid4().hex, "session_id": session_id,
                   "created_at": f"2026-11-26T{8 + n // 3600 % 10:02d}:{n // 60 % 60:02d}:"
                                 f"{n % 60:02d}Z",
                   "lines": [{"product_id": 1 + n % 30, "qty": "1",
                              "price_unit": PRICES[1 + n % 30]},
                             {"product_id": 16, "qty": "2", "price_unit": PRICES[16]}],
                   "payments": [{"method": "cash", "amount": "40.00"}]}
                  for n in range(start, min(count, start + chunk))]
        with seller.engine.begin() as connection:
            results = point_of_sale.push_orders(connection, orders, allowed_config_id=config_id)
        assert all(r["status"] == "created" for r in results), results[:2]
    return session_id


def sessions_of(connection, config_id):
    table = point_of_sale.PosSession
    return [{"id": row.id, "name": row.name, "state": row.state,
             "opened_at": utc_iso(row.opened_at), "closed_at": utc_iso(row.closed_at)}
            for row in connection.execute(select(table).where(table.config_id == config_id))]


def batches(connection, till_id, config_id, size):
    """The bodies this till sends, in order, as push.build_batch makes them (each after the
    previous one was acknowledged whole)."""
    head_number, head_link = point_of_sale.ledger_head(connection, config_id)
    bodies, after, serial = [], 0, 0
    while after < head_number:
        entries = point_of_sale.ledger_entries(connection, config_id, after, size)
        serial += 1
        links = point_of_sale.ledger_links(connection, config_id,
                                           point_of_sale.anchor_numbers(after, head_number))
        bodies.append((entries[-1]["number"], orjson.dumps({
            "till": till_id, "serial": serial, "sent_at": utc_iso(utc_now()),
            "first": entries[0]["number"], "last": entries[-1]["number"],
            "head": {"number": head_number, "link": head_link},
            "links": [[n, links[n]] for n in sorted(links)], "entries": entries,
            "sessions": sessions_of(connection, config_id) if serial == 1 else [],
            "events": [], "journal": [],
            "chain": {"ok": True, "checked": head_number, "first_broken": None, "reason": ""},
        }, default=str)))
        after = entries[-1]["number"]
    return bodies, (head_number, head_link)


class Till:
    """A simulated till: its credentials, its bodies, what came of sending them."""

    def __init__(self, config_id, till_id, token, bodies, head):
        self.config_id, self.till_id, self.token = config_id, till_id, token
        self.bodies, self.head = bodies, head
        self.latencies, self.retries, self.failure = [], 0, None

    def push_all(self, port, start=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        if start is not None:
            start.wait()
        try:
            for last, body in self.bodies:
                self._push(connection, last, body)
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            self.failure = f"till {self.till_id}: {exc}"
        finally:
            connection.close()

    def _push(self, connection, last, body):
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        while True:
            started = time.perf_counter()
            connection.request("POST", "/pos_autonomous/push", body, headers)
            response = connection.getresponse()
            data = response.read()
            if response.status == 503:  # nothing stored: send the same batch again, as a till
                self.retries += 1  # does (its client's wait: Retry-After and a random part;
                connection.close()  # the server closes a connection idle that long)
                time.sleep(busy_wait(float(response.getheader("Retry-After") or 1)))
                continue
            self.latencies.append(time.perf_counter() - started)
            answer = orjson.loads(data)
            if response.status != 200:
                raise RuntimeError(f"answered {response.status}: {data[:300]!r}")
            if (answer["acknowledged"] != last
                    or any(ack["status"] not in ACKNOWLEDGED for ack in answer["acks"])):
                raise RuntimeError(f"batch up to {last} not acknowledged: "
                                   f"{answer['acknowledged']}, {answer['acks'][:1]}")
            return


def prepare(options, scratch):
    """(central URL for the fleet, its copy for the baseline, the tills)."""
    seller = Instance(scratch.till_url("seller"), AddonCatalog())
    seller.install(["point_of_sale"], demo=True)
    add_configs(seller.engine, options.tills)
    with seller.engine.connect() as connection:
        PRICES.update({product_id: str(price) for product_id, price in connection.execute(
            select(point_of_sale.Product.id, point_of_sale.Product.price))})
    central_url = scratch.central_url("fleet")
    central = make_central(central_url, demo=True)
    add_configs(central.engine, options.tills)
    set_gate(central, options)
    started = time.perf_counter()
    fleet = [make_till(seller, central, FIRST_CONFIG + n, options.tickets, options.batch)
             for n in range(-WARM_UP, options.tills)]
    print(f"sold, sealed and batched {options.tills} x {options.tickets} tickets on the tills "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    central.engine.dispose()
    seller.engine.dispose()
    return central_url, copy_database(scratch, central_url, "alone"), fleet


def set_gate(central, options):
    """The central's push gate (central/push_gate.py), when asked for (its defaults else)."""
    chosen = {"pos_autonomous.push_slots": options.push_slots,
              "pos_autonomous.push_queue_ms": options.push_queue_ms}
    with central.engine.begin() as connection:
        parameters = central.parameters(connection)
        for key, value in chosen.items():
            if value is not None:
                parameters.set(key, str(value))


def make_till(seller, central, config_id, tickets, batch):
    """A till of `config_id` registered on the central, its tickets sold and batched (a
    warm-up till: 2 batches of 5)."""
    if config_id < FIRST_CONFIG:
        tickets, batch = 10, 5
    sell(seller, config_id, tickets)
    name = f"Till {config_id - FIRST_CONFIG + 1}"
    with central.engine.begin() as connection:
        till_id, token = central_tills.register_till(connection, config_id, name)
        central_tills.take_config(connection, config_id, till_id, name)
    with seller.engine.connect() as connection:
        bodies, head = batches(connection, till_id, config_id, batch)
    return Till(config_id, till_id, token, bodies, head)


def copy_database(scratch, url, name):
    database = f"bench_{scratch.prefix}_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(scratch.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}" TEMPLATE '
                                f'"{make_url(url).database}"'))
    admin.dispose()
    scratch.created.append(database)
    return scratch.postgres.set(database=database).render_as_string(hide_password=False)


def backend_ticks(url):
    """CPU ticks (user + system) of the PostgreSQL backends connected to `url`'s database (same
    machine; a backend that ended is not counted)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            pids = connection.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).all()
    finally:
        engine.dispose()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks


def run(url, options, folder, name, push, warm_up):
    """Serve `url`, let the `warm_up` tills push together, then run `push(port)`, stop; the
    figures."""
    server = ServerProcess(f"core serve ({name})",
                           [CORE, "--db", url, "serve", "--workers", str(options.workers)],
                           folder / f"{name}.log", lambda port: http.client.HTTPConnection(
                               "127.0.0.1", port, timeout=1).request("GET", "/web/login"))
    try:
        together(warm_up)(server.port)  # each worker has stored tickets once
        on_cpu, waiting = server.scheduler_seconds()
        pg_before = backend_ticks(url)
        started = time.perf_counter()
        push(server.port)
        elapsed = time.perf_counter() - started
        on_cpu_after, waiting_after = server.scheduler_seconds()
        pg_cpu = (backend_ticks(url) - pg_before) / 100
    finally:
        server.stop()
    return {"elapsed": elapsed, "server_cpu": on_cpu_after - on_cpu,
            "server_waiting": waiting_after - waiting, "pg_cpu": pg_cpu}


def alone(fleet):
    def push(port):
        for till in fleet:
            till.push_all(port)
    return push


def together(fleet):
    def push(port):
        start = threading.Barrier(len(fleet) + 1)
        threads = [threading.Thread(target=till.push_all, args=(port, start)) for till in fleet]
        for thread in threads:
            thread.start()
        start.wait()
        for thread in threads:
            thread.join()
    return push


def complete(url, fleet):
    """The tills whose chain did not end complete on the central, in words."""
    engine = create_engine(url)
    problems = []
    try:
        with engine.connect() as connection:
            for till in fleet:
                problems += chain_problems(connection, till)
    finally:
        engine.dispose()
    return problems


def chain_problems(connection, till):
    head = tuple(point_of_sale.ledger_head(connection, till.config_id))
    sessions = select(point_of_sale.PosSession.id).where(
        point_of_sale.PosSession.config_id == till.config_id)
    stored = connection.scalar(select(func.count()).select_from(point_of_sale.Order)
                               .where(point_of_sale.Order.session_id.in_(sessions)))
    acknowledged = connection.scalar(select(TillPush.last_acknowledged)
                                     .where(TillPush.till_id == till.till_id))
    verified = point_of_sale.verify_chain(connection, till.config_id)
    checks = {"head": head == till.head, "tickets": stored == till.head[0],
              "acknowledged": acknowledged == till.head[0], "verify_chain": bool(verified.ok)}
    return [f"till {till.till_id}: {name}" for name, ok in checks.items() if not ok]


def report(name, figures, fleet, tickets, problems):
    latencies = sorted(latency for till in fleet for latency in till.latencies)
    elapsed = figures["elapsed"]
    print(f"{name}: {elapsed:.2f} s, {tickets / elapsed:.0f} tickets/s, {len(latencies)} "
          f"batches: p50 {percentile(latencies, 50) * 1000:.0f} ms, p99 "
          f"{percentile(latencies, 99) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
          f"central CPU {figures['server_cpu']:.1f} s (waiting for a CPU "
          f"{figures['server_waiting']:.1f} s) + PostgreSQL backends {figures['pg_cpu']:.1f} s "
          f"= {(figures['server_cpu'] + figures['pg_cpu']) / tickets * 1000:.2f} ms per ticket; "
          f"retries {sum(till.retries for till in fleet)}; every chain complete: "
          + ("yes" if not problems else f"NO ({len(problems)}: {problems[:5]})"))
    for till in fleet:
        if till.failure:
            print("  failed:", till.failure)


def reset(fleet):
    for till in fleet:
        till.latencies, till.retries, till.failure = [], 0, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tills", type=int, default=10)
    parser.add_argument("--tickets", type=int, default=200, help="per till")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--push-slots", type=int, help="pushes stored at once per worker "
                        "(system parameter pos_autonomous.push_slots)")
    parser.add_argument("--push-queue-ms", type=int, help="longest wait for a slot before a "
                        "503 (pos_autonomous.push_queue_ms)")
    parser.add_argument("--postgres", metavar="URL",
                        default="postgresql://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    scratch = Scratch(options.postgres, "catchup")
    tickets = options.tills * options.tickets
    try:
        fleet_url, alone_url, fleet = prepare(options, scratch)
        warm_up, fleet = fleet[:WARM_UP], fleet[WARM_UP:]
        alone_figures = run(alone_url, options, scratch.folder, "alone", alone(fleet), warm_up)
        report("one till alone, every chain in turn", alone_figures, fleet, tickets,
               complete(alone_url, fleet))
        reset(fleet)
        fleet_figures = run(fleet_url, options, scratch.folder, "fleet", together(fleet),
                            warm_up)
        report(f"{options.tills} tills at once", fleet_figures, fleet, tickets,
               complete(fleet_url, fleet))
    finally:
        scratch.drop()
    ratio = fleet_figures["elapsed"] / alone_figures["elapsed"]
    print(f"ratio fleet / alone (time): {ratio:.2f} (goal <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
