"""`core pos verify` from the verified checkpoint on a long chain: the time follows what was
sealed since the checkpoint, not the chain's length (issue 24 item 7: 1,000,000 tickets verify
from the checkpoint in under a second). The baseline is the full pass from ticket 1 of the same
chain in the same run (optional: it takes minutes at a million).

    .venv/bin/python bench/ledger_verify.py [--tickets 1000000] [--new 100] [--full] [--db URL]

Builds a chain of --tickets orders of config 1 (each with a line and a payment) in bulk: the
rows are inserted with executemany and sealed with the ledger's own canonical form and links
(what `seal_records` computes, without the per-push work). The checkpoint is then written at the
head (or by a full pass with --full, which is timed), --new more orders are sealed through
`push_orders` (the real path), and `verify_from_checkpoint` is timed, then `core pos verify 1` as
a command (a new process: start-up included). Without --db, a new SQLite file.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text, update  # noqa: E402

from addons.point_of_sale import push_orders  # noqa: E402
from addons.point_of_sale.ledger_check import (  # noqa: E402
    CHECKPOINT,
    verify_chain,
    verify_from_checkpoint,
)
from addons.point_of_sale.ledger_form import (  # noqa: E402
    ZERO_LINK,
    as_sealed,
    canonical_form,
    chain_link,
    read_records,
)
from addons.point_of_sale.ledger_seal import ENTRY, HEAD, SOFTWARE_VERSION  # noqa: E402
from addons.point_of_sale.models import Order, OrderLine, Payment  # noqa: E402
from addons.point_of_sale.sessions import open_session  # noqa: E402
from core.addons import AddonCatalog  # noqa: E402
from core.instance import Instance  # noqa: E402

CHUNK = 5000


def build_chain(instance, session_id, tickets):
    """`tickets` sealed orders of config 1, inserted and sealed in chunks."""
    created = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
    previous, number = ZERO_LINK, 0
    for start in range(0, tickets, CHUNK):
        count = min(CHUNK, tickets - start)
        uuids = [f"bench-{start + i:08d}" for i in range(count)]
        with instance.engine.begin() as connection:
            first_id = (connection.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
                        or 0) + 1
            connection.execute(insert(Order.__table__), [{
                "id": first_id + i, "uuid": uuid, "reference": f"Order {uuid}",
                "session_id": session_id, "created_at": created, "received_at": created,
                "amount_untaxed": Decimal("1.80"), "amount_tax": Decimal("0.18"),
                "amount_total": Decimal("1.98"), "amount_paid": Decimal("2.00"),
                "amount_return": Decimal("0.02")} for i, uuid in enumerate(uuids)])
            connection.execute(insert(OrderLine.__table__), [{
                "order_id": first_id + i, "product_id": 1, "qty": Decimal("1"),
                "price_unit": Decimal("1.80"), "discount": Decimal("0"),
                "price_subtotal": Decimal("1.80"), "price_subtotal_incl": Decimal("1.98"),
                "tax_rate": Decimal("10"), "label": "Espresso"} for i in range(count)])
            connection.execute(insert(Payment.__table__), [{
                "order_id": first_id + i, "method": "cash", "amount": Decimal("2.00")}
                for i in range(count)])
            records = read_records(connection, "order", uuids)
            rows = []
            for uuid in uuids:
                number += 1
                link = chain_link(previous, canonical_form(
                    "order", as_sealed(records[uuid], created, SOFTWARE_VERSION)))
                rows.append({"config_id": 1, "number": number, "kind": "order", "uuid": uuid,
                             "previous_link": previous, "link": link, "sealed_at": created,
                             "software_version": SOFTWARE_VERSION})
                previous = link
            connection.execute(insert(ENTRY), rows)
            connection.execute(update(HEAD).where(HEAD.c.config_id == 1).values(
                number=number, link=previous))
        if (start // CHUNK) % 20 == 0:
            print(f"  {number} tickets sealed", flush=True)
    return number, previous


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--full", action="store_true",
                        help="write the checkpoint by a full pass, timed (minutes at a million)")
    parser.add_argument("--db")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='bench_ledger_')}/ledger.db"
    instance = Instance(url, AddonCatalog(entry_points=False))
    instance.install(["point_of_sale"], demo=True)
    with instance.engine.begin() as connection:
        session_id = open_session(connection, 1)
        connection.execute(text(  # the head row, as the first sealing makes it
            "INSERT INTO point_of_sale_ledger_head (config_id, number, link) VALUES (1, 0, :z)"),
            {"z": ZERO_LINK})
    print(f"building a chain of {args.tickets} tickets in {url}")
    started = time.perf_counter()
    head, link = build_chain(instance, session_id, args.tickets)
    print(f"built in {time.perf_counter() - started:.0f} s")
    with instance.engine.begin() as connection:
        if args.full:
            started = time.perf_counter()
            check = verify_from_checkpoint(connection, 1, full=True)
            print(f"full pass from ticket 1: {check.reason}: {time.perf_counter() - started:.2f} s")
        else:
            connection.execute(insert(CHECKPOINT).values(
                config_id=1, number=head, link=link, checked_at=datetime.now(timezone.utc),
                full_checked_at=datetime.now(timezone.utc)))
    with instance.engine.begin() as connection:
        results = push_orders(connection, [{
            "uuid": f"new-{i}", "session_id": session_id, "created_at": "2026-11-22T11:00:00Z",
            "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
            "payments": [{"method": "cash", "amount": 2}]} for i in range(args.new)])
    assert results[-1]["number"] == head + args.new, results[-1]
    timings = []
    for _ in range(3):  # the checkpoint moves on after the first: the next ones read nothing new
        with instance.engine.begin() as connection:
            started = time.perf_counter()
            check = verify_from_checkpoint(connection, 1)
            timings.append(time.perf_counter() - started)
        print(f"from the checkpoint: {check.reason}: {timings[-1] * 1000:.1f} ms", flush=True)
    env = {**os.environ, "CORE_ADDONS_PATH": str(Path(__file__).resolve().parent.parent / "addons")}
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "core"), "--db", url, "pos",
                           "verify", "1"], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    print(f"core pos verify 1 (a new process): {wall:.2f} s: {done.stdout.strip().splitlines()[0]}")
    print(f"goal (issue 24 item 7): {head + args.new} tickets from the checkpoint in under 1 s: "
          f"{'met' if timings[0] < 1 else 'NOT met'} ({timings[0] * 1000:.1f} ms with "
          f"{args.new} new tickets)")
    if args.full:
        with instance.engine.connect() as connection:
            assert verify_chain(connection, 1).ok


if __name__ == "__main__":
    main()
