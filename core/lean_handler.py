"""gevent's WSGI handler without its costliest habits, for servers answering many small
requests (tills poll after every shared-order update they receive):

* headers: gevent parses them with the standard library's e-mail parser (about 30 µs for four
  headers, more than the rest of reading a request); a head made of plain `Name: value` lines
  is split here with one regular expression into the same message, and anything else (folded
  lines, odd characters, a line without a name) still goes through the e-mail parser, so every
  request gets the headers it got before;
* the environ's `HTTP_*` entries: read from the parsed pairs, not from header lines gevent
  formats from them and splits again;
* the HTTP version: "HTTP/1.1" and "HTTP/1.0" are taken at sight, others checked as before;
* the `Date` header: formatted once a second, not once per answer;
* sending: one `send` (gevent's `sendall` first asks the kernel for the socket's buffer size,
  a system call per answer), the rest, if any, through `sendall`.
"""
import re
import socket
import time

from gevent.pywsgi import OldMessage, WSGIHandler, format_date_time, headers_factory

MAX_LINE = 65536  # http.client's limits, which gevent's parsing applies
MAX_HEADERS = 100
KNOWN_VERSIONS = frozenset({"HTTP/1.1", "HTTP/1.0"})
# A head the e-mail parser reads as plain name/value pairs: every line a name of the
# characters it allows, a colon and a value without any character it splits lines at
# (str.splitlines: CR, LF, VT, FF, FS, GS, RS, NEL), ended by CRLF; then the empty line.
_PLAIN_HEAD = re.compile(r"(?:[!-9;-~]+:[^\r\n\x0b\x0c\x1c-\x1e\x85]*\r\n)*\r\n")
_PLAIN_LINE = re.compile(r"([!-9;-~]+):[ \t]*([^\r\n\x0b\x0c\x1c-\x1e\x85]*)\r\n")


def parse_head(fp):
    """The request's headers as gevent's `headers_factory(fp)` returns them."""
    lines = []
    while True:
        line = fp.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            message = OldMessage()
            message.status = "Line too long"
            return message
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            # http.client's words, which core.http_errors reads (431)
            raise ValueError(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    text = b"".join(lines).decode("latin-1")
    if not _PLAIN_HEAD.fullmatch(text):
        return headers_factory(_Lines(lines))
    message = OldMessage()
    message._headers = _PLAIN_LINE.findall(text)
    message._payload = ""  # what the e-mail parser leaves after the headers
    return message


class _Lines:
    """Lines already read, handed to gevent's own parsing again."""

    def __init__(self, lines):
        self._lines = iter(lines)

    def readline(self, size=-1):
        return next(self._lines, b"")


_date = (None, None)  # (second, its Date header)


def http_date(now=None):
    global _date
    second = int(time.time() if now is None else now)
    if _date[0] != second:
        _date = (second, format_date_time(second))
    return _date[1]


class LeanHandler(WSGIHandler):
    def MessageClass(self, fp, *args):  # noqa: N802 - gevent's name
        return parse_head(fp)

    def _headers(self):
        """gevent's `HTTP_*` environ entries, from the pairs themselves."""
        for name, value in self.headers._headers:
            if "_" in name:  # gevent drops such headers (they could pass for others)
                continue
            key = name.replace("-", "_").upper()
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield "HTTP_" + key, value.strip()

    def _check_http_version(self):
        return self.request_version in KNOWN_VERSIONS or super()._check_http_version()

    def finalize_headers(self):
        if self.provided_date is None:
            self.provided_date = date = http_date()
            self.response_headers.append((b"Date", date))
        super().finalize_headers()

    def _sendall(self, data):
        try:
            sent = self.socket.send(data)
            if sent < len(data):
                self.socket.sendall(memoryview(data)[sent:])
        except socket.error as error:
            self.status = f"socket error: {error}"
            if self.code > 0:
                self.code = -self.code
            raise
        self.response_length += len(data)
