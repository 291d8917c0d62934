"""gevent's WSGI handler sends an answer's headers and its body in two system calls; a poll
answer is a few hundred bytes, and a till's shared-order update costs nine of them, so
`OneSendHandler` sends a small body together with its headers (copying a few KiB costs less
than a system call). Larger bodies go out as gevent sends them."""
from gevent.pywsgi import WSGIHandler

ONE_SEND_BODY = 64 * 1024  # bytes


class OneSendHandler(WSGIHandler):
    def _write_with_headers(self, data):
        if not data or len(data) > ONE_SEND_BODY:
            return super()._write_with_headers(data)
        held = []
        self._sendall = held.append  # gevent's writer sends the headers, then the body
        try:
            super()._write_with_headers(data)
        finally:
            del self._sendall
        self._sendall(b"".join(held))
