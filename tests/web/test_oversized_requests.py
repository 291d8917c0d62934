"""Requests gevent's server refuses before the app (oversized headers, request lines, garbled
HTTP) are answered with the one JSON error shape, not an empty 400 (issue #10 item 7)."""
import json
import socket
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.server


def raw_exchange(url, request_bytes):
    """Send raw bytes, return (status, headers text, body) of the answer."""
    address = urlparse(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request_bytes)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


REFUSED = [
    (b"GET /web/login HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
     431, "headers_too_large"),
    (b"GET /web/login HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-H%d: 1\r\n" % n for n in range(150)) + b"\r\n", 431, "headers_too_large"),
    (b"GET /" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request_line_too_long"),
    (b"GET / HTTP/7.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
]

@pytest.mark.parametrize("request_bytes, status, code", REFUSED, ids=[
    "header line over 64 KiB", "150 headers", "request line over 8 KiB", "bad version"])
def test_requests_the_server_refuses_get_a_json_error(start_server, instance, request_bytes,
                                                      status, code):
    assert_json_refusal(start_server().url, request_bytes, status, code)


def test_gunicorn_workers_refuse_them_in_json_too(start_server, instance):
    if instance.engine.dialect.name == "sqlite":
        pytest.skip("--workers > 1 needs PostgreSQL; set CORE_TEST_DB to run this test")
    url = start_server("--workers", "2").url
    for request_bytes, status, code in REFUSED:
        assert_json_refusal(url, request_bytes, status, code)


def assert_json_refusal(url, request_bytes, status, code):
    got_status, head, body = raw_exchange(url, request_bytes)
    assert got_status == status, head
    assert "Content-Type: application/json" in head
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"]
