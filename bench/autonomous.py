"""Autonomous tills (pos_autonomous): full import, incremental import and no-change sync.

(a) a full import of --products products (100,000) from a served central instance into a till,
    rows/s, against a plain sqlite3 `executemany` of the same rows into the same kind of SQLite
    database (same table, same PRAGMAs, one transaction): goal ratio >= 0.5. --rounds (3)
    imports, each into a till of its own and each followed by its baseline: the median ratio
    counts (on a shared machine single figures move several-fold);
(b) an incremental import of 100 changed rows with a 1,000-row and a --big (1,000,000) row
    product table on both sides, the two taking turns --repeats times: goal ratio (big / small
    median time) <= 1.5;
(c) a sync with nothing new against the big table: goal one round trip, < 50 ms server time.

The central instance runs under `core serve` (SQLite by default; --postgres URL of a PostgreSQL
server to put it there: the script creates and drops its databases); the till is a SQLite
database made by `core autonomous package` and driven in this process by the synchroniser.
"""
import argparse
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autonomous_support import Scratch, make_central, make_till, serve  # noqa: E402
from sqlalchemy import text  # noqa: E402

from addons.pos_autonomous import settings  # noqa: E402
from addons.pos_autonomous.till.synchroniser import Synchroniser, request_full_import  # noqa: E402

PRODUCT_ROWS_SQL = {
    # n from 1 to :count, each a product named, priced and barcoded from n
    "sqlite": ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
               "INSERT INTO point_of_sale_product (name, barcode, price, tax_rate, category, "
               "active) SELECT 'Product ' || i, 'BC' || i, (i % 1000) / 10.0 + 0.5, 20, "
               "'Cat ' || (i % 50), 1 FROM n"),
    "postgresql": ("INSERT INTO point_of_sale_product (name, barcode, price, tax_rate, category, "
                   "active) SELECT 'Product ' || i, 'BC' || i, (i % 1000) / 10.0 + 0.5, 20, "
                   "'Cat ' || (i % 50), true FROM generate_series(1, :count) AS i"),
}


def add_products(engine, count):
    with engine.begin() as connection:
        connection.execute(text(PRODUCT_ROWS_SQL[engine.dialect.name]), {"count": count})


def settle(engine):
    """Bring a database just bulk-loaded to its steady state, as a running system would be:
    PostgreSQL's autovacuum analyses it (the planner sees its size), SQLite's WAL is
    checkpointed into the database (readers stop wading through a WAL of a million rows)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def full_import(scratch, products, page_size, rounds):
    """(a): per round, (till rows/s, plain executemany rows/s): a till of its own imports the
    products from the served central instance, then the same rows go into a fresh database
    by one plain executemany. Also the pages per import and their size (`page_size` None: the
    till's own default)."""
    central = make_central(scratch.central_url("full"))
    server = serve(central, scratch.folder)
    try:
        tills = [make_till(central, server, scratch, f"full-till-{n}") for n in range(rounds)]
        for till in tills:  # a first pass, as a running till has made: the import is measured,
            warm_up = Synchroniser(till)  # not a new process's or server's first requests
            warm_up.sync_once()
            warm_up.client.close()
        add_products(central.engine, products)
        settle(central.engine)  # as a catalogue is when a till imports it (see `settle`)
        with central.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT id, name, barcode, price, tax_rate, category, active "
                "FROM point_of_sale_product ORDER BY id")).all()
        plain = [(r[0], r[1], r[2], float(r[3]), float(r[4]), r[5], bool(r[6])) for r in rows]
        figures = []
        for number, till in enumerate(tills):
            server_ticks = server.cpu_ticks()
            elapsed, till_cpu, pages, size = _import_into(till, page_size, products)
            server_cpu = (server.cpu_ticks() - server_ticks) / os.sysconf("SC_CLK_TCK")
            baseline, baseline_cpu = _executemany(scratch.folder / f"baseline-{number}.db",
                                                  till, plain)
            figures.append(Round(products / elapsed, products / baseline, till_cpu,
                                 server_cpu, baseline_cpu))
    finally:
        server.stop()
        central.engine.dispose()
    return figures, pages, size


class Round(NamedTuple):
    rate: float  # rows/s of the till's import
    baseline: float  # rows/s of the plain executemany
    till_cpu: float  # CPU seconds of this process (the synchroniser) during the import
    server_cpu: float  # CPU seconds of the `core serve` process (not PostgreSQL's) meanwhile
    baseline_cpu: float


def _import_into(till, page_size, products):
    """Seconds and CPU seconds of one synchroniser pass doing the full import; its pages and
    their size."""
    if page_size is not None:
        with till.engine.begin() as connection:
            till.parameters(connection).set(settings.PAGE_SIZE, page_size)
    request_full_import(till)
    synchroniser = Synchroniser(till)
    started, cpu = time.perf_counter(), time.process_time()
    pages = synchroniser.sync_once()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    synchroniser.client.close()
    with till.engine.connect() as connection:
        count = connection.scalar(text("SELECT count(*) FROM point_of_sale_product"))
    assert count == products, (count, products)
    return elapsed, cpu, pages, synchroniser.settings[settings.PAGE_SIZE]


def _executemany(path, till, plain):
    """Seconds and CPU seconds of the baseline: `plain` into a new database at `path` with
    the till's table, indexes and PRAGMAs, by one executemany in one transaction."""
    with till.engine.connect() as connection:
        ddl = connection.scalar(text("SELECT sql FROM sqlite_master "
                                     "WHERE name = 'point_of_sale_product'"))
        indexes = [sql for (sql,) in connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'point_of_sale_product' "
            "AND type = 'index' AND sql IS NOT NULL"))]
    database = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        database.execute(f"PRAGMA {pragma}")
    database.execute(ddl)
    for sql in indexes:
        database.execute(sql)
    started, cpu = time.perf_counter(), time.process_time()
    database.execute("BEGIN")
    database.executemany("INSERT INTO point_of_sale_product (id, name, barcode, price, tax_rate, "
                         "category, active) VALUES (?, ?, ?, ?, ?, ?, ?)", plain)
    database.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    database.close()
    return elapsed, cpu


class IncrementalSetup(NamedTuple):
    central: object
    server: object
    synchroniser: Synchroniser


def _incremental_setup(scratch, size):
    """A served central instance and a till holding the same `size` products, up to date."""
    central = make_central(scratch.central_url(f"inc{size}"))
    server = serve(central, scratch.folder)
    try:
        till = make_till(central, server, scratch, f"inc{size}-till")
        add_products(central.engine, size)
        add_products(till.engine, size)  # the till holds the same rows (loaded directly)
        settle(central.engine)
        settle(till.engine)
        with central.engine.connect() as connection:
            newest = connection.scalar(text("SELECT max(version) FROM pos_autonomous_change"))
        with till.engine.begin() as connection:  # as if it had imported them
            connection.execute(text("UPDATE pos_autonomous_checkpoint SET version = :v "
                                    "WHERE table_name = 'point_of_sale.product'"), {"v": newest})
        synchroniser = Synchroniser(till)
        synchroniser.sync_once()
    except BaseException:
        server.stop()
        raise
    return IncrementalSetup(central, server, synchroniser)


def incremental(scratch, sizes, changes, repeats):
    """(b), (c): {size: median seconds of an incremental import of `changes` changed rows with
    `size` products on both sides}, the sizes taking turns (the machine's load then weighs on
    each alike); then no-change syncs with the last size (round trips, server ms, bytes)."""
    setups = {}
    try:
        for size in sizes:
            setups[size] = _incremental_setup(scratch, size)
        times = {size: [] for size in sizes}
        for repeat in range(repeats):
            for size, setup in setups.items():
                with setup.central.engine.begin() as connection:
                    connection.execute(text(
                        "UPDATE point_of_sale_product SET price = price + 1 WHERE id IN "
                        f"(SELECT id FROM point_of_sale_product ORDER BY id LIMIT {changes} "
                        f"OFFSET {(repeat * 7919) % max(size - changes, 1)})"))
                started = time.perf_counter()
                setup.synchroniser.sync_once()
                times[size].append(time.perf_counter() - started)
        synchroniser = setups[sizes[-1]].synchroniser
        quiet = []
        for _ in range(repeats * 4):
            before = synchroniser.client.round_trips
            started = time.perf_counter()
            synchroniser.sync_once()
            quiet.append((synchroniser.client.round_trips - before,
                          synchroniser.client.last_server_ms, synchroniser.client.last_bytes,
                          time.perf_counter() - started))
    finally:
        for setup in setups.values():
            setup.synchroniser.client.close()
            setup.server.stop()
            setup.central.engine.dispose()
    return {size: statistics.median(seconds) for size, seconds in times.items()}, quiet


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--page-size", type=int,
                        help="rows per page (default: the till's pos_autonomous.page_size)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="(a): imports, each beside its own executemany baseline")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server for the central instance "
                             "(postgresql://postgres@127.0.0.1:5432/test)")
    parser.add_argument("--only", choices=["a", "b"], help="run one part")
    args = parser.parse_args()
    scratch = Scratch(args.postgres, "autonomous")
    central_kind = "PostgreSQL" if args.postgres else "SQLite"
    try:
        if args.only in (None, "a"):
            figures, pages, page_size = full_import(scratch, args.products, args.page_size,
                                                    args.rounds)
            print(f"(a) full import of {args.products} products (central on {central_kind}, "
                  f"{pages} pages of {page_size}), {len(figures)} rounds, each a till's "
                  "import then a plain executemany:")
            for r in figures:
                print(f"    {r.rate:,.0f} rows/s; plain executemany {r.baseline:,.0f} rows/s; "
                      f"ratio {r.rate / r.baseline:.2f} (CPU s: till {r.till_cpu:.2f}, server "
                      f"{r.server_cpu:.2f}; executemany {r.baseline_cpu:.2f})")
            ratio = statistics.median(r.rate / r.baseline for r in figures)
            print(f"    median ratio {ratio:.2f} (goal >= 0.5: "
                  f"{'met' if ratio >= 0.5 else 'NOT met'})")
        if args.only in (None, "b"):
            medians, quiet = incremental(scratch, (args.small, args.big), args.changes,
                                         args.repeats)
            small, big = medians[args.small], medians[args.big]
            ratio = big / small
            print(f"(b) incremental import of {args.changes} changed rows: {small * 1000:.1f} ms "
                  f"with {args.small} rows, {big * 1000:.1f} ms with {args.big} rows; ratio "
                  f"{ratio:.2f} (goal <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})")
            trips = {q[0] for q in quiet}
            server_ms = sorted(q[1] for q in quiet)
            print(f"(c) no-change sync with {args.big} rows: round trips per sync "
                  f"{sorted(trips)}, server time median {statistics.median(server_ms):.2f} ms, "
                  f"max {server_ms[-1]:.2f} ms, {max(q[2] for q in quiet)} bytes, whole sync "
                  f"median {statistics.median(q[3] for q in quiet) * 1000:.1f} ms (goal one "
                  f"round trip and < 50 ms: "
                  f"{'met' if trips == {1} and server_ms[-1] < 50 else 'NOT met'})")
    finally:
        scratch.drop()


if __name__ == "__main__":
    main()
