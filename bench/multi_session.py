"""Shared-order sync (update_order) throughput and delivery latency of one `core serve`.

--tills tills of one multi-session send `update_order` and long-poll each other's changes;
beside the raw commit rate of the same database, measured in the same run.

    .venv/bin/python bench/multi_session.py [--tills 10] [--multi-sessions 1]
        [--seconds 60 | --updates N] [--rate R] [--lines 20] [--receive poll|websocket]
        [--db postgresql://postgres@127.0.0.1:5432 [--workers N]] [--by-second]

Each till is two threads in this process, each with its own keep-alive HTTP connection:
* a sender: creates an order, then sends update_order again and again, one more line each time,
  based on the revision of the previous reply (a new order after --lines lines, as tills do);
* a poller: long-polls its channel ["bench","pos.multi_session","<pos_id>"], `last` advancing.
Every till first registers with sync_all, so that it gets every broadcast.
With --multi-sessions M there are M multi-sessions of --tills tills each; an update is delivered
when every other till of its multi-session has it. --rate R offers R updates/s in all, spread
evenly over the senders (the default sends flat out). --receive websocket receives over
GET /longpolling/websocket instead of long polls. Every till checks the message_IDs it
receives: none lost, none twice.

Figures: updates acknowledged/s; deliveries/s (an update received by one other till); delivered
updates/s (received by every other till); latency from just before the send to the receipt at
each other till (p50/p99, time.monotonic()); CPU of the server and of this client.
Baseline: small INSERT + COMMIT transactions in a loop on the same backend, configured as
core/db.py configures it (SQLite: WAL, synchronous=FULL, a file in the same folder).

Without --db, the server gets a new SQLite file in a temporary folder. --db takes a PostgreSQL
server URL: a scratch database is created there and dropped at the end. Either way the bench
installs pos_multi_session (demo) and sets pos_longpolling.allow_public = 1: anonymous tills.
Goals (issue 17): >= 500 delivered updates/s on SQLite (one process, 10 tills), p99 < 100 ms at
100 updates/s offered; on PostgreSQL with --workers 2 and 10 multi-sessions of 10 tills,
>= 250 delivered updates/s.
"""
import argparse
import http.client
import itertools
import json
import math
import os
import socket
import sqlite3
import tempfile
import threading
import time
import uuid

import orjson
from bench_support import CORE, ServerProcess, core, percentile

GOAL_DELIVERED_PER_SECOND = {"SQLite": 500, "PostgreSQL": 250}
GOAL_P99_SECONDS, GOAL_P99_RATE = 0.100, 100  # p99 under 100 ms at 100 updates/s offered
BASELINE_SECONDS = 3
DBNAME = "bench"  # the main instance's name the tills send; it names the channels
# The receivers poll as the original tills do: no timeout of their own (the server's cycle,
# pos_longpolling.poll_timeout, 50 s), so an idle till costs a poll every 50 s, not every
# second; at the end of the run the bench hangs their connections up.
SETTLE_SECONDS = 1.5  # for every receiver to connect and wait
WEBSOCKET_SILENCE = 60  # seconds without a frame (the server sends [] every cycle)
DRAIN_SECONDS = 15  # after the last send, how long pollers may still receive


# --- HTTP ------------------------------------------------------------------------------------

class JsonClient:
    """One keep-alive connection to the server, as a till's page keeps one."""

    def __init__(self, port):
        self.port, self.connection = port, None
        self.hung_up = False

    def hang_up(self):
        """End the request under way from another thread (a receiver's poll), for good."""
        self.hung_up = True
        connection = self.connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def post(self, path, payload):
        body = orjson.dumps(payload)  # light bench clients: they share the server's CPUs
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
                if attempt == 2 or self.hung_up:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {answer[:300]!r}")
        return orjson.loads(answer)


# --- the tills -------------------------------------------------------------------------------

class Till:
    def __init__(self, pos_id, multi_session_id, port, stats):
        self.pos_id, self.multi_session_id, self.port, self.stats = (
            pos_id, multi_session_id, port, stats)
        self.session_id = 1000 + pos_id
        self.received = []  # (order uid, revision, monotonic receipt time)
        self.message_ids = []  # every message_ID on its channel, its own echoes included
        self.errors = []
        self.last = 0  # the largest bus id its receiver has had
        self.receiver = None  # its receiver's JsonClient or WebSocket, to hang up at the end

    def params(self, action, data):
        return {"multi_session_id": self.multi_session_id, "dbname": DBNAME, "user_ID": 2,
                "message": {"action": action, "session_id": self.session_id, "login_number": 1,
                            "data": {"pos_id": self.pos_id, "run_ID": 1, **data}}}

    def register(self):
        reply = JsonClient(self.port).post("/pos_multi_session_sync/update", self.params(
            "sync_all", {"immediate_rerendering": True}))
        self.message_ids.append(reply["data"]["message_ID"])

    def send_updates(self, deadline, count, lines_per_order, schedule=None):
        """Update orders until `deadline` or `count` sends, whichever comes first; with
        `schedule` (first send time, interval), at a fixed rate."""
        client = JsonClient(self.port)
        sends = 0
        try:
            for order_number in itertools.count(1):
                uid = f"{self.pos_id:05d}-{order_number:04d}-{uuid.uuid4().hex[:6]}"
                order, revision = self.new_order(uid, order_number), 1
                for line_number in range(1, lines_per_order + 1):
                    if schedule is not None:
                        pause = schedule[0] + sends * schedule[1] - time.monotonic()
                        if pause > 0:
                            time.sleep(pause)
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

    def hang_up(self):
        """End its receiver's wait (a poll or a WebSocket) at the end of the run."""
        if isinstance(self.receiver, JsonClient):
            self.receiver.hang_up()
        elif self.receiver is not None:
            try:
                self.receiver.close()
            except Exception:  # noqa: BLE001 - closed already
                pass

    @property
    def channel(self):
        return json.dumps([DBNAME, "pos.multi_session", str(self.pos_id)], separators=(",", ":"))

    def poll(self, stop):
        """Long-poll this till's channel until `stop` is set; record others' updates."""
        client = self.receiver = JsonClient(self.port)
        last = 0
        try:
            while not stop.is_set():
                messages = client.post("/longpolling/poll", {
                    "channels": [self.channel], "last": last, "options": {}})
                last = self.record(messages, last)
        except Exception as exc:
            if not stop.is_set():  # not the bench hanging up
                self.errors.append(f"poller: {exc}")

    def listen(self, stop):
        """poll() over GET /longpolling/websocket."""
        import simple_websocket
        try:
            socket = simple_websocket.Client.connect(
                f"ws://127.0.0.1:{self.port}/longpolling/websocket")
            self.receiver = socket
            socket.send(json.dumps({"channels": [self.channel], "last": 0, "options": {}}))
            last = 0
            while not stop.is_set():
                text = socket.receive(timeout=WEBSOCKET_SILENCE)
                if text is None:
                    raise RuntimeError("the socket went silent")
                last = self.record(orjson.loads(text), last)
        except Exception as exc:
            if not stop.is_set():  # not the bench hanging up
                self.errors.append(f"listener: {exc}")

    def record(self, messages, last):
        now = time.monotonic()
        for item in messages:
            last = self.last = max(last, item["id"])
            message = item["message"]
            if isinstance(message.get("data"), dict) and "message_ID" in message["data"]:
                self.message_ids.append(message["data"]["message_ID"])
            if message["action"] == "update_order" \
                    and message["session_id"] != self.session_id:  # not its own echo
                data = message["data"]
                self.received.append((data["uid"], data["revision_ID"], now))
        return last


class Stats:
    def __init__(self):
        self.sent_at = {}  # (order uid, revision) -> monotonic time just before the send
        self.acknowledged_at = []


def run_tills(server, args):
    """Run the tills; return (stats, tills, start, end of sending, CPU use while sending)."""
    stats = Stats()
    tills = [Till(pos_id, 1 + (pos_id - 1) // args.tills, server.port, stats)
             for pos_id in range(1, args.tills * args.multi_sessions + 1)]
    for till in tills:
        till.register()
    stop = threading.Event()
    receive = {"poll": Till.poll, "websocket": Till.listen}[args.receive]
    pollers = [threading.Thread(target=receive, args=(till, stop)) for till in tills]
    for thread in pollers:
        thread.start()
    time.sleep(SETTLE_SECONDS)
    warm_up(server, tills, args.tills)
    per_till = math.ceil(args.updates / len(tills)) if args.updates else math.inf
    started, usage_before = time.monotonic(), cpu_usage(server)
    deadline = started + (args.seconds if not args.updates else math.inf)
    interval = len(tills) / args.rate if args.rate else None
    senders = [threading.Thread(target=till.send_updates, args=(
        deadline, per_till, args.lines,
        None if interval is None else (started + index * interval / len(tills), interval)))
        for index, till in enumerate(tills)]
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
    for till in tills:
        till.hang_up()
    for thread in pollers:
        thread.join()
    return stats, tills, started, sent_until, usage


def warm_up(server, tills, per_multi_session):
    """One message to every till before the measured run (a relayed action of the first till
    of each multi-session), so that every receiver polls with `last` > 0 from then on, as a
    till that has been running does: a first poll (`last: 0`) asks the database for the
    recent messages by age at every cycle, which is not what a running till costs."""
    client = JsonClient(server.port)
    for till in tills[::per_multi_session]:
        client.post("/pos_multi_session_sync/update", till.params("bench_warm_up", {}))
    deadline = time.monotonic() + DRAIN_SECONDS
    while any(till.last == 0 for till in tills) and time.monotonic() < deadline:
        time.sleep(0.05)


def cpu_usage(server):
    on_cpu, waiting = server.scheduler_seconds()
    return {"server on a CPU": on_cpu, "server waiting for a CPU": waiting,
            "bench client on a CPU": sum(os.times()[:2])}


# --- the server and the database ---------------------------------------------------------

def start_server(url, folder, workers=None):
    """`core serve` (one gevent process, or gunicorn's workers) on a free port, in its own
    process group."""
    extra = ["--workers", str(workers)] if workers else []
    return ServerProcess("core serve", [CORE, "--db", url, "serve", *extra],
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


def worker_restarts(log_path, workers):
    """gunicorn workers booted beyond the first ones (a worker killed for a timeout or a crash
    is booted again, and its imports then cost the CPU the bench measures)."""
    if not workers:
        return 0
    with open(log_path, errors="replace") as log:
        return max(0, sum("Booting worker" in line for line in log) - workers)


# --- figures ---------------------------------------------------------------------------------

def message_id_faults(tills):
    """(message_IDs lost, message_IDs received twice) over every till's channel."""
    lost = repeated = 0
    for till in tills:
        ids = sorted(till.message_ids)
        distinct = set(ids)
        repeated += len(ids) - len(distinct)
        if distinct:
            lost += (max(distinct) - min(distinct) + 1) - len(distinct)
    return lost, repeated


def figures_of(stats, tills, started, sent_until, tills_per_multi_session):
    others = tills_per_multi_session - 1
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
        "message_ids": message_id_faults(tills),
    }


def print_by_second(stats, tills, started):
    """Deliveries by the second their update was sent in, with their latency: a receiving
    side that keeps up shows the same latency all along, one that falls behind a latency
    growing with the run (or, as before the tail's read kept the worker, every delivery
    arriving only once the sending stopped: latency falling as the send time grows)."""
    by_second = {}
    for till in tills:
        for uid, revision, received_at in till.received:
            sent_at = stats.sent_at.get((uid, revision))
            if sent_at is not None:
                by_second.setdefault(int(sent_at - started), []).append(received_at - sent_at)
    print("\nsent in second    deliveries    p50 ms    p99 ms")
    for second, latencies in sorted(by_second.items()):
        latencies.sort()
        print(f"{second:14d}{len(latencies):14d}{percentile(latencies, 50) * 1000:10.0f}"
              f"{percentile(latencies, 99) * 1000:10.0f}")


def print_summary(f, baseline, backend, args, usage):
    """`usage`: CPU seconds while the tills sent, by name."""
    tills = args.tills * args.multi_sessions
    per_till = f["deliveries_per_s"] / tills
    cpu_per_update = usage["server on a CPU"] / max(f["acknowledged"], 1) * 1000
    lost, repeated = f["message_ids"]
    rows = [
        (f"raw {backend} commits/s (1-row INSERT + COMMIT)", f"{baseline:.0f}"),
        ("server processes (workers)", f"{args.workers or 1}"),
        ("multi-sessions x tills, receiving by", f"{args.multi_sessions} x {args.tills}, "
                                                 f"{args.receive}"),
        ("offered updates/s", f"{args.rate:.0f}" if args.rate else "flat out"),
        ("update_order acknowledged", f"{f['acknowledged']} in {f['send_seconds']:.1f} s"),
        ("update_order acknowledged/s", f"{f['acknowledged_per_s']:.0f}"),
        ("deliveries/s (update x receiving till)", f"{f['deliveries_per_s']:.0f}"),
        ("deliveries/s per receiving till", f"{per_till:.0f}"),
        (f"delivered updates/s (all {args.tills - 1} other tills)", f"{f['delivered_per_s']:.0f}"),
        ("latency send -> receipt p50 (ms)", f"{f['p50'] * 1000:.1f}"),
        ("latency send -> receipt p99 (ms)", f"{f['p99'] * 1000:.1f}"),
        ("latency send -> receipt max (ms)", f"{f['max'] * 1000:.1f}"),
        ("deliveries missing after the drain", f"{f['missing']}"),
        ("message_IDs lost / received twice", f"{lost} / {repeated}"),
        *((f"{name}, % of the sending time", f"{seconds / f['send_seconds'] * 100:.0f}")
          for name, seconds in usage.items() if name != "worker restarts"),
        ("gunicorn workers restarted", f"{usage.get('worker restarts', 0)}"),
        ("server CPU per acknowledged update (ms)", f"{cpu_per_update:.2f}"),
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
    goal = GOAL_DELIVERED_PER_SECOND[backend]
    for reading, figure in (("an update delivered to one till counts once (deliveries/s)",
                             f["deliveries_per_s"]),
                            (f"an update counts once delivered to all {args.tills - 1} "
                             "other tills of its multi-session", f["delivered_per_s"])):
        met = figure >= goal and not f["missing"] and not lost and not repeated
        print(f"goal >= {goal} delivered updates/s on {backend}, {reading}: {figure:.0f} "
              f"({args.multi_sessions} x {args.tills} tills) — {'met' if met else 'NOT met'}")
    if args.rate:
        met = f["p99"] < GOAL_P99_SECONDS and not f["missing"]
        print(f"goal p99 < {GOAL_P99_SECONDS * 1000:.0f} ms at {GOAL_P99_RATE} updates/s "
              f"offered: p99 {f['p99'] * 1000:.1f} ms at {args.rate:.0f}/s — "
              f"{'met' if met else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", type=int, default=10)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, default=60, help="how long the tills send")
    length.add_argument("--updates", type=int, help="send this many updates in all instead")
    parser.add_argument("--lines", type=int, default=20, help="lines per order, then a new one")
    parser.add_argument("--multi-sessions", type=int, default=1,
                        help="multi-sessions of --tills tills each")
    parser.add_argument("--rate", type=float, help="offered updates/s in all (default: flat out)")
    parser.add_argument("--receive", choices=["poll", "websocket"], default="poll")
    parser.add_argument("--workers", type=int, help="gunicorn gevent workers (PostgreSQL)")
    parser.add_argument("--db", help="a PostgreSQL server URL, to run on a scratch database "
                                     "there (default: a new SQLite file)")
    parser.add_argument("--by-second", action="store_true",
                        help="also the deliveries' latency by the second they were sent in")
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
            server = start_server(url, folder, args.workers)
            try:
                stats, tills, started, sent_until, usage = run_tills(server, args)
            finally:
                server.stop()
            usage["worker restarts"] = worker_restarts(server.log_path, args.workers)
        finally:
            if drop:
                drop()
    figures = figures_of(stats, tills, started, sent_until, args.tills)
    print(f"{len(tills)} tills: {figures['acknowledged']} updates acknowledged in "
          f"{figures['send_seconds']:.1f} s, {figures['deliveries']} deliveries", flush=True)
    print_summary(figures, baseline, backend, args, usage)
    if args.by_second:
        print_by_second(stats, tills, started)


if __name__ == "__main__":
    main()
