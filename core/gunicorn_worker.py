"""The gunicorn worker `core serve --workers N` runs: gevent's own WSGI server in each process,
as `core serve` runs it in one.

gunicorn's default gevent worker parses requests and writes answers itself, and writes a
reply's headers and its body in two system calls; on the bus, where each update is answered to
every till by a poll answer of a few hundred bytes, that second send was an eighth of the
workers' CPU. gevent's WSGIServer (gunicorn's `gevent_pywsgi` worker) sends them in one. The
handler answers requests the server refuses itself in JSON (`core.http_errors`) and logs
through gunicorn's access log (the combined format, `core.access_log.GUNICORN_ARGUMENTS`).
"""
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler, PyWSGIServer

from core.http_errors import JsonErrorHandler


class RequestHandler(JsonErrorHandler, PyWSGIHandler):
    """JSON errors for refused requests, gunicorn's access log for the others."""

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
