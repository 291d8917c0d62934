"""A slow client cannot hold the server: a request's line and headers must arrive within
`core.header_timeout_s`, and one client address may have at most
`core.max_unfinished_requests_per_address` requests whose line and headers have not arrived yet.

gevent's WSGI server (under `core serve` and in each gunicorn worker, core.gunicorn_worker)
waits for a request's head as long as the client keeps sending: a client sending one header
byte every few seconds (slowloris) kept a connection, a greenlet and a file descriptor for more
than 65 s, and thousands of them exhaust the process's descriptors. `SlowClientGuard`, mixed
into both servers' request handler, bounds that wait:

- a new connection has `header_timeout_s` from its accept to the end of its headers, a
  kept-alive one from the first byte of its next request (waiting for that byte is bounded by
  the same figure: an idle kept-alive connection is closed after it, as gunicorn's own
  keep-alive does); a head not complete in time is answered 408 and the connection closed;
- a connection that would be the address's `max_unfinished_requests_per_address + 1`-th
  unfinished one is answered 429 and closed at once. Counted per process.

Once the head has arrived, the request is the app's (a long poll may wait for minutes), but its
body must arrive within `core.body_timeout_s` of the first read of it (`BodyInTime`): a client
trickling a body byte by byte held a greenlet, and with gunicorn's workers a worker's share of
them, as long as it kept sending. A body too slow is answered 408 (by the app when it was
reading it, `BodyTimedOut`) and the connection closed, with a line in the server's error log.

The figures are read when the server starts (`configure`); change them, then restart.
"""
import socket
import time
from collections import defaultdict
from dataclasses import dataclass

from gevent import Timeout
from gevent.pywsgi import Input, WSGIHandler
from werkzeug.exceptions import RequestTimeout

from core.http_errors import raw_json_error


@dataclass
class Limits:
    header_timeout_s: float = 10.0
    max_unfinished_per_address: int = 64
    body_timeout_s: float = 30.0


LIMITS = Limits()
_unfinished = defaultdict(int)  # client address -> requests whose head is still arriving


def configure(parameters):
    """Read the figures from the instance's parameters (when the server starts)."""
    LIMITS.header_timeout_s = max(1.0, float(parameters.get("core.header_timeout_s")))
    LIMITS.body_timeout_s = max(1.0, float(parameters.get("core.body_timeout_s")))
    LIMITS.max_unfinished_per_address = max(1, parameters.get(
        "core.max_unfinished_requests_per_address"))


class HeadTimedOut(socket.timeout):
    """The request's line and headers did not arrive in time (an OSError: gevent's reading of
    the request line takes it for a connection that went away)."""


class BodyTimedOut(RequestTimeout):
    """The body did not arrive in time: the app answers it as any HTTP error (JSON 408), and
    the connection is closed after the answer (what is left of the body is never read)."""

    def __init__(self):
        super().__init__(f"the request body did not arrive within {LIMITS.body_timeout_s:g} s "
                         f"of its first byte being read; send it at once (core.body_timeout_s)")

    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("Connection", "close")]


class _Late(Exception):
    """gevent's Timeout firing inside a read of the body."""


class BodyInTime(Input):
    """gevent's request body, whose reads (the app's, then gevent's discarding of what the app
    left) must all end within `timeout` seconds of the first one; `on_timeout()` is called
    once when they do not."""

    def __init__(self, body, timeout, on_timeout):
        super().__init__(body.rfile, body.content_length, socket=body.socket,
                         chunked_input=body.chunked_input)
        self.timeout, self.on_timeout = timeout, on_timeout
        self.deadline, self.timed_out = None, False

    def read(self, length=None):
        return self._in_time(super().read, length)

    def readline(self, size=None):
        return self._in_time(super().readline, size)

    def _in_time(self, reader, size):
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout
        try:
            if self.timed_out or time.monotonic() >= self.deadline:
                raise _Late
            with Timeout(self.deadline - time.monotonic(), _Late):
                return reader(size)
        except _Late:
            if not self.timed_out:
                self.timed_out = True
                self.on_timeout()
            raise BodyTimedOut() from None

    def _discard(self):
        try:
            super()._discard()
        except BodyTimedOut:
            pass  # the handler closes the connection: the rest of the body is never read


class SlowClientGuard(WSGIHandler):
    _address = None
    _timer = None
    _served = 0
    _timed_out = False

    def handle_one_request(self):
        if self._served and not self._next_request_started():
            return None  # an idle kept-alive connection: closed
        self._served += 1
        address = (self.client_address[0] if isinstance(self.client_address, tuple)
                   else self.client_address)
        if _unfinished[address] >= LIMITS.max_unfinished_per_address:
            if not _unfinished[address]:
                del _unfinished[address]
            return raw_json_error(
                429, "too_many_unfinished_requests",
                f"this address already has {LIMITS.max_unfinished_per_address} requests whose "
                f"headers have not arrived; finish those first "
                f"(core.max_unfinished_requests_per_address)")
        _unfinished[address] += 1
        self._address = address
        self._timer = Timeout.start_new(LIMITS.header_timeout_s, HeadTimedOut())
        self._timed_out = False
        try:
            result = super().handle_one_request()
        finally:
            self._head_arrived()
        if result is None and self._timed_out:  # the request line itself was too slow
            return self._too_slow()
        return result

    def read_requestline(self):
        try:
            return super().read_requestline()
        except HeadTimedOut:
            self._timed_out = True
            raise

    def _next_request_started(self):
        """Wait (at most header_timeout_s) for the first byte of a kept-alive connection's next
        request; False if none came or the client closed it."""
        try:
            with Timeout(LIMITS.header_timeout_s, False):
                return bool(self.rfile.peek(1))
        except OSError:
            return False
        return False

    def read_request(self, raw_requestline):
        try:
            return super().read_request(raw_requestline)
        finally:
            self._head_arrived()  # the app's time starts: no more deadline, no longer counted

    def _head_arrived(self):
        if self._timer is not None:
            self._timer.close()
            self._timer = None
        if self._address is not None:
            _unfinished[self._address] -= 1
            if not _unfinished[self._address]:
                del _unfinished[self._address]
            self._address = None

    def get_environ(self):
        environ = super().get_environ()
        if environ.get("wsgi.input") is self.wsgi_input:  # not an upgraded connection's socket
            self.wsgi_input = environ["wsgi.input"] = BodyInTime(
                self.wsgi_input, LIMITS.body_timeout_s, self._body_too_slow)
        return environ

    def _body_too_slow(self):
        self.close_connection = True
        self.log_error("request body too slow (from %s): %s %s did not send its body within "
                       "%g s (core.body_timeout_s); 408, connection closed",
                       self.client_address, self.command, self.path, LIMITS.body_timeout_s)

    def _handle_client_error(self, ex):
        if isinstance(ex, HeadTimedOut):
            return self._too_slow()
        return super()._handle_client_error(ex)

    def _too_slow(self):
        return raw_json_error(
            408, "request_timeout", f"the request line and headers did not arrive within "
            f"{LIMITS.header_timeout_s:g} s; send them at once (core.header_timeout_s)")
