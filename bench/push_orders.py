"""Orders per second through `POST /pos/orders`, against a plain SQLAlchemy insert of the same
rows in the same run (the baseline: no parsing, no checks, no totals, no HTTP).

    .venv/bin/python bench/push_orders.py [--orders 5000] [--batch 20] [--db URL]

--db takes a scratch database (e.g. `createdb bench_push` on PostgreSQL): both runs install and
then uninstall point_of_sale there. Without it, each run gets a new SQLite file.

The route runs in-process through Flask's WSGI test client (no socket), so the figure is the
server's own work: JSON parsing, validation, duplicate check, product lookup, totals, savepoints.
Prints both rates and their ratio, and the same ratio by this process's CPU time (on a shared,
busy machine the wall-clock ratio mostly says how the CPU was shared). Goals: >= 1000 orders/s
on SQLite (issue 3), ratio >= 0.6 with every ticket sealed (issue 30).
"""
import argparse
import gc
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_support import wsgi_post  # noqa: E402
from sqlalchemy import text  # noqa: E402

from addons.point_of_sale.models import Order, OrderLine, Payment  # noqa: E402
from addons.point_of_sale.sessions import open_session  # noqa: E402
from core.addons import AddonCatalog  # noqa: E402
from core.instance import Instance  # noqa: E402
from core.web import create_app  # noqa: E402
from core.web.sessions import start_session  # noqa: E402
from core.web.users import set_password  # noqa: E402


def make_orders(count, session_id):
    return [{"uuid": str(uuid.uuid4()), "session_id": session_id,
             "created_at": "2026-11-22T10:15:00Z", "sequence_number": index + 1,
             "lines": [{"product_id": 1, "qty": 2, "price_unit": "1.80"},
                       {"product_id": 16, "qty": 1, "price_unit": "1.60"},
                       {"product_id": 9, "qty": 1, "price_unit": "2.20", "discount": 10}],
             "payments": [{"method": "cash", "amount": "10.00"}]} for index in range(count)]


def fresh_instance(url):
    instance = Instance(url, AddonCatalog(entry_points=False))
    instance.install(["point_of_sale"], demo=True)
    with instance.engine.begin() as connection:
        session_id = open_session(connection, 1)
        set_password(connection, "bench", "bench-password")
    return instance, session_id


def run_route(instance, orders, batch):
    app = create_app(instance=instance)
    client = app.test_client()
    with instance.engine.begin() as connection, client.session_transaction() as session:
        user_id = connection.scalar(text("SELECT id FROM core_user WHERE login = 'bench'"))
        start_session(connection, session, user_id, instance.db_name)
    cookie = f"session={client.get_cookie('session').value}"
    # The bodies are encoded before the clock starts and the answers read once it stops, as a
    # till encodes and reads its own; the app is called as a WSGI server calls it, without
    # Flask's test client: the figure is the server's work, not the client's.
    bodies = [json.dumps(orders[start:start + batch]).encode()
              for start in range(0, len(orders), batch)]
    gc.freeze()  # as `core serve` does once loaded (core/server.py)
    started, cpu = time.perf_counter(), time.process_time()
    answers = [wsgi_post(app, "/pos/orders", body, cookie) for body in bodies]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    for status, answer in answers:
        results = json.loads(answer)["results"]
        assert status == 200 and {r["status"] for r in results} == {"created"}, results
    return seconds, cpu


def run_baseline(instance, orders, batch):
    """The same rows, inserted with SQLAlchemy Core: one transaction per batch."""
    now = datetime.now(timezone.utc)
    gc.freeze()  # as for the route
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(orders), batch):
        with instance.engine.begin() as connection:
            for order in orders[start:start + batch]:
                order_id = connection.execute(Order.__table__.insert(), {
                    "uuid": order["uuid"], "reference": "Order", "session_id": order["session_id"],
                    "created_at": now, "received_at": now, "amount_untaxed": Decimal("7.18"),
                    "amount_tax": Decimal("0.66"), "amount_total": Decimal("7.84"),
                    "amount_paid": Decimal("10"), "amount_return": Decimal("2.16"),
                }).inserted_primary_key[0]
                connection.execute(OrderLine.__table__.insert(), [
                    {"order_id": order_id, "product_id": line["product_id"],
                     "qty": Decimal(str(line["qty"])), "price_unit": Decimal(line["price_unit"]),
                     "discount": Decimal(str(line.get("discount", 0))),
                     "price_subtotal": Decimal("1"), "price_subtotal_incl": Decimal("1")}
                    for line in order["lines"]])
                connection.execute(Payment.__table__.insert(), [
                    {"order_id": order_id, "method": p["method"], "amount": Decimal(p["amount"])}
                    for p in order["payments"]])
    return time.perf_counter() - started, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=20, help="orders per push")
    parser.add_argument("--db", help="a scratch database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results, cpus = {}, {}
        for name, runner in (("baseline", run_baseline), ("route", run_route)):
            url = args.db or f"sqlite:///{os.path.join(folder, name + '.db')}"
            instance, session_id = fresh_instance(url)
            orders = make_orders(args.orders, session_id)
            seconds, cpus[name] = runner(instance, orders, args.batch)
            results[name] = args.orders / seconds
            if args.db:
                instance.uninstall(["point_of_sale"])
            instance.engine.dispose()
            print(f"{name:9} {args.orders} orders in {seconds:.2f} s: "
                  f"{results[name]:.0f} orders/s; this process's CPU {cpus[name]:.2f} s",
                  flush=True)
    ratio = results["route"] / results["baseline"]
    print(f"ratio route/baseline: {ratio:.2f} (goal >= 0.6); "
          f"route {results['route']:.0f} orders/s (goal >= 1000 on SQLite)")
    print(f"ratio by this process's CPU (baseline CPU / route CPU): "
          f"{cpus['baseline'] / cpus['route']:.2f} (what a busy shared machine leaves steadier; "
          "on PostgreSQL the server's CPU is not in it)")


if __name__ == "__main__":
    main()
