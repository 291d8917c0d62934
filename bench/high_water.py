"""What the till's high-water mark costs a sale (#24 item 4): the file beside the database is
written at the commit of every transaction that sealed tickets (temporary file, fsync, rename,
fsync of the folder). The baseline is the same sales on the same till with the listener taken
off, in the same run, rounds taking turns.

    .venv/bin/python bench/high_water.py [--sales 200] [--rounds 3]

A new SQLite till (point_of_sale and pos_autonomous installed, demo data, a link row: what a
package makes) in a temporary folder; each sale is one order stored and sealed by
`push_orders` in its own transaction, as a POS page's push is (SQLite's own commit syncs the
disk too: synchronous FULL). Prints ms per sale with and without the mark, and their ratio.
"""
import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from addons.point_of_sale import push_orders  # noqa: E402
from addons.point_of_sale.sessions import open_session  # noqa: E402
from addons.pos_autonomous.till import high_water  # noqa: E402
from addons.pos_autonomous.till.models import Link  # noqa: E402
from core.addons import AddonCatalog  # noqa: E402
from core.instance import Instance  # noqa: E402


def make_till(folder):
    instance = Instance(f"sqlite:///{folder / 'till.db'}", AddonCatalog())
    instance.init()
    instance.install(["point_of_sale", "pos_autonomous"], demo=True)
    with instance.engine.begin() as connection:
        connection.execute(Link.__table__.insert().values(
            id=1, server_url="http://127.0.0.1:9", till_id=1, secret="bench", config_id=1))
        session_id = open_session(connection, 1)
    return instance, session_id


def sell(instance, session_id, count):
    """`count` sales, each its own transaction; seconds per sale."""
    started = time.perf_counter()
    for _ in range(count):
        with instance.engine.begin() as connection:
            [result] = push_orders(connection, [{
                "uuid": uuid.uuid4().hex, "session_id": session_id,
                "created_at": "2026-12-07T10:15:00Z",
                "lines": [{"product_id": 1, "qty": "1", "price_unit": "1.80"}],
                "payments": [{"method": "cash", "amount": "5.00"}]}], allowed_config_id=1)
            assert result["status"] == "created", result
    return (time.perf_counter() - started) / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        instance, session_id = make_till(Path(folder))
        with instance.engine.connect() as connection:
            mark_file = high_water.path_of(connection)
        sell(instance, session_id, 20)  # warm up
        with_mark, without = [], []
        for _ in range(options.rounds):
            high_water.listen()
            with_mark.append(sell(instance, session_id, options.sales))
            event.remove(Engine, "commit", high_water.at_commit)
            event.remove(Engine, "rollback", high_water.at_rollback)
            without.append(sell(instance, session_id, options.sales))
        high_water.listen()
        with instance.engine.connect() as connection:
            mark = high_water.read(connection, 1)
        instance.engine.dispose()
    a, b = statistics.median(with_mark), statistics.median(without)
    print(f"{options.sales} sales x {options.rounds} rounds on an SQLite till "
          f"(mark file {mark_file.name}, last mark: ticket {mark['number']})")
    print(f"with the mark at each commit: {a * 1000:.2f} ms per sale "
          f"(rounds: {', '.join(f'{x * 1000:.2f}' for x in with_mark)})")
    print(f"without (baseline):           {b * 1000:.2f} ms per sale "
          f"(rounds: {', '.join(f'{x * 1000:.2f}' for x in without)})")
    print(f"ratio: {a / b:.2f} (the mark's cost: {(a - b) * 1000:.2f} ms per sale)")


if __name__ == "__main__":
    main()
