"""core.lean_handler: the same headers, environ entries, Date and bytes on the wire as gevent's
own handler, with less work."""
import io
import socket
import threading

from gevent.pywsgi import WSGIHandler, format_date_time, headers_factory
from hypothesis import given, settings
from hypothesis import strategies as st

from core.lean_handler import MAX_HEADERS, LeanHandler, http_date, parse_head

# Names and values with every character the e-mail parser treats specially.
NAMES = st.text(alphabet="Ab-_:!~ \t\x85\x0b", min_size=0, max_size=8)
VALUES = st.text(alphabet="aZ0 :\t;,=\"\r\n\x0b\x0c\x1c\x85\xe9", min_size=0, max_size=12)
LINE_ENDS = st.sampled_from(["\r\n", "\n", "\r\n", "\r\n"])
HEADS = st.lists(st.tuples(NAMES, VALUES, LINE_ENDS), max_size=6).map(
    lambda lines: "".join(f"{n}:{v}{end}" if i % 5 else f"{n}{v}{end}"
                          for i, (n, v, end) in enumerate(lines)) + "\r\n")
PLAIN_HEADS = st.lists(st.tuples(st.sampled_from(["Host", "Content-Type", "X-A_B", "Cookie"]),
                                 st.text(alphabet="ab ;=\t", max_size=8)),
                       max_size=8).map(lambda pairs: "".join(f"{n}: {v}\r\n" for n, v in pairs)
                                       + "\r\n")


def both(head):
    """(gevent's parse, ours) of the head's bytes."""
    data = head.encode("latin-1")
    return (headers_factory(io.BufferedReader(io.BytesIO(data)), 0),
            parse_head(io.BufferedReader(io.BytesIO(data))))


def environ_entries(message, handler_class):
    handler = handler_class.__new__(handler_class)
    handler.headers = message
    return list(handler._headers())


@settings(max_examples=400, deadline=None)
@given(st.one_of(HEADS, PLAIN_HEADS))
def test_any_head_parses_as_gevent_parses_it(head):
    theirs, ours = both(head)
    assert ours._headers == theirs._headers
    assert ours.status == theirs.status
    assert ours.get_payload() == theirs.get_payload()
    assert environ_entries(ours, LeanHandler) == environ_entries(theirs, WSGIHandler)


def test_a_plain_head_and_the_limits():
    theirs, ours = both("Host: x\r\nContent-Length:  12 \r\nX-Under_Score: 1\r\n\r\n")
    assert ours._headers == theirs._headers == [("Host", "x"), ("Content-Length", "12 "),
                                                ("X-Under_Score", "1")]
    assert environ_entries(ours, LeanHandler) == [("HTTP_HOST", "x")]
    theirs, ours = both("X: " + "a" * 70_000 + "\r\n\r\n")
    assert ours.status == theirs.status == "Line too long"
    many = "".join(f"X-{n}: 1\r\n" for n in range(MAX_HEADERS + 1)) + "\r\n"
    try:
        parse_head(io.BufferedReader(io.BytesIO(many.encode())))
    except ValueError as error:
        assert "more than" in str(error) and "headers" in str(error)  # core.http_errors: 431
    else:
        raise AssertionError("more than MAX_HEADERS headers were taken")


def test_the_date_is_gevents_to_the_second():
    for moment in (0, 1_800_000_000.2, 1_800_000_000.9, 1_800_000_001):
        assert http_date(moment) == format_date_time(moment)


class Server:
    log = error_log = None


def answer_bytes(handler_class, body):
    ours, theirs = socket.socketpair()
    received = []

    def receive():
        while chunk := theirs.recv(1 << 20):
            received.append(chunk)

    with ours, theirs:
        reader = threading.Thread(target=receive)
        reader.start()
        handler = handler_class(ours, ("127.0.0.1", 1), Server())
        handler.request_version, handler.close_connection = "HTTP/1.1", False
        handler.environ, handler.command = {"REQUEST_METHOD": "POST"}, "POST"
        handler.start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(body)))])
        handler.write(body)
        ours.shutdown(socket.SHUT_WR)
        reader.join()
    return b"".join(received), handler.response_length


def test_the_answer_on_the_wire_is_gevents():
    for body in (b'[{"id":1}]', b"x" * 3_000_000):
        ours, theirs = answer_bytes(LeanHandler, body), answer_bytes(WSGIHandler, body)
        assert ours[1] == theirs[1]
        assert _dateless(ours[0]) == _dateless(theirs[0])


def _dateless(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    return [line for line in head.split(b"\r\n") if not line.startswith(b"Date:")], body


def test_known_versions_are_taken_and_others_checked():
    handler = LeanHandler.__new__(LeanHandler)
    for version, valid in (("HTTP/1.1", True), ("HTTP/1.0", True), ("HTTP/0.9", True),
                           ("HTTP/2.0", False), ("HTTX/1.1", False)):
        handler.request_version = version
        assert handler._check_http_version() is valid
