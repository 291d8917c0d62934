"""The gunicorn worker `core serve --workers N` runs: gevent's own WSGI server in each process,
with the request handler `core serve` uses in one process.

gunicorn's default gevent worker parses requests and writes answers with its own Python code
(a reply's headers and body in two system calls, the access log built from every header); on
the bus, where each shared-order update is answered to every till by a poll answer of a few
hundred bytes, that was a quarter of the workers' samples. Here gevent's WSGIServer (gunicorn's
`gevent_pywsgi` worker) serves, a small answer leaves in one send (`core.one_send`), requests
the server refuses itself are answered in JSON (`core.http_errors`), and each request is logged
through gunicorn's access log (the combined format, `core.access_log.GUNICORN_ARGUMENTS`).
"""
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler, PyWSGIServer

from core.http_errors import JsonErrorHandler
from core.one_send import OneSendHandler


class RequestHandler(JsonErrorHandler, OneSendHandler, PyWSGIHandler):
    """JSON errors for refused requests, small answers in one send, gunicorn's access log."""

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
