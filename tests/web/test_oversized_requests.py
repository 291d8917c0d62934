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


@pytest.mark.parametrize("request_bytes, status, code", [
    (b"GET /web/login HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n",
     431, "headers_too_large"),
    (b"GET /web/login HTTP/1.1\r\nHost: x\r\n"
     + b"".join(b"X-H%d: 1\r\n" % n for n in range(150)) + b"\r\n", 431, "headers_too_large"),
    (b"GET /" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request_line_too_long"),
    (b"GET / HTTP/7.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
], ids=["header line over 64 KiB", "150 headers", "request line over 8 KiB", "bad version"])
def test_requests_the_server_refuses_get_a_json_error(start_server, instance, request_bytes,
                                                      status, code):
    server = start_server()
    got_status, head, body = raw_exchange(server.url, request_bytes)
    assert got_status == status, head
    assert "Content-Type: application/json" in head
    error = json.loads(body)["error"]
    assert error["code"] == code and error["message"]
