"""The gunicorn worker `core serve --workers N` runs: gevent's own WSGI server in each process,
with the request handler `core serve` uses in one process.

gunicorn's default gevent worker parses requests and writes answers with its own Python code
(a reply's headers and body in two system calls, the access log built from every header); on
the bus, where each shared-order update is answered to every till by a poll answer of a few
hundred bytes, that was a quarter of the workers' samples. Here gevent's WSGIServer (gunicorn's
`gevent_pywsgi` worker) serves, a small answer leaves in one send (`core.one_send`), requests
the server refuses itself are answered in JSON (`core.http_errors`), and each request's line
is formatted as the one-process server formats it (`core.access_log`) and written to gunicorn's
access log (where `--access-logfile` sends it).
"""
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler, PyWSGIServer

from core.access_log import CombinedLogHandler
from core.http_errors import JsonErrorHandler
from core.lean_handler import LeanHandler
from core.one_send import OneSendHandler
from core.slow_clients import SlowClientGuard


class RequestHandler(SlowClientGuard, JsonErrorHandler, CombinedLogHandler, OneSendHandler,
                     LeanHandler, PyWSGIHandler):
    """Heads in time (core.slow_clients, configured by core.server.wsgi_app), JSON errors for
    refused requests, small answers in one send, combined log lines."""

    def log_request(self):
        # gunicorn's own formatting (its --access-logformat) builds a dictionary of every
        # request and response header and environ entry for each line: 3 % of the workers'
        # samples under bench/multi_session.py, for the same combined line.
        self.server.log.access_log.info(self.format_request())

    def get_environ(self):
        environ = super().get_environ()
        # Where gunicorn's other workers put the connection, and where a WebSocket library
        # (simple-websocket: GET /longpolling/websocket) looks for it; gunicorn's handler names
        # it `gunicorn.sock`, and SERVER_SOFTWARE says gunicorn, not gevent.
        environ["gunicorn.socket"] = self.socket
        return environ


class Server(PyWSGIServer):
    # One connection per accept: the workers share the listening socket, and a worker taking
    # up to 100 waiting connections at once (gevent's default) would leave the others idle
    # after a burst of tills connecting (gunicorn's own gevent worker does the same).
    max_accept = 1


class GeventWorker(GeventPyWSGIWorker):
    server_class = Server
    wsgi_handler = RequestHandler
