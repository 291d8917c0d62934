"""JSON answers for requests gevent's WSGI server refuses before the app sees them.

gevent answers a request line over 8 KiB, a header line over 64 KiB, more than 100 headers or a
garbled request with an empty 400 or 414; a till then has nothing to show. `JsonErrorHandler`
answers them with the app's one error shape, `{"error": {"code", "message"}}`.
"""
import json

from gevent.pywsgi import WSGIHandler

REASONS = {400: "Bad Request", 408: "Request Timeout", 414: "URI Too Long",
           429: "Too Many Requests", 431: "Request Header Fields Too Large"}


def raw_json_error(status, code, message):
    """A complete HTTP/1.1 response (status line, headers, body) that closes the connection."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (f"HTTP/1.1 {status} {REASONS[status]}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return str(status), head.encode("latin-1") + body


def _headers_too_large(error):
    text = str(error)
    return "Line too long" in text or ("more than" in text and "headers" in text)


class JsonErrorHandler(WSGIHandler):
    def handle_one_request(self):
        result = super().handle_one_request()
        if isinstance(result, tuple) and result[0] == "414":
            return raw_json_error(414, "request_line_too_long", "the request line (method and "
                                  "URL) is longer than 8 KiB; shorten the URL")
        return result

    def _handle_client_error(self, ex):
        super()._handle_client_error(ex)  # logs it
        if _headers_too_large(ex):
            return raw_json_error(431, "headers_too_large", "a header line is longer than "
                                  "64 KiB or there are more than 100 headers; send fewer or "
                                  "shorter headers (cookies included)")
        return raw_json_error(400, "bad_request", "the request is not valid HTTP/1.1")
