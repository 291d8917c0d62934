"""Autonomous tills, up direction (pos_autonomous, #14): the time to push --tickets (10,000)
tickets sealed on a till to its central server, beside the same tickets sent to a central server
through `POST /pos/orders` (the route an online till uses), in the same run.

    .venv/bin/python bench/autonomous_push.py [--tickets 10000] [--batch 200] [--postgres URL]

Both central servers run under `core serve` (SQLite files by default; --postgres URL puts both
on PostgreSQL: the script creates and drops its databases) with point_of_sale's demo data. The
till is a SQLite database made by `core autonomous package`; its tickets are sold (stored and
sealed) before the clock starts, then one synchroniser pass pushes them all, in batches of
--batch, each stored, linked up and acknowledged by the central server (and the pass then pulls,
finding nothing new). The baseline posts the same orders, --batch per request, with a POS token.
Prints both times, tickets/s and the ratio (push time / POST /pos/orders time).
"""
import argparse
import json
import sys
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autonomous_support import Scratch, make_central, make_till, serve  # noqa: E402
from bench_support import core  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

import addons.point_of_sale as point_of_sale  # noqa: E402
from addons.pos_autonomous.till.synchroniser import Synchroniser  # noqa: E402


def central(scratch, name):
    instance = make_central(scratch.central_url(name), demo=True)
    return instance, serve(instance, scratch.folder, name)


def orders(count, session_id):
    return [{"uuid": uuid.uuid4().hex, "session_id": session_id,
             "created_at": f"2026-11-26T{8 + n // 3600 % 10:02d}:{n // 60 % 60:02d}:"
                           f"{n % 60:02d}Z",
             "lines": [{"product_id": 1 + n % 30, "qty": "1", "price_unit": "0"},
                       {"product_id": 16, "qty": "2", "price_unit": "1.60"}],
             "payments": [{"method": "cash", "amount": "20.00"}]}
            for n in range(count)]


def sell_on_till(till, count, chunk=500):
    """Store and seal `count` tickets on the till as its POS page's pushes do; return them."""
    with till.engine.begin() as connection:
        session_id = point_of_sale.open_session(connection, 1)
        prices = dict(connection.execute(select(point_of_sale.Product.id,
                                                point_of_sale.Product.price)).all())
    sold = orders(count, session_id)
    for order in sold:
        for line in order["lines"]:
            line["price_unit"] = str(prices[line["product_id"]])
    for start in range(0, count, chunk):
        with till.engine.begin() as connection:
            results = point_of_sale.push_orders(connection, sold[start:start + chunk],
                                                allowed_config_id=1)
        assert all(r["status"] == "created" for r in results), results[:2]
    return sold


def post_orders(url, token, batch):
    request = urllib.request.Request(url + "/pos/orders", data=json.dumps(batch).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def count_orders(instance):
    engine = create_engine(instance.url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(point_of_sale.Order))
    finally:
        engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL")
    options = parser.parse_args()
    scratch = Scratch(options.postgres, "push")
    servers = []
    try:
        pushed_central, pushed_server = central(scratch, "pushed")
        servers.append(pushed_server)
        till = make_till(pushed_central, pushed_server, scratch, "till")
        with till.engine.begin() as connection:
            till.parameters(connection).set("pos_autonomous.push_batch_size",
                                            str(options.batch))
        started = time.perf_counter()
        sold = sell_on_till(till, options.tickets)
        selling = time.perf_counter() - started
        synchroniser = Synchroniser(till)
        started = time.perf_counter()
        synchroniser.sync_once()
        pushing = time.perf_counter() - started
        synchroniser.client.close()
        assert count_orders(pushed_central) == options.tickets

        posted_central, posted_server = central(scratch, "posted")
        servers.append(posted_server)
        session_id = core(posted_central.url, "pos", "open", "1").splitlines()[-1]
        token = core(posted_central.url, "token", "1").splitlines()[-1]
        for order in sold:
            order["session_id"] = int(session_id)
        url = f"http://127.0.0.1:{posted_server.port}"
        started = time.perf_counter()
        for start in range(0, len(sold), options.batch):
            answer = post_orders(url, token, sold[start:start + options.batch])
            assert all(r["status"] == "created" for r in answer["results"]), answer
        posting = time.perf_counter() - started
        assert count_orders(posted_central) == options.tickets
    finally:
        for server in servers:
            server.stop()
        scratch.drop()
    where = "PostgreSQL" if options.postgres else "SQLite"
    print(f"central on {where}; {options.tickets} tickets, batches of {options.batch}; "
          f"selling them on the till (stored and sealed) took {selling:.1f} s")
    print(f"push from the till (one pass, each ticket linked up and acknowledged): "
          f"{pushing:.2f} s, {options.tickets / pushing:.0f} tickets/s")
    print(f"the same tickets through POST /pos/orders: {posting:.2f} s, "
          f"{options.tickets / posting:.0f} tickets/s")
    print(f"ratio push / POST /pos/orders (time): {pushing / posting:.2f} (goal <= 1.5, #30)")


if __name__ == "__main__":
    main()
