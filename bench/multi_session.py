"""Shared-order sync (update_order) throughput and delivery latency of one `core serve`.

--tills tills of one multi-session send `update_order` and long-poll each other's changes;
beside the raw commit rate of the same database, measured in the same run.

    .venv/bin/python bench/multi_session.py [--tills 10] [--seconds 60 | --updates N]
        [--lines 20] [--db postgresql://postgres@127.0.0.1:5432]

Each till is two threads in this process, each with its own keep-alive HTTP connection:
* a sender: creates an order, then sends update_order again and again, one more line each time,
  based on the revision of the previous reply (a new order after --lines lines, as tills do);
* a poller: long-polls its channel ["bench","pos.multi_session","<pos_id>"], `last` advancing.
Every till first registers with sync_all, so that it gets every broadcast.

Figures: updates acknowledged/s; deliveries/s (an update received by one other till); delivered
updates/s (received by every other till); latency from just before the send to the receipt at
each other till (p50/p99, time.monotonic()); CPU of the server and of this client.
Baseline: small INSERT + COMMIT transactions in a loop on the same backend, configured as
core/db.py configures it (SQLite: WAL, synchronous=FULL, a file in the same folder).

Without --db, the server gets a new SQLite file in a temporary folder. --db takes a PostgreSQL
server URL: a scratch database is created there and dropped at the end. Either way the bench
installs pos_multi_session (demo) and sets pos_longpolling.allow_public = 1: anonymous tills.
Goal (issue): >= 500 delivered updates/s on SQLite.
"""
import argparse
import http.client
import itertools
import json
import math
import os
import sqlite3
import tempfile
import threading
import time
import uuid

from bench_support import CORE, ServerProcess, core, percentile

GOAL_DELIVERED_PER_SECOND = 500
BASELINE_SECONDS = 3
DBNAME = "bench"  # the main instance's name the tills send; it names the channels
MULTI_SESSION_ID = 1
POLL_TIMEOUT = 1  # seconds: short, so pollers notice the end of the run
DRAIN_SECONDS = 15  # after the last send, how long pollers may still receive


# --- HTTP ------------------------------------------------------------------------------------

class JsonClient:
    """One keep-alive connection to the server, as a till's page keeps one."""

    def __init__(self, port):
        self.port, self.connection = port, None

    def post(self, path, payload):
        body = json.dumps(payload)
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = self.connection.getresponse()
                answer = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {answer[:300]!r}")
        return json.loads(answer)


# --- the tills -------------------------------------------------------------------------------

class Till:
    def __init__(self, pos_id, port, stats):
        self.pos_id, self.port, self.stats = pos_id, port, stats
        self.session_id = 1000 + pos_id
        self.received = []  # (order uid, revision, monotonic receipt time)
        self.errors = []

    def params(self, action, data):
        return {"multi_session_id": MULTI_SESSION_ID, "dbname": DBNAME, "user_ID": 2,
                "message": {"action": action, "session_id": self.session_id, "login_number": 1,
                            "data": {"pos_id": self.pos_id, "run_ID": 1, **data}}}

    def register(self):
        JsonClient(self.port).post("/pos_multi_session_sync/update", self.params(
            "sync_all", {"immediate_rerendering": True}))

    def send_updates(self, deadline, count, lines_per_order):
        """Update orders until `deadline` or `count` sends, whichever comes first."""
        client = JsonClient(self.port)
        sends = 0
        try:
            for order_number in itertools.count(1):
                uid = f"{self.pos_id:05d}-{order_number:04d}-{uuid.uuid4().hex[:6]}"
                order, revision = self.new_order(uid, order_number), 1
                for line_number in range(1, lines_per_order + 1):
                    if sends >= count or time.monotonic() >= deadline:
                        return
                    order["lines"].append(self.line(uid, line_number))
                    data = {**order, "revision_ID": revision, "new_order": revision == 1,
                            "nonce": uuid.uuid4().hex[:10]}
                    expected = revision if line_number == 1 else revision + 1
                    # Before the send: a receiver may have it before this thread has the reply.
                    self.stats.sent_at[(uid, expected)] = time.monotonic()
                    reply = client.post("/pos_multi_session_sync/update",
                                        self.params("update_order", data))
                    sends += 1
                    if reply.get("action") != "update_revision_ID" \
                            or reply["revision_ID"] != expected:
                        self.errors.append(f"unexpected reply {str(reply)[:200]}")
                        return
                    self.stats.acknowledged_at.append(time.monotonic())
                    revision = reply["revision_ID"]
        except Exception as exc:  # counted and shown, never raised from the thread
            self.errors.append(f"sender: {exc}")

    def new_order(self, uid, number):
        who = {"user": {"id": 2, "name": "Bench"}, "pos": {"id": self.pos_id,
                                                            "name": f"Till {self.pos_id}"}}
        return {"uid": uid, "name": f"Order {uid}", "sequence_number": number, "run_ID": 1,
                "pos_id": self.pos_id, "partner_id": False,
                "creation_date": "2026-11-22T10:15:00Z", "ms_info": {"created": who,
                                                                      "changed": who},
                "lines": []}

    @staticmethod
    def line(order_uid, number):
        return {"uid": f"{order_uid}-{number}", "product_id": 1 + number % 16,
                "name": f"Product {number}", "qty": 1, "price_unit": 1.8, "discount": 0,
                "tax_rate": 10}

    def poll(self, stop):
        """Long-poll this till's channel until `stop` is set; record others' updates."""
        client = JsonClient(self.port)
        channel = json.dumps([DBNAME, "pos.multi_session", str(self.pos_id)],
                             separators=(",", ":"))
        last = 0
        try:
            while not stop.is_set():
                messages = client.post("/longpolling/poll", {
                    "channels": [channel], "last": last, "options": {"timeout": POLL_TIMEOUT}})
                now = time.monotonic()
                for item in messages:
                    last = max(last, item["id"])
                    message = item["message"]
                    if message["action"] == "update_order" \
                            and message["session_id"] != self.session_id:  # not its own echo
                        data = message["data"]
                        self.received.append((data["uid"], data["revision_ID"], now))
        except Exception as exc:
            self.errors.append(f"poller: {exc}")


class Stats:
    def __init__(self):
        self.sent_at = {}  # (order uid, revision) -> monotonic time just before the send
        self.acknowledged_at = []


def run_tills(server, args):
    """Run the tills; return (stats, tills, start, end of sending, CPU use while sending)."""
    stats = Stats()
    tills = [Till(pos_id, server.port, stats) for pos_id in range(1, args.tills + 1)]
    for till in tills:
        till.register()
    stop = threading.Event()
    pollers = [threading.Thread(target=till.poll, args=(stop,)) for till in tills]
    for thread in pollers:
        thread.start()
    time.sleep(POLL_TIMEOUT + 0.5)  # every poller has had its first (empty) answer: waiting
    per_till = math.ceil(args.updates / args.tills) if args.updates else math.inf
    started, usage_before = time.monotonic(), cpu_usage(server)
    deadline = started + (args.seconds if not args.updates else math.inf)
    senders = [threading.Thread(target=till.send_updates, args=(deadline, per_till, args.lines))
               for till in tills]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    sent_until = time.monotonic()
    usage = {name: seconds - usage_before[name] for name, seconds in cpu_usage(server).items()}
    expected = len(stats.acknowledged_at) * (args.tills - 1)
    drain_deadline = sent_until + DRAIN_SECONDS
    while sum(len(t.received) for t in tills) < expected and time.monotonic() < drain_deadline:
        time.sleep(0.05)
    stop.set()
    for thread in pollers:
        thread.join()
    return stats, tills, started, sent_until, usage


def cpu_usage(server):
    on_cpu, waiting = server.scheduler_seconds()
    return {"server on a CPU": on_cpu, "server waiting for a CPU": waiting,
            "bench client on a CPU": sum(os.times()[:2])}


# --- the server and the database ---------------------------------------------------------

def start_server(url, folder):
    """`core serve` (one gevent process) on a free port, in its own process group."""
    return ServerProcess("core serve", [CORE, "--db", url, "serve"],
                         os.path.join(folder, "server.log"), lambda port: JsonClient(port).post(
                             "/longpolling/poll", {"channels": ["x"], "options": {"timeout": 0}}))


def scratch_postgres(server_url):
    """A new database on the PostgreSQL server of `server_url`: (its URL, a function that
    drops it)."""
    import psycopg
    from sqlalchemy.engine import make_url
    name = f"bench_multi_session_{os.getpid()}"
    server = make_url(server_url)
    maintenance = server.set(database=server.database or "postgres").render_as_string(False)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")

    def drop():
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return server.set(database=name).render_as_string(False), drop


def raw_commit_rate(url, folder):
    """Commits/s of one-row INSERT transactions, for BASELINE_SECONDS, on the server's backend
    configured as core/db.py does (SQLite: a file of its own beside the server's)."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(os.path.join(folder, "baseline.db"), isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, payload TEXT)")
    else:
        import psycopg
        connection = psycopg.connect(url, autocommit=True)  # BEGIN and COMMIT are ours
        connection.execute("CREATE TABLE bench_commit (id SERIAL PRIMARY KEY, payload TEXT)")
    commits, started = 0, time.monotonic()
    while time.monotonic() - started < BASELINE_SECONDS:
        connection.execute("BEGIN")
        connection.execute("INSERT INTO bench_commit (payload) VALUES ('x')")
        connection.execute("COMMIT")
        commits += 1
    rate = commits / (time.monotonic() - started)
    connection.close()
    return rate


# --- figures ---------------------------------------------------------------------------------

def figures_of(stats, tills, started, sent_until):
    others = len(tills) - 1
    latencies, receivers = [], {}
    for till in tills:
        for uid, revision, received_at in till.received:
            sent_at = stats.sent_at.get((uid, revision))
            if sent_at is not None:
                latencies.append(received_at - sent_at)
                receivers[(uid, revision)] = receivers.get((uid, revision), 0) + 1
    latencies.sort()
    last_receipt = max((r[2] for t in tills for r in t.received), default=sent_until)
    delivery_seconds = max(last_receipt, sent_until) - started
    acknowledged = len(stats.acknowledged_at)
    delivered = sum(1 for count in receivers.values() if count == others)
    return {
        "send_seconds": sent_until - started, "delivery_seconds": delivery_seconds,
        "acknowledged": acknowledged,
        "acknowledged_per_s": acknowledged / (sent_until - started),
        "deliveries": len(latencies), "missing": acknowledged * others - len(latencies),
        "deliveries_per_s": len(latencies) / delivery_seconds,
        "delivered": delivered, "delivered_per_s": delivered / delivery_seconds,
        "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else math.nan,
        "errors": [error for till in tills for error in till.errors],
    }


def print_summary(f, baseline, backend, args, usage):
    """`usage`: CPU seconds while the tills sent, by name."""
    per_till = f["deliveries_per_s"] / args.tills
    cpu_per_update = usage["server on a CPU"] / max(f["acknowledged"], 1) * 1000
    rows = [
        (f"raw {backend} commits/s (1-row INSERT + COMMIT)", f"{baseline:.0f}"),
        ("update_order acknowledged", f"{f['acknowledged']} in {f['send_seconds']:.1f} s"),
        ("update_order acknowledged/s", f"{f['acknowledged_per_s']:.0f}"),
        ("deliveries/s (update x receiving till)", f"{f['deliveries_per_s']:.0f}"),
        ("deliveries/s per receiving till", f"{per_till:.0f}"),
        (f"delivered updates/s (all {args.tills - 1} other tills)", f"{f['delivered_per_s']:.0f}"),
        ("latency send -> receipt p50 (ms)", f"{f['p50'] * 1000:.1f}"),
        ("latency send -> receipt p99 (ms)", f"{f['p99'] * 1000:.1f}"),
        ("latency send -> receipt max (ms)", f"{f['max'] * 1000:.1f}"),
        ("deliveries missing after the drain", f"{f['missing']}"),
        *((f"{name}, % of the sending time", f"{seconds / f['send_seconds'] * 100:.0f}")
          for name, seconds in usage.items()),
        ("server CPU per acknowledged update (ms)", f"{cpu_per_update:.1f}"),
        ("machine load average (1 min), cores", f"{os.getloadavg()[0]:.1f}, {os.cpu_count()}"),
        ("ratio delivered updates/s / raw commits/s", f"{f['delivered_per_s'] / baseline:.2f}"),
    ]
    print()
    for label, value in rows:
        print(f"{label:48}{value:>22}")
    for error in sorted(set(f["errors"]))[:10]:
        print(f"error: {error}")
    print()
    # "Delivered updates/s" reads two ways; say both rather than pick the flattering one.
    for reading, figure in (("an update delivered to one till counts once (deliveries/s)",
                             f["deliveries_per_s"]),
                            (f"an update counts once delivered to all {args.tills - 1} "
                             "other tills", f["delivered_per_s"])):
        met = figure >= GOAL_DELIVERED_PER_SECOND and not f["missing"]
        print(f"goal >= {GOAL_DELIVERED_PER_SECOND} delivered updates/s on SQLite, {reading}: "
              f"{figure:.0f} ({backend}, {args.tills} tills) — {'met' if met else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", type=int, default=10)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, default=60, help="how long the tills send")
    length.add_argument("--updates", type=int, help="send this many updates in all instead")
    parser.add_argument("--lines", type=int, default=20, help="lines per order, then a new one")
    parser.add_argument("--db", help="a PostgreSQL server URL, to run on a scratch database "
                                     "there (default: a new SQLite file)")
    args = parser.parse_args()
    if args.tills < 2:
        parser.error("--tills must be at least 2: deliveries go to the other tills")
    drop = None
    with tempfile.TemporaryDirectory(prefix="bench-multi-session-") as folder:
        if args.db:
            url, drop = scratch_postgres(args.db)
        else:
            url = f"sqlite:///{os.path.join(folder, 'sync.db')}"
        backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        try:
            baseline = raw_commit_rate(url, folder)
            print(f"baseline: {baseline:.0f} raw {backend} commits/s", flush=True)
            core(url, "install", "--demo", "pos_multi_session")
            core(url, "param", "set", "pos_longpolling.allow_public", "1")
            server = start_server(url, folder)
            try:
                stats, tills, started, sent_until, usage = run_tills(server, args)
            finally:
                server.stop()
        finally:
            if drop:
                drop()
    figures = figures_of(stats, tills, started, sent_until)
    print(f"{args.tills} tills: {figures['acknowledged']} updates acknowledged in "
          f"{figures['send_seconds']:.1f} s, {figures['deliveries']} deliveries", flush=True)
    print_summary(figures, baseline, backend, args, usage)


if __name__ == "__main__":
    main()
