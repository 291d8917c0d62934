"""core.one_send: a small answer leaves in one send, headers and body together; a large one as
gevent sends it. The bytes on the wire are the same either way."""
import socket

import pytest

from core.one_send import ONE_SEND_BODY, OneSendHandler


class CountingSocket:
    def __init__(self, sock):
        self.sock, self.sends = sock, []

    def sendall(self, data):
        self.sends.append(bytes(data))
        return self.sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self.sock, name)


class Server:
    log = error_log = None


@pytest.fixture
def sockets():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def answer(sockets, body):
    """The sends of a 200 answer of `body` (keep-alive, as a till's connection is)."""
    ours, _ = sockets
    handler = OneSendHandler(CountingSocket(ours), ("127.0.0.1", 1), Server())
    handler.request_version, handler.close_connection = "HTTP/1.1", False
    handler.environ, handler.command = {"REQUEST_METHOD": "POST"}, "POST"
    handler.start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
    handler.write(body)
    return handler.socket.sends


def test_a_small_answer_leaves_in_one_send(sockets):
    sends = answer(sockets, b'[{"id":1}]')
    assert len(sends) == 1
    head, _, body = sends[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Length: 10" in head
    assert body == b'[{"id":1}]'


def test_a_large_answer_leaves_as_gevent_sends_it(sockets):
    _, theirs = sockets
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * ONE_SEND_BODY)
    body = b"x" * (ONE_SEND_BODY + 1)
    sends = answer(sockets, body)
    assert len(sends) == 2 and sends[0].endswith(b"\r\n\r\n") and sends[1] == body
