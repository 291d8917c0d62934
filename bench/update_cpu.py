"""Where one shared-order update's CPU goes: the sender's request and the receivers' polls.

    .venv/bin/python bench/update_cpu.py [--tills 10] [--updates 2000] [--lines 20] [--db URL]
        [--top N] [--profile all|update]

In one process, calling the WSGI app as a WSGI server would (no sockets, no other process), --tills
tills of one multi-session send `update_order` in turn (one more line each time, a new order
after --lines lines) and, after each update, every other till polls its channel once with its
`last`, as it would after a wake-up. Figures: CPU (time.process_time) per update, the request
and its nine poll answers together (and the request alone), and a profile (cProfile, on a CPU
clock) of that CPU split by step (`--profile update`: of the update requests alone).
Baseline in the same run: a one-row INSERT + COMMIT on the same backend through SQLAlchemy,
with the CPU it costs. The goal of issue 17 is <= 2 ms of server CPU per update. The tills'
own JSON (their bodies, reading the answers) is orjson, so that they add little to the figure.
"""
import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from bench_support import core, wsgi_post

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_MS = 2.0
DBNAME = "bench"

# Steps of the update path: (label, file suffix, function name); cumulative CPU of each.
STEPS = [
    ("request body parsed (json_object)", "core/web/errors.py", "json_object"),
    ("parameters checked (check_update)", "pos_multi_session_sync/validation.py", "check_update"),
    ("multi-session locked", "pos_multi_session_sync/store.py", "lock_multi_session"),
    ("till registered", "pos_multi_session_sync/store.py", "register_pos"),
    ("order loaded", "pos_multi_session_sync/store.py", "load_order"),
    ("merge", "pos_multi_session_sync/merge.py", "merge_order"),
    ("order saved", "pos_multi_session_sync/store.py", "save_order"),
    ("order inserted", "pos_multi_session_sync/store.py", "insert_order"),
    ("bus messages numbered and encoded (deliver)", "pos_multi_session_sync/protocol.py",
     "deliver"),
    ("bus messages stored (INSERT)", "pos_longpolling/bus.py", "_store_outgoing"),
    ("commit", "sqlalchemy/engine/base.py", "_commit_impl"),
    ("reply encoded", "pos_longpolling/encoding.py", "json_response"),
    ("polls (routes.poll)", "pos_longpolling/routes.py", "poll"),
    ("  of which reading the bus (tail)", "pos_longpolling/tail.py", "catch_up"),
]


def params(pos_id, action, data):
    return {"multi_session_id": 1, "dbname": DBNAME, "user_ID": 2,
            "message": {"action": action, "session_id": 1000 + pos_id, "login_number": 1,
                        "data": {"pos_id": pos_id, "run_ID": 1, **data}}}


def line(order_uid, number):
    return {"uid": f"{order_uid}-{number}", "product_id": 1 + number % 16,
            "name": f"Product {number}", "qty": 1, "price_unit": 1.8, "discount": 0,
            "tax_rate": 10}


class WsgiClient:
    """POSTs JSON to a WSGI app with the environ a server builds, and nothing more (Flask's
    test client costs more CPU than the routes measured here)."""

    def __init__(self, app):
        self.app = app

    def post(self, path, body):
        return wsgi_post(self.app, path, orjson.dumps(body))


class Tills:
    def __init__(self, client, count, lines):
        self.client, self.count, self.lines = client, count, lines
        self.orders, self.last = {}, {pos_id: 0 for pos_id in range(1, count + 1)}
        self.sending_cpu = 0.0  # process_time spent in the update requests alone
        self.sender_profile = None  # profiles the update requests alone when set
        for pos_id in self.last:
            self.post("/pos_multi_session_sync/update",
                      params(pos_id, "sync_all", {"immediate_rerendering": True}))
        for pos_id in self.last:
            self.poll(pos_id)

    def post(self, path, body):
        status, answer = self.client.post(path, body)
        if status != 200:
            raise SystemExit(f"{path}: {status} {answer[:300]!r}")
        return orjson.loads(answer)

    def poll(self, pos_id):
        channel = f'["{DBNAME}","pos.multi_session","{pos_id}"]'
        messages = self.post("/longpolling/poll", {"channels": [channel],
                                                   "last": self.last[pos_id],
                                                   "options": {"timeout": 0}})
        if messages:
            self.last[pos_id] = messages[-1]["id"]
        return messages

    def update(self, n):
        pos_id = 1 + n % self.count
        order, revision = self.orders.get(pos_id, (None, 1))
        if order is None or len(order["lines"]) >= self.lines:
            uid = f"{pos_id:05d}-{uuid.uuid4().hex[:8]}"
            who = {"user": {"id": 2, "name": "Bench"}, "pos": {"id": pos_id, "name": "Till"}}
            order, revision = {"uid": uid, "name": f"Order {uid}", "sequence_number": 1,
                               "run_ID": 1, "pos_id": pos_id, "partner_id": False,
                               "creation_date": "2026-11-22T10:15:00Z",
                               "ms_info": {"created": who, "changed": who}, "lines": []}, 1
        order["lines"].append(line(order["uid"], len(order["lines"]) + 1))
        body = params(pos_id, "update_order", {**order, "revision_ID": revision,
                                               "new_order": revision == 1,
                                               "nonce": uuid.uuid4().hex[:10]})
        if self.sender_profile is not None:
            self.sender_profile.enable()
        started = time.process_time()
        reply = self.post("/pos_multi_session_sync/update", body)
        self.sending_cpu += time.process_time() - started
        if self.sender_profile is not None:
            self.sender_profile.disable()
        self.orders[pos_id] = (order, reply["revision_ID"])
        received = 0
        for other in self.last:
            if other != pos_id:
                received += len(self.poll(other))
        return received


def baseline_cpu_ms(engine, count=500):
    from sqlalchemy import text
    key = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as connection:  # a database --db names may have served a run before
        connection.execute(text("DROP TABLE IF EXISTS bench_commit"))
        connection.execute(text(f"CREATE TABLE bench_commit (id {key} PRIMARY KEY, payload TEXT)"))
    started = time.process_time()
    for _ in range(count):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_commit (payload) VALUES ('x')"))
    cpu_ms = (time.process_time() - started) / count * 1000
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_commit"))
    return cpu_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", type=int, default=10)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--db", help="a scratch PostgreSQL database URL (default: SQLite file)")
    parser.add_argument("--top", type=int, default=0,
                        help="also print the N functions with the most CPU of their own")
    parser.add_argument("--profile", choices=["all", "update"], default="all",
                        help="profile the updates and their polls, or the update requests alone")
    parser.add_argument("--save-profile", metavar="PATH", help="write the profile (pstats) there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-update-cpu-") as folder:
        url = args.db or f"sqlite:///{os.path.join(folder, 'sync.db')}"
        core(url, "install", "--demo", "pos_multi_session")
        core(url, "param", "set", "pos_longpolling.allow_public", "1")
        from core.instance import Instance
        from core.web import create_app
        instance = Instance(url)
        app = create_app(instance=instance)
        tills = Tills(WsgiClient(app), args.tills, args.lines)
        for n in range(50):  # warm up caches
            tills.update(n)
        # A CPU clock: the time psycopg waits for PostgreSQL is not this process's CPU.
        profile, received = cProfile.Profile(time.process_time), 0
        started = time.process_time()
        if args.profile == "update":
            tills.sender_profile = profile
        else:
            profile.enable()
        for n in range(args.updates):
            received += tills.update(n)
        profile.disable()
        tills.sender_profile = None
        cpu_ms = (time.process_time() - started) / args.updates * 1000
        # The profiler slows what it measures: a second, unprofiled run gives the figure.
        tills.sending_cpu = 0.0
        started = time.process_time()
        for n in range(args.updates):
            received += tills.update(n)
        cpu_ms = (time.process_time() - started) / args.updates * 1000
        sending_ms = tills.sending_cpu / args.updates * 1000
        baseline = baseline_cpu_ms(instance.engine)
        instance.engine.dispose()
    if args.save_profile:
        profile.dump_stats(args.save_profile)
    stats = pstats.Stats(profile).stats
    total = sum(timing[2] for timing in stats.values())  # every function's own time
    print(f"{args.updates} updates x 2 runs, {args.tills} tills: {received} messages polled "
          f"({received / 2 / args.updates:.1f} per update)")
    print(f"{'CPU per update (request + its polls), ms':52}{cpu_ms:8.2f}")
    print(f"{'  of which the update request alone, ms':52}{sending_ms:8.2f}")
    print(f"{'baseline: CPU per 1-row INSERT + COMMIT, ms':52}{baseline:8.2f}")
    print(f"{'ratio update / baseline':52}{cpu_ms / baseline:8.1f}")
    print(f"goal <= {GOAL_MS} ms per update: {'met' if cpu_ms <= GOAL_MS else 'NOT met'}")
    print("\nshare of the profiled CPU by step (cumulative, steps overlap where nested):")
    for label, suffix, name in STEPS:
        cumulative = sum(timing[3] for (filename, _, function), timing in stats.items()
                         if function == name and filename.endswith(suffix))
        print(f"  {label:50}{cumulative / total * 100:6.1f} %")
    if args.top:
        print(f"\nthe {args.top} functions with the most CPU of their own (% of the profiled CPU):")
        ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:args.top]
        for (filename, lineno, function), timing in ranked:
            where = "/".join(Path(filename).parts[-2:])
            print(f"  {timing[2] / total * 100:5.1f} %  {timing[1]:>8} calls  "
                  f"{function} ({where}:{lineno})")


if __name__ == "__main__":
    main()
