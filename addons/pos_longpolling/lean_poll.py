"""POST /longpolling/poll answered below Flask's dispatch when nothing in the request needs it.

A till receiving a shared order's updates one at a time sends one poll per update; Flask's
request machinery (request and application contexts, the session, URL matching, before- and
after-request functions, the response object) cost more than the poll's own work once the tail
holds the messages. `LeanPoll` wraps the app's WSGI callable: a poll with a JSON body of the
length it announces, no query string, no credentials (`pos_longpolling.allow_public`) and no
CORS origins configured, is read and answered here by the route's own `poll_arguments` and
`answer_poll`, plain or in Odoo's JSON-RPC envelope, with the headers Flask would send. Any
other request, and any poll this path cannot answer (a refused parameter, a broken envelope,
a database error), goes through Flask as before, with its body put back: errors are Flask's,
word for word. A poll only reads, so sending one on to Flask after a failure here is harmless.
"""
import io

from core.values import whole_number
from core.web import strict_json

from .encoding import json_bytes
from .jsonrpc import result_envelope, well_formed_call
from .routes import answer_poll, poll_arguments

POLL_PATH = "/longpolling/poll"
PLAIN = object()  # a poll without the JSON-RPC envelope


class LeanPoll:
    def __init__(self, app, settings):
        self.next = app.wsgi_app
        self.settings = settings
        self.engine = app.extensions["core"].engine
        self.max_length = app.config.get("MAX_CONTENT_LENGTH")
        self.open = settings.allow_public and not settings.cors_origins

    def __call__(self, environ, start_response):
        length = self._plain_length(environ) if self.open else None
        if length is None:
            return self.next(environ, start_response)
        try:
            body = environ["wsgi.input"].read(length)
        except Exception:  # noqa: BLE001 - a body too slow (408), a client gone: Flask says so
            return self.next(environ, start_response)
        try:
            answer = self._answer(body) if len(body) == length else None
        except Exception:  # noqa: BLE001 - Flask's path answers it, as it always did
            answer = None
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.next(environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(answer)))])
        return [answer]

    def _plain_length(self, environ):
        """The body's length of a poll this path may answer, else None."""
        if (environ.get("PATH_INFO") != POLL_PATH or environ.get("REQUEST_METHOD") != "POST"
                or "HTTP_AUTHORIZATION" in environ or environ.get("QUERY_STRING")
                or "HTTP_TRANSFER_ENCODING" in environ
                or environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
                != "application/json"):
            return None
        length = whole_number(environ.get("CONTENT_LENGTH", ""), max_digits=12)
        if not length or (self.max_length and length > self.max_length):
            return None
        return length

    def _answer(self, body):
        """The answer's bytes, or None for Flask to answer."""
        request = strict_json.loads(body)
        if not isinstance(request, dict):
            return None
        call = (request, PLAIN) if request.get("jsonrpc") is None else well_formed_call(request)
        if call is None:
            return None
        params, call_id = call
        channels, last, since, timeout = poll_arguments(params, self.settings)
        messages = answer_poll(self.engine, self.settings, channels, last, since, timeout)
        return json_bytes(messages if call_id is PLAIN else result_envelope(call_id, messages))
