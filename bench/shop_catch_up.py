"""A shop catches up (#29): one autonomous instance serving --configs POS configs (3), each with
--tickets sealed tickets (1,000) sold while its central was unreachable, pushes them all; beside
it, in the same run, the same numbers of tickets from as many separate tills (one config each)
pushing at the same moment to a second central.

    .venv/bin/python bench/shop_catch_up.py [--configs 3] [--tickets 1000] [--batch 200]
        [--postgres postgresql://postgres@127.0.0.1:5432]

Both centrals run under `core serve` (SQLite files by default; --postgres puts both on
PostgreSQL, databases created and dropped here) with point_of_sale's demo data (configs 1 Shop,
2 Bar, 3 Boutique; more are added for --configs above 3). The shop is made by
`make_package(central, [1, 2, 3])` and `init`, the tills by one package each. Tickets are sold
(stored and sealed by point_of_sale) before the clock starts. The clock covers, for the shop,
one `core autonomous sync --once` (it pushes each config's chain as its own till, one after the
other, then pulls); for the tills, one `core autonomous sync --once` each, started together,
until the last one ends. Prints both times, tickets/s, the ratio shop / tills and whether every
chain arrived complete (each config's tickets once, `verify_chain` intact).
"""
import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autonomous_support import Scratch, make_central, serve  # noqa: E402
from bench_support import CORE  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

import addons.point_of_sale as point_of_sale  # noqa: E402
from addons.pos_autonomous.central.package import make_package  # noqa: E402
from addons.pos_autonomous.till.install import init_till  # noqa: E402
from core.addons import AddonCatalog  # noqa: E402
from core.instance import Instance  # noqa: E402


def add_configs(central, count):
    """Configs up to `count` (the demo has three)."""
    with central.engine.begin() as connection:
        for config_id in range(4, count + 1):
            connection.execute(text("INSERT INTO point_of_sale_config (id, name, active) "
                                    "VALUES (:id, :name, true)"),
                               {"id": config_id, "name": f"Till {config_id}"})


def instance_from(central, server, scratch, name, configs, batch):
    """A till (one config) or a shop (several) made from its package, its batch size set."""
    package = scratch.folder / f"{name}.package"
    make_package(central, configs if len(configs) > 1 else configs[0], package,
                 f"http://127.0.0.1:{server.port}")
    instance = Instance(scratch.till_url(name), AddonCatalog())
    init_till(instance, package)
    with instance.engine.begin() as connection:
        instance.parameters(connection).set("pos_autonomous.push_batch_size", str(batch))
    return instance


def sell(instance, config_id, count, chunk=500):
    """Store and seal `count` tickets of `config_id` as the POS page's pushes do."""
    with instance.engine.begin() as connection:
        session_id = point_of_sale.open_session(connection, config_id)
        prices = dict(connection.execute(select(point_of_sale.Product.id,
                                                point_of_sale.Product.price)).all())
    product_ids = sorted(prices)
    for start in range(0, count, chunk):
        orders = [{"uuid": uuid.uuid4().hex, "session_id": session_id,
                   "created_at": f"2026-11-26T{8 + n // 3600 % 10:02d}:{n // 60 % 60:02d}:"
                                 f"{n % 60:02d}Z",
                   "lines": [{"product_id": product_ids[n % len(product_ids)], "qty": "1",
                              "price_unit": str(prices[product_ids[n % len(product_ids)]])}],
                   "payments": [{"method": "cash", "amount": "50.00"}]}
                  for n in range(start, min(start + chunk, count))]
        with instance.engine.begin() as connection:
            results = point_of_sale.push_orders(connection, orders, allowed_config_id=config_id)
        assert all(r["status"] == "created" for r in results), results[:2]


def push_all(urls):
    """`core autonomous sync --once` on each database at the same moment; seconds until the
    last one ended."""
    env = {**os.environ, "CORE_LOAD_ENTRY_POINTS": "0"}
    started = time.perf_counter()
    processes = [subprocess.Popen([CORE, "--db", url, "autonomous", "sync", "--once"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for url in urls]
    for process in processes:
        _, error = process.communicate()
        assert process.returncode == 0, error.decode()[-2000:]
    return time.perf_counter() - started


def complete(central, configs, tickets):
    """Whether every config's chain arrived whole: `tickets` entries, each order once, the
    chain intact."""
    engine = create_engine(central.url)
    try:
        with engine.connect() as connection:
            orders = connection.scalar(select(func.count()).select_from(point_of_sale.Order))
            heads = [point_of_sale.ledger_head(connection, c)[0] for c in configs]
            intact = all(point_of_sale.verify_chain(connection, c).ok for c in configs)
    finally:
        engine.dispose()
    return orders == tickets * len(configs) and heads == [tickets] * len(configs) and intact


def run_side(side, options, configs, scratch, servers):
    """(push seconds, selling seconds, every chain complete) of one side: a shop, or a till
    per config, against a central of its own (its server appended to `servers`)."""
    central = make_central(scratch.central_url(f"central_{side}"), demo=True)
    add_configs(central, options.configs)
    server = serve(central, scratch.folder, side)
    servers.append(server)
    if side == "shop":
        instances = [instance_from(central, server, scratch, "shop", configs, options.batch)]
        sold_on = [(instances[0], c) for c in configs]
    else:
        instances = [instance_from(central, server, scratch, f"till{c}", [c], options.batch)
                     for c in configs]
        sold_on = list(zip(instances, configs))
    started = time.perf_counter()
    for instance, config_id in sold_on:
        sell(instance, config_id, options.tickets)
    selling = time.perf_counter() - started
    for instance in instances:
        instance.engine.dispose()
    seconds = push_all([instance.url for instance in instances])
    whole = complete(central, configs, options.tickets)
    central.engine.dispose()
    return seconds, selling, whole


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", type=int, default=3)
    parser.add_argument("--tickets", type=int, default=1000, help="per config")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--postgres", metavar="URL")
    options = parser.parse_args()
    configs = list(range(1, options.configs + 1))
    scratch = Scratch(options.postgres, "shop")
    servers, results = [], {}
    try:
        for side in ("shop", "tills"):
            results[side] = run_side(side, options, configs, scratch, servers)
    finally:
        for server in servers:
            server.stop()
        scratch.drop()
    total = options.tickets * options.configs
    where = "PostgreSQL" if options.postgres else "SQLite"
    print(f"centrals on {where}; {options.configs} configs x {options.tickets} tickets "
          f"({total}), batches of {options.batch}")
    for side, words in (("shop", "one shop instance, one synchroniser pass"),
                        ("tills", f"{options.configs} separate tills, a pass each at once")):
        seconds, selling, whole = results[side]
        print(f"{words}: {seconds:.2f} s, {total / seconds:.0f} tickets/s (selling took "
              f"{selling:.1f} s before the clock); every chain complete: {whole}")
    ratio = results["shop"][0] / results["tills"][0]
    print(f"ratio shop / separate tills (time): {ratio:.2f}")


if __name__ == "__main__":
    main()
