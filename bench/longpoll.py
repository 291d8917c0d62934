"""Long-poll capacity of one `core serve` process against a minimal in-memory Flask + gevent server
(bench/longpoll_baseline_server.py) in the same run: (a) idle pollers held and the server's
memory, (b) how fast one message reaches many waiting pollers.

    .venv/bin/python bench/longpoll.py [--idle 10000] [--pollers 1000] [--rounds 5] [--db URL]

(a) --idle pollers long-poll one channel; once the server holds them all and is idle, its VmRSS
    (/proc/<pid>/status) is compared with its VmRSS before. A PING then wakes them all: each
    must answer, which proves it was held (and times the fan-out).
(b) --pollers pollers wait on one channel; one `POST /pos_longpolling/update` (PING) stores a
    PONG there. Latency per poller = its response's receipt - the moment just before the PING was
    sent (time.monotonic(), one clock for every process). p50/p99 per round, median of --rounds.

Both servers are started here on free ports and stopped at the end. Without --db, the bus gets a
new SQLite file; --db takes a scratch database (e.g. `createdb bench_longpoll` on PostgreSQL):
the bench installs pos_longpolling there, sets pos_longpolling.allow_public = 1 (anonymous
pollers, like the baseline) and pos_longpolling.poll_timeout = 900 (so idle pollers stay put),
and at the end puts both parameters back and uninstalls what it installed.
Pollers are raw gevent sockets in --clients separate processes (the clients share the machine).
Goals (issue): 10,000 idle pollers under 400 MB RSS; p99 delivery <= 1.5x the baseline's.
"""
import argparse
import http.client
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_support import CORE, ServerProcess, core, percentile

BENCH = Path(__file__).resolve().parent
HOLD_SECONDS = 900  # options.timeout of every poller, and the server's cap raised to it
BENCH_PARAMETERS = {"pos_longpolling.allow_public": "1",
                    "pos_longpolling.poll_timeout": str(HOLD_SECONDS)}
RSS_GOAL_MB = 400
P99_GOAL_RATIO = 1.5
CONNECTS_IN_FLIGHT = 50  # per client process: a burst, like tills reconnecting after a restart
DELIVERY_DEADLINE = 120  # seconds a client waits for its pollers' answers after a PING


# --- client processes: `longpoll.py _client PORT COUNT CHANNEL LAST` --------------------------

def run_client(port, count, channel, last):
    """Open `count` long polls, print "held N FAILED" once all are sent, wait for "collect" on
    stdin, then print {"received": [monotonic times], "errors": {reason: n}} as one JSON line."""
    import gevent
    from gevent import socket as gsocket
    from gevent.lock import BoundedSemaphore

    body = json.dumps({"channels": [channel], "last": int(last),
                       "options": {"timeout": HOLD_SECONDS}}).encode()
    request = (f"POST /longpolling/poll HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
               ).encode() + body
    connecting = BoundedSemaphore(CONNECTS_IN_FLIGHT)
    sent, received, errors = [], [], {}

    def poller():
        was_sent = False
        try:
            with connecting:
                sock = gsocket.create_connection(("127.0.0.1", int(port)))
                sock.sendall(request)
            was_sent = True
            sent.append(True)
            while True:
                status, answer = read_response(sock)
                if status != 200:
                    raise ConnectionError(f"HTTP {status}")
                if answer != b"[]":
                    received.append(time.monotonic())
                    return
                sock.sendall(request)  # the poll timed out: poll again, as a till does
        except Exception as exc:  # any failure is counted and reported, never raised
            if not was_sent:
                sent.append(False)
            reason = str(exc) or type(exc).__name__
            errors[reason] = errors.get(reason, 0) + 1

    greenlets = [gevent.spawn(poller) for _ in range(int(count))]
    while len(sent) < int(count):
        gevent.sleep(0.05)
    print(f"held {sent.count(True)} {sent.count(False)}", flush=True)
    gsocket.wait_read(sys.stdin.fileno())  # the pollers keep waiting meanwhile
    sys.stdin.readline()
    gevent.joinall(greenlets, timeout=DELIVERY_DEADLINE)
    print(json.dumps({"received": received, "errors": errors}), flush=True)


def read_response(sock):
    """(status, body) of one HTTP/1.1 response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    while len(body) < int(headers["content-length"]):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), body


# --- the servers --------------------------------------------------------------------------

class Server(ServerProcess):
    """A server process with the counts the bench waits on: its open sockets and its CPU."""

    def __init__(self, name, command, folder):
        super().__init__(name, command, os.path.join(folder, f"{name}.log"), lambda port: post(
            port, "/longpolling/poll", {"channels": ["x"], "options": {"timeout": 0}}))

    def open_sockets(self):
        folder = f"/proc/{self.process.pid}/fd"
        count = 0
        for fd in os.listdir(folder):
            try:
                count += os.readlink(f"{folder}/{fd}").startswith("socket:")
            except OSError:  # closed meanwhile
                pass
        return count


    def wait_until_holding(self, sockets, limit=120):
        """Until the server has `sockets` open and is idle: every poller accepted (a connection
        the client sees as open may still wait in the accept queue), its request read and
        waiting."""
        deadline = time.monotonic() + limit
        while self.open_sockets() < sockets and time.monotonic() < deadline:
            time.sleep(0.2)
        self.wait_quiet(deadline)

    def wait_quiet(self, deadline, quiet_seconds=0.6):
        ticks, quiet_since = self.cpu_ticks(), time.monotonic()
        while time.monotonic() - quiet_since < quiet_seconds and time.monotonic() < deadline:
            time.sleep(0.1)
            if self.cpu_ticks() != ticks:
                ticks, quiet_since = self.cpu_ticks(), time.monotonic()

    def explain(self, errors):
        """The pollers' errors, and the last exception the server logged (what its 500s were)."""
        if not errors:
            return ""
        log = Path(self.log_path).read_text(errors="replace")
        exceptions = re.findall(r"^[\w.]+(?:Error|Exception)\b.*$", log, re.MULTILINE)
        return f"errors {errors}" + (f"; server log: {exceptions[-1]}" if exceptions else "")



def post(port, path, payload, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, json.dumps(payload),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {body[:300]!r}")
        return json.loads(body)
    finally:
        connection.close()


# --- measurements -------------------------------------------------------------------------

def hold_pollers(server, count, channel, processes):
    """`count` pollers, split over client processes, all waiting in the server; and how many
    the server holds."""
    # Wait for messages after the newest one, not for those an earlier round left behind.
    recent = post(server.port, "/longpolling/poll",
                  {"channels": [channel], "last": 0, "options": {"timeout": 0}})
    last = max((m["id"] for m in recent), default=0)
    server.wait_quiet(time.monotonic() + 30)  # the previous pollers' sockets are closed
    sockets_before = server.open_sockets()
    shares = [count // processes + (i < count % processes) for i in range(processes)]
    clients = [subprocess.Popen([sys.executable, __file__, "_client", str(server.port),
                                 str(share), channel, str(last)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for share in shares if share]
    sent = sum(int(client.stdout.readline().split()[1]) for client in clients)
    server.wait_until_holding(sockets_before + sent)
    held = min(sent, server.open_sockets() - sockets_before)  # sent, and accepted by the server
    return clients, held


def deliver(server, clients, pos_id, db_name):
    """Send one PING; the latencies of the pollers' answers, from just before the send."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DELIVERY_DEADLINE)
    connection.connect()
    sent_at = time.monotonic()
    connection.request("POST", "/pos_longpolling/update",
                       json.dumps({"pos_id": pos_id, "message": "PING", "db_name": db_name}),
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    if response.status != 200 or answer.strip() != b"1":
        raise RuntimeError(f"{server.name}: the PING got HTTP {response.status} {answer[:300]!r}")
    for client in clients:
        client.stdin.write("collect\n")
        client.stdin.flush()
    reports = [json.loads(client.stdout.readline()) for client in clients]
    for client in clients:
        client.wait()
    latencies = sorted(t - sent_at for report in reports for t in report["received"])
    errors = {}
    for report in reports:
        for reason, n in report["errors"].items():
            errors[reason] = errors.get(reason, 0) + n
    return {"delivered": len(latencies), "errors": errors,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else math.nan}




def measure(server, channel, db_name, args):
    server.wait_quiet(time.monotonic() + 30)
    figures = {"rss_before": server.rss_mb()}
    started = time.monotonic()
    clients, figures["held"] = hold_pollers(server, args.idle, channel, args.clients)
    figures["hold_seconds"] = time.monotonic() - started
    figures["rss_held"] = server.rss_mb()
    figures["sockets"] = server.open_sockets()
    figures["wakeup"] = wakeup = deliver(server, clients, 1, db_name)
    print(f"{server.name:9} (a) RSS {figures['rss_before']:.1f} MB idle, "
          f"{figures['rss_held']:.1f} MB with {args.idle} pollers ({figures['sockets']} sockets "
          f"open, all waiting after {figures['hold_seconds']:.1f} s); "
          f"the wake-up PING answered {wakeup['delivered']}/{args.idle} in "
          f"{wakeup['max']:.2f} s {server.explain(wakeup['errors'])}", flush=True)
    figures["rounds"] = []
    for round_number in range(1, args.rounds + 1):
        clients, _ = hold_pollers(server, args.pollers, channel, args.clients)
        result = deliver(server, clients, 1, db_name)
        figures["rounds"].append(result)
        print(f"{server.name:9} (b) round {round_number}: {result['delivered']}/{args.pollers} "
              f"delivered, p50 {result['p50'] * 1000:.1f} ms, p99 {result['p99'] * 1000:.1f} ms, "
              f"max {result['max'] * 1000:.1f} ms {server.explain(result['errors'])}", flush=True)
    for key in ("p50", "p99", "max"):
        figures[key] = statistics.median(r[key] for r in figures["rounds"])
    figures["delivered"] = min(r["delivered"] for r in figures["rounds"])
    return figures


# --- the database and the run -------------------------------------------------------------



def prepare_database(url):
    """Install pos_longpolling with its demo POS configs and set the bench's parameters;
    return a function that puts back what it changed."""
    core(url, "init")  # `core info` refuses a database that does not exist yet
    installed_before = set(json.loads(core(url, "info", "--json"))["installed"])
    core(url, "install", "--demo", "pos_longpolling")
    previous = {key: core(url, "param", "get", key) for key in BENCH_PARAMETERS}
    for key, value in BENCH_PARAMETERS.items():
        core(url, "param", "set", key, value)

    def restore():
        for key, value in previous.items():
            core(url, "param", "set", key, value)
        added = set(json.loads(core(url, "info", "--json"))["installed"]) - installed_before
        if added:
            core(url, "uninstall", "--yes", *sorted(added))
    return restore


def print_summary(results, args):
    base, ours = results["baseline"], results["comptoir"]
    rows = [
        ("server RSS before (MB)", "{:.1f}", lambda f: f["rss_before"]),
        (f"server RSS with {args.idle} pollers (MB)", "{:.1f}", lambda f: f["rss_held"]),
        ("per held poller (KB)", "{:.1f}",
         lambda f: (f["rss_held"] - f["rss_before"]) * 1024 / args.idle),
        ("pollers held", "{}", lambda f: f["held"]),
        ("  of which answered the wake-up PING", "{}", lambda f: f["wakeup"]["delivered"]),
        ("seconds to get them all waiting", "{:.1f}", lambda f: f["hold_seconds"]),
        (f"wake-up of all {args.idle}: last answer (s)", "{:.2f}", lambda f: f["wakeup"]["max"]),
        (f"delivery to {args.pollers}: p50 (ms)", "{:.1f}", lambda f: f["p50"] * 1000),
        (f"delivery to {args.pollers}: p99 (ms)", "{:.1f}", lambda f: f["p99"] * 1000),
        (f"delivery to {args.pollers}: max (ms)", "{:.1f}", lambda f: f["max"] * 1000),
        (f"delivered (fewest of {args.rounds} rounds)", "{}", lambda f: f["delivered"]),
    ]
    print(f"\n{'':44}{'baseline':>10}{'comptoir':>10}   (b: median of {args.rounds} rounds)")
    for label, form, value in rows:
        print(f"{label:44}{form.format(value(base)):>10}{form.format(value(ours)):>10}")
    memory_met = ours["held"] == args.idle and ours["rss_held"] < RSS_GOAL_MB
    unanswered = ours["held"] - ours["wakeup"]["delivered"]
    print(f"\nidle pollers: {ours['held']} held, server RSS {ours['rss_held']:.0f} MB "
          f"(baseline {base['rss_held']:.0f} MB) — goal {args.idle} held < {RSS_GOAL_MB} MB: "
          f"{'met' if memory_met else 'NOT met'}"
          + (f" (but {unanswered} of them got no PONG when woken)" if unanswered else ""))
    ratio = ours["p99"] / base["p99"]
    latency_met = ratio <= P99_GOAL_RATIO and ours["delivered"] == args.pollers
    print(f"delivery to {args.pollers} pollers: p99 {ours['p99'] * 1000:.1f} ms "
          f"(baseline {base['p99'] * 1000:.1f} ms), ratio {ratio:.2f} — goal <= {P99_GOAL_RATIO}: "
          f"{'met' if latency_met else 'NOT met'}")


def main():
    if sys.argv[1:2] == ["_client"]:
        return run_client(*sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=10000, help="idle pollers for (a)")
    parser.add_argument("--pollers", type=int, default=1000, help="pollers woken in (b)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (b)")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--db", help="a scratch database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-longpoll-") as folder:
        url = args.db or f"sqlite:///{os.path.join(folder, 'bench.db')}"
        restore = prepare_database(url)
        try:
            db_name = json.loads(core(url, "info", "--json"))["db_name"]
            channel = json.dumps([db_name, "pos.longpolling", "1"], separators=(",", ":"))
            commands = {"baseline": [sys.executable, str(BENCH / "longpoll_baseline_server.py")],
                        "comptoir": [str(CORE), "--db", url, "serve"]}
            results = {}
            for name, command in commands.items():
                server = Server(name, command, folder)
                try:
                    results[name] = measure(server, channel, db_name, args)
                finally:
                    server.stop()
        finally:
            if args.db:
                restore()
    print_summary(results, args)


if __name__ == "__main__":
    main()
