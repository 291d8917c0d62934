"""A slow client cannot hold the server (core.slow_clients), under `core serve` (gevent's
WSGIServer) and under gunicorn with core's gevent worker: a request whose line or headers
trickle in (slowloris) gets 408 and is closed after core.header_timeout_s, an address with
core.max_unfinished_requests_per_address unfinished requests gets 429 for one more at once,
other addresses and whole requests are served meanwhile; a body trickling in gets 408 and is
closed after core.body_timeout_s, whether the app reads it or not."""
import os
import socket
import subprocess
import sys
import time

import pytest

from core.addons import AddonCatalog
from core.instance import Instance
from tests.support import Server, free_port, stop_process_group

pytestmark = pytest.mark.server

HEADER_TIMEOUT = 1  # seconds (the parameter, set short for the test)
BODY_TIMEOUT = 1
MAX_UNFINISHED = 3
GIVE_UP = 8  # seconds a test waits for the server to close a slow connection


@pytest.fixture(params=["core serve", "gunicorn"])
def slow_guarded_server(request, db_url, tmp_path):
    """A server of a fresh instance with a 1 s header timeout and at most 3 unfinished
    requests per address: `core serve`, or gunicorn with core's worker (started directly, so
    that it runs on SQLite too)."""
    instance = Instance(db_url, AddonCatalog([], entry_points=False))
    instance.init()
    with instance.engine.begin() as connection:
        parameters = instance.parameters(connection)
        parameters.set("core.header_timeout_s", HEADER_TIMEOUT)
        parameters.set("core.max_unfinished_requests_per_address", MAX_UNFINISHED)
        parameters.set("core.body_timeout_s", BODY_TIMEOUT)
    instance.engine.dispose()
    port = free_port()
    env = {**os.environ, "CORE_DB": db_url, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}
    if request.param == "core serve":
        command = [sys.executable, "-m", "core.server", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "gunicorn", "--worker-class",
                   "core.gunicorn_worker.GeventWorker", "--workers", "1",
                   "--bind", f"127.0.0.1:{port}", "core.server:wsgi_app()"]
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 30
        while answer(port, b"GET /web/health HTTP/1.1\r\nHost: x\r\n\r\n") is None:
            assert process.poll() is None, server.log()
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        yield port
    finally:
        stop_process_group(process)


def connect(port, source="127.0.0.1"):
    client = socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP,
                                      source_address=(source, 0))
    return client


def answer(port, request_bytes, source="127.0.0.1"):
    """The status line of a whole request sent at once, or None if nothing answered."""
    try:
        with connect(port, source) as client:
            client.sendall(request_bytes)
            return read_all(client).split(b"\r\n", 1)[0] or None
    except OSError:
        return None


def read_all(client):
    """What the server sends until it closes the connection (GIVE_UP seconds at most)."""
    data = b""
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        try:
            chunk = client.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            return data
        data += chunk
        if b"Connection: close" not in data and b"\r\n\r\n" in data and b"200 OK" in data:
            return data  # a kept-alive answer: enough
    raise AssertionError(f"the server kept the connection open for {GIVE_UP} s: {data!r}")


def test_headers_trickling_in_get_408_and_the_connection_is_closed(slow_guarded_server):
    client = connect(slow_guarded_server)
    client.sendall(b"GET /web/health HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    client.settimeout(0.3)
    received = b""
    while time.monotonic() - started < GIVE_UP:  # one header line every 0.3 s (slowloris)
        try:
            client.sendall(b"X-Slow: a\r\n")
            chunk = client.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        received += chunk
    client.close()
    assert received.startswith(b"HTTP/1.1 408"), received
    assert b'"request_timeout"' in received
    assert time.monotonic() - started < GIVE_UP


def test_a_request_line_that_never_ends_gets_408(slow_guarded_server):
    with connect(slow_guarded_server) as client:
        client.sendall(b"GET /web/hea")
        assert read_all(client).startswith(b"HTTP/1.1 408")


def test_a_connection_that_sends_nothing_is_closed(slow_guarded_server):
    with connect(slow_guarded_server) as client:
        assert read_all(client).startswith(b"HTTP/1.1 408")


def test_an_address_with_too_many_unfinished_requests_is_refused_at_once_others_are_served(
        slow_guarded_server):
    port = slow_guarded_server
    slow = [connect(port) for _ in range(MAX_UNFINISHED)]
    for client in slow:
        client.sendall(b"GET /web/health HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.2)  # the server has taken them
    started = time.monotonic()
    with connect(port) as one_more:
        one_more.sendall(b"GET /web/health HTTP/1.1\r\nHost: x\r\n\r\n")
        refused = read_all(one_more)
    assert refused.startswith(b"HTTP/1.1 429"), refused
    assert b'"too_many_unfinished_requests"' in refused
    assert time.monotonic() - started < HEADER_TIMEOUT  # at once, not after the others
    # Another address is served meanwhile; once the slow ones are over, this one again.
    assert answer(port, b"GET /web/health HTTP/1.1\r\nHost: x\r\n\r\n",
                  source="127.0.0.2") == b"HTTP/1.1 200 OK"
    for client in slow:
        client.close()
    time.sleep(0.3)
    assert answer(port, b"GET /web/health HTTP/1.1\r\nHost: x\r\n\r\n") == b"HTTP/1.1 200 OK"


def test_a_kept_alive_connection_serves_requests_sent_in_time(slow_guarded_server):
    with connect(slow_guarded_server) as client:
        for _ in range(3):
            client.sendall(b"GET /web/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_all(client).startswith(b"HTTP/1.1 200 OK")
            time.sleep(HEADER_TIMEOUT / 2)
        # Idle for longer than the limit: the server closes it.
        assert client.recv(10) == b""


def trickled(port, head, length):
    """Send `head` (announcing a body of `length` bytes) at once, then the body one byte every
    0.2 s; what the server sent until it closed the connection."""
    client = connect(port)
    client.sendall(head + f"Content-Length: {length}\r\n\r\n".encode())
    client.settimeout(0.2)
    received, started = b"", time.monotonic()
    for _ in range(length):
        if time.monotonic() - started > GIVE_UP:
            break
        try:
            client.sendall(b"a")
            chunk = client.recv(4096)
        except TimeoutError:
            continue
        except OSError:  # reset: the server closed it
            break
        if not chunk:
            break
        received += chunk
    client.close()
    return received


def test_a_body_trickling_in_to_a_route_that_reads_it_gets_408_and_is_closed(
        slow_guarded_server, tmp_path):
    received = trickled(slow_guarded_server, b"POST /web/login HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n", 200)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert b"Connection: close" in received
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "request body too slow" in log and "POST /web/login" in log, log
    assert answer(slow_guarded_server, b"GET /web/health HTTP/1.1\r\nHost: x\r\n\r\n") == (
        b"HTTP/1.1 200 OK")


def test_a_body_trickling_in_that_the_app_does_not_read_is_not_waited_for(
        slow_guarded_server, tmp_path):
    """The route answers without reading it; reading what is left before the next request
    (gevent's discarding) is bounded too: the connection is closed."""
    received = trickled(slow_guarded_server, b"POST /web/health HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: text/plain\r\n", 200)
    assert received.startswith(b"HTTP/1.1 405"), received
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "request body too slow" in log and "POST /web/health" in log, log
