"""`core serve` writes one access-log line per request in the combined log format, with one
process (gevent's server) and with workers (gunicorn)."""
import os
import re
import time

import pytest
import requests

from core.access_log import combined_line

COMBINED = re.compile(
    r'^(?P<client>\S+) - - \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<length>\d+|-) '
    r'"(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"$')


def test_a_combined_line_escapes_quotes_and_fills_blanks():
    line = combined_line("10.0.0.7", 'GET /x?q="a" HTTP/1.1', "404", 0, None, 'till "A"',
                         when=0)
    assert COMBINED.match(line)
    assert line.startswith("10.0.0.7 - - [01/Jan/1970:")
    assert line.endswith(r'"GET /x?q=\"a\" HTTP/1.1" 404 - "-" "till \"A\""')


def access_lines(server, path):
    """The server's access-log lines for `path` (waits a little: the line follows the answer)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line for line in server.log().splitlines() if f" {path} HTTP/" in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def ask(server, path):
    return requests.get(server.url + path, timeout=10,
                        headers={"User-Agent": "till/1.0", "Referer": "http://shop/pos"})


def test_one_process_logs_each_request_in_the_combined_format(instance, start_server):
    server = start_server()
    assert ask(server, "/web/health?probe=1").status_code == 200
    assert ask(server, "/no/such/page").status_code == 404
    [health] = access_lines(server, "/web/health?probe=1")
    fields = COMBINED.match(health).groupdict()
    assert fields["client"] == "127.0.0.1"
    assert (fields["request"], fields["status"]) == ("GET /web/health?probe=1 HTTP/1.1", "200")
    assert (fields["referer"], fields["agent"]) == ("http://shop/pos", "till/1.0")
    assert int(fields["length"]) > 0
    [missing] = access_lines(server, "/no/such/page")
    assert COMBINED.match(missing).group("status") == "404"


@pytest.mark.skipif(not os.environ.get("CORE_TEST_DB"), reason="--workers needs PostgreSQL")
def test_workers_log_each_request_in_the_combined_format(instance, start_server):
    server = start_server("--workers", "2")
    assert ask(server, "/web/health?probe=2").status_code == 200
    [health] = access_lines(server, "/web/health?probe=2")
    fields = COMBINED.match(health).groupdict()
    assert (fields["request"], fields["status"]) == ("GET /web/health?probe=2 HTTP/1.1", "200")
    assert (fields["referer"], fields["agent"]) == ("http://shop/pos", "till/1.0")
