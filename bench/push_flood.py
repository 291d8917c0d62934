"""A real till's push while unauthenticated pushes flood the central (#30, the push gate): the
time from sending one batch of a real till's sealed tickets to its answer (stored), alone and
while --flood pushes without a valid till's token arrive at the same moment, in alternate
rounds of the same run (the baseline is the push alone).

    .venv/bin/python bench/push_flood.py [--flood 200] [--tickets 200] [--rounds 3]
        [--workers 1] [--postgres postgresql://postgres@127.0.0.1:5432 | --sqlite]

The flood's pushes carry, in turn: no token, a token not of a till's form, the real till's id
with a wrong secret, an unknown till's id, a revoked till's token; each sends a body the size
of the real batch (a copy of it). They are sent together from threads whose connections are
open beforehand (the central's `core.max_unfinished_requests_per_address` is raised to let
them all in: they stand for many clients, not one address); the real till's batch is sent
once every flood request is on the wire, so it arrives behind them. The chain is real
(bench/catch_up.py's seller: point_of_sale seals each ticket) and each round sends the chain's
next batch, so every measured push stores new tickets.

Prints, per round, the real push's time; then the medians alone and under the flood, their
ratio, and how the flood was answered (status counts, p50 and max time).
"""
import argparse
import http.client
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import catch_up  # noqa: E402
from autonomous_support import Scratch, make_central  # noqa: E402
from bench_support import CORE, ServerProcess, percentile  # noqa: E402
from sqlalchemy import select  # noqa: E402

import addons.point_of_sale as point_of_sale  # noqa: E402
from addons.pos_autonomous.central import tills as central_tills  # noqa: E402
from core.addons import AddonCatalog  # noqa: E402
from core.instance import Instance  # noqa: E402

REAL, REVOKED = catch_up.FIRST_CONFIG, catch_up.FIRST_CONFIG + 1  # the two tills' configs


def prepare(options, scratch):
    """(central URL, the real till's token, its batches in chain order, a revoked token)."""
    seller = Instance(scratch.till_url("seller"), AddonCatalog())
    seller.install(["point_of_sale"], demo=True)
    catch_up.add_configs(seller.engine, 2)
    with seller.engine.connect() as connection:
        catch_up.PRICES.update({product_id: str(price) for product_id, price in
                                connection.execute(select(point_of_sale.Product.id,
                                                          point_of_sale.Product.price))})
    url = scratch.central_url("flood")
    central = make_central(url, demo=True)
    catch_up.add_configs(central.engine, 2)
    catch_up.set_gate(central, options)
    with central.engine.begin() as connection:  # the flood stands for many clients: from this
        central.parameters(connection).set(  # one address, let its connections all in at once
            "core.max_unfinished_requests_per_address", str(options.flood + 16))
    batch_count = 1 + 2 * options.rounds  # a warm-up batch, then one per measured push
    catch_up.sell(seller, REAL, options.tickets * batch_count)
    with central.engine.begin() as connection:
        till_id, token = central_tills.register_till(connection, REAL, "Real")
        central_tills.take_config(connection, REAL, till_id, "Real")
        revoked_id, revoked = central_tills.register_till(connection, REVOKED, "Revoked")
        central_tills.revoke(connection, revoked_id)
    with seller.engine.connect() as connection:
        bodies, _head = catch_up.batches(connection, till_id, REAL, options.tickets)
    central.engine.dispose()
    seller.engine.dispose()
    return url, token, [body for _last, body in bodies], revoked


def flood_headers(real_token, revoked_token, count):
    """`count` header sets of pushes no till may make, the kinds in turn."""
    till_id = real_token.partition(".")[0]
    kinds = [{}, {"Authorization": "Bearer not-a-till-token"},
             {"Authorization": f"Bearer {till_id}.wrong-secret"},
             {"Authorization": "Bearer 999999.some-secret"},
             {"Authorization": f"Bearer {revoked_token}"}]
    return [{"Content-Type": "application/json", **kinds[n % len(kinds)]}
            for n in range(count)]


class Flood:
    """Unauthenticated pushes sent together; `sent` is set once each is on the wire."""

    def __init__(self, port, headers, body):
        self.answers, self.sent = [], threading.Event()
        self._left, self._lock = len(headers), threading.Lock()
        self._start = threading.Barrier(len(headers) + 1)
        self._threads = [threading.Thread(target=self._push, args=(port, h, body))
                         for h in headers]
        for thread in self._threads:
            thread.start()

    def release(self):
        self._start.wait()

    def _push(self, port, headers, body):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        connection.connect()
        self._start.wait()
        started = time.perf_counter()
        try:
            connection.request("POST", "/pos_autonomous/push", body, headers)
            self._one_sent()
            response = connection.getresponse()
            response.read()
            self.answers.append((response.status, time.perf_counter() - started))
        except OSError as exc:  # the server may close a connection whose body it left unread
            self._one_sent()
            self.answers.append((type(exc).__name__, time.perf_counter() - started))
        finally:
            connection.close()

    def _one_sent(self):
        with self._lock:
            self._left -= 1
            if self._left <= 0:
                self.sent.set()

    def join(self):
        for thread in self._threads:
            thread.join()


def real_push(port, token, body):
    """Seconds from sending the real till's batch to its answer (which must say stored)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.connect()
    started = time.perf_counter()
    connection.request("POST", "/pos_autonomous/push", body, {
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    answer = orjson.loads(data)
    if response.status != 200 or any(ack["status"] != "stored" for ack in answer["acks"]):
        raise RuntimeError(f"the real push was answered {response.status}: {data[:300]!r}")
    return elapsed


def flooded_push(port, token, body, headers):
    """The real push sent once the flood is on the wire; (its seconds, the flood)."""
    flood = Flood(port, headers, body)
    flood.release()
    flood.sent.wait(600)
    elapsed = real_push(port, token, body)
    flood.join()
    return elapsed, flood


def measure(options, url, token, bodies, revoked):
    """(seconds alone, seconds under the flood, the flood's answers), alternate rounds."""
    name = "central"
    server = ServerProcess(name, [CORE, "--db", url, "serve", "--workers", str(options.workers)],
                           Path(options.log_folder) / f"{name}.log",
                           lambda port: http.client.HTTPConnection(
                               "127.0.0.1", port, timeout=1).request("GET", "/web/login"))
    headers = flood_headers(token, revoked, options.flood)
    alone, flooded, answers = [], [], []
    try:
        real_push(server.port, token, bodies[0])  # warm-up: the first batch, not counted
        warm_up = Flood(server.port, headers[:10], bodies[0])
        warm_up.release()
        warm_up.join()
        for round_number in range(options.rounds):
            alone.append(real_push(server.port, token, bodies[1 + 2 * round_number]))
            elapsed, flood = flooded_push(server.port, token, bodies[2 + 2 * round_number],
                                          headers)
            flooded.append(elapsed)
            answers += flood.answers
            print(f"round {round_number + 1}: alone {alone[-1] * 1000:.0f} ms, with "
                  f"{options.flood} unauthenticated pushes {elapsed * 1000:.0f} ms", flush=True)
    finally:
        server.stop()
    return alone, flooded, answers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=200, help="per real batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--push-slots", type=int)
    parser.add_argument("--push-queue-ms", type=int)
    parser.add_argument("--postgres", metavar="URL",
                        default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true", help="the central on SQLite")
    options = parser.parse_args()
    scratch = Scratch(None if options.sqlite else options.postgres, "flood")
    options.log_folder = scratch.folder
    try:
        url, token, bodies, revoked = prepare(options, scratch)
        alone, flooded, answers = measure(options, url, token, bodies, revoked)
    finally:
        scratch.drop()
    times = sorted(seconds for _status, seconds in answers)
    statuses = Counter(status for status, _seconds in answers)
    print(f"real push of {options.tickets} tickets ({len(bodies[1]) / 1024:.0f} KiB, the "
          f"flood's bodies too): alone median "
          f"{statistics.median(alone) * 1000:.0f} ms, with {options.flood} unauthenticated "
          f"pushes median {statistics.median(flooded) * 1000:.0f} ms: ratio "
          f"{statistics.median(flooded) / statistics.median(alone):.2f}")
    print(f"the flood's answers: {dict(statuses)}; p50 {percentile(times, 50) * 1000:.0f} ms, "
          f"max {times[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
