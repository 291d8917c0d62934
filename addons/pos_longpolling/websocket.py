"""GET /longpolling/websocket: the bus over one WebSocket, beside long polling.

A long-polling till costs one request and one answer per message it receives; over a WebSocket
the server pushes each answer on the open connection instead. The client opens the socket
(cookie or `pos_longpolling.allow_public`, checked before the upgrade with the page's `Origin`:
this instance's own or one listed in `pos_longpolling.cors_origins`; browsers cannot send an
Authorization header on a WebSocket, so token clients in browsers long-poll, and other token
clients are not held to an origin), then sends one text message
`{"channels": [...], "last": N, "options": {"timeout": 50}}`; the server answers with text
messages, each exactly what /longpolling/poll would answer: `[{"id", "channel", "message"},
...]` when messages commit (`last` advancing on the server's side), and `[]` after a cycle
(`options.timeout`, at most `pos_longpolling.poll_timeout`) when nothing came, which tells the
client the connection lives. A bad subscription gets `{"error": {"code", "message"}}` and the
socket is closed (code 1008). To change channels, the client opens a new socket.

simple-websocket runs the protocol (wsproto) on the connection's socket, under gevent's
WSGIServer (`core serve`) as under gunicorn's gevent worker.
"""
import errno

import simple_websocket
from flask import Response, request
from wsproto.events import CloseConnection
from wsproto.frame_protocol import CloseReason

from core.web import current_instance, strict_json
from core.web.errors import ApiError

from . import bus
from .access import caller_scope, require_channels
from .encoding import json_bytes
from .settings import current_settings

SUBSCRIBE_TIMEOUT = 30  # seconds for the client's first message
MAX_CLIENT_MESSAGE = 64 * 1024  # bytes: a subscription is small
POLICY_VIOLATION = 1008


def serve_websocket(read_subscription):
    """The view. `read_subscription(params)`: (channels, last, since, cycle) as the poll route
    reads its parameters (cycle: options.timeout capped by the server's), or an ApiError."""
    if request.headers.get("Upgrade", "").lower() != "websocket":
        raise ApiError(400, "websocket_expected", "this endpoint takes a WebSocket handshake "
                                                  "(Upgrade: websocket); long-poll "
                                                  "POST /longpolling/poll otherwise")
    scope = caller_scope()  # 401 before the upgrade
    if "Authorization" not in request.headers:
        require_own_origin(current_settings().cors_origins)
    settings, engine = current_settings(), current_instance().engine
    socket = BoundedServer.accept(request.environ, max_message_size=MAX_CLIENT_MESSAGE)
    try:
        try:
            channels, last, since, cycle = read_subscription(
                _subscription(socket.receive(timeout=SUBSCRIBE_TIMEOUT)))
            require_channels(scope, channels)
        except ApiError as error:
            socket.send(json_bytes({"error": {"code": error.code, "message": error.message}})
                        .decode())
            _close(socket, POLICY_VIOLATION, error.code)
            return _Closed()
        with bus.subscription(engine, channels) as subscriber:  # registered once per socket
            while socket.connected:
                messages = subscriber.answer(last, cycle, since)
                if messages:
                    last, since = messages[-1]["id"], None
                socket.send(json_bytes(messages).decode())
                bus.collect_garbage(engine, settings.retention_seconds)
    except simple_websocket.ConnectionClosed:
        pass
    finally:
        _close(socket)
    return _Closed()


def require_own_origin(cors_origins):
    """A socket opened with the browser's cookie (or public access) comes from a page of this
    instance, or of an origin listed in pos_longpolling.cors_origins; else 403 before the
    upgrade. Browsers send `Origin` on every WebSocket handshake and the page cannot change it;
    a page on another origin (another port of the same host is the same site, so the Lax
    cookie goes along) would otherwise read the bus as the signed-in user. `*` lets any
    origin's tills use their tokens over CORS, never the cookie. A client without `Origin` is
    not a browser page (it carries no one's cookie unless it holds it itself)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    own = f"{request.scheme}://{request.host}"
    if origin.rstrip("/").lower() == own.lower() or origin in cors_origins:
        return
    raise ApiError(403, "foreign_origin",
                   f"a WebSocket from {origin!r} may not use this server's sign-in; open it "
                   f"from a page of {own} or list that origin in "
                   f"pos_longpolling.cors_origins"[:300])


class FrameTooLarge(OSError):
    """A client frame announced more than MAX_CLIENT_MESSAGE bytes (an OSError: simple-websocket's
    reading thread then ends the connection)."""


class FrameLengthWatch:
    """The connection's wsproto `WSConnection`, with each client frame's announced length read
    from the raw bytes before wsproto sees them: a frame announcing more than `limit` bytes is
    answered with a close (1009, message too big) and the connection ends at once.
    simple-websocket's own `max_message_size` counts the bytes as they arrive, so a frame
    announcing gigabytes and trickling its payload held the connection for as long as its
    sender liked."""

    def __init__(self, connection, sock, limit):
        self._connection, self._sock, self._limit = connection, sock, limit
        self._head = bytearray()  # the frame header read so far
        self._skip = 0  # payload bytes of the current frame still to come

    def __getattr__(self, name):
        return getattr(self._connection, name)

    def receive_data(self, data):
        if data:
            self._watch(data)
        self._connection.receive_data(data)

    def _watch(self, data):
        at = 0
        while at < len(data):
            if self._skip:
                step = min(self._skip, len(data) - at)
                self._skip -= step
                at += step
                continue
            self._head.append(data[at])
            at += 1
            length = _announced_length(self._head)
            if length is None:
                continue
            self._head.clear()
            if length > self._limit:
                try:
                    self._sock.send(self._connection.send(CloseConnection(
                        CloseReason.MESSAGE_TOO_BIG,
                        f"a frame of {length} bytes; at most {self._limit}")))
                except OSError:
                    pass
                raise FrameTooLarge(f"a client frame announced {length} bytes")
            self._skip = length


def _announced_length(head):
    """The payload length of a complete frame header `head` (RFC 6455 5.2), None until the
    header is complete."""
    if len(head) < 2:
        return None
    short = head[1] & 0x7F
    extended = 2 if short == 126 else 8 if short == 127 else 0
    if len(head) < 2 + extended + (4 if head[1] & 0x80 else 0):
        return None
    return int.from_bytes(head[2:2 + extended], "big") if extended else short


class BoundedServer(simple_websocket.Server):
    """simple-websocket's server whose client frames are held to `max_message_size` as soon as
    their header arrives (FrameLengthWatch)."""

    def handshake(self):
        super().handshake()
        self.ws = FrameLengthWatch(self.ws, self.sock, self.max_message_size)


def _close(socket, *reason):
    try:
        socket.close(*reason)
    except simple_websocket.ConnectionClosed:
        pass  # the client closed it first


def _subscription(text):
    if text is None:
        raise ApiError(400, "no_subscription", f"send {{\"channels\": [...], \"last\": N}} "
                                               f"within {SUBSCRIBE_TIMEOUT} s of opening")
    try:
        value = strict_json.loads(text)  # the limits every JSON body of this server has
    except strict_json.JsonRefused as refused:
        raise ApiError(400, refused.code, refused.message) from None
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_body", 'the subscription must be an object '
                                            '{"channels": [...], "last": N}')
    return value


class _Closed(Response):
    """What the view returns once the WebSocket is over: the connection is no longer HTTP, so
    nothing must be written on it. gevent's server takes a reset connection for a client that
    left and closes it without a word."""

    def __call__(self, environ, start_response):
        raise ConnectionResetError(errno.ECONNRESET, "the WebSocket is over")
