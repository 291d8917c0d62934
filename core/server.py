"""`python -m core.server`: serve the app under gevent, for thousands of idle long polls.

gevent must patch the standard library before anything else imports it, which is why
`core serve` starts this module in a fresh interpreter instead of serving from the CLI process.
With several workers, gunicorn's gevent worker does the patching and calls `wsgi_app()`.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from core.access_log import CombinedLogHandler  # noqa: E402
from core.http_errors import JsonErrorHandler  # noqa: E402
from core.instance import Instance  # noqa: E402
from core.lean_handler import LeanHandler  # noqa: E402
from core.one_send import OneSendHandler  # noqa: E402
from core.slow_clients import SlowClientGuard, configure  # noqa: E402
from core.web import create_app  # noqa: E402
from core.web.reloader import ReloadingApp  # noqa: E402
from core.web.start import served_addresses  # noqa: E402

LISTEN_BACKLOG = 2048


class RequestHandler(SlowClientGuard, JsonErrorHandler, CombinedLogHandler, OneSendHandler,
                     LeanHandler):
    """A request's head must arrive in time (core.slow_clients), requests the server refuses
    itself (oversized headers...) are answered in JSON too, every request is logged in the
    combined format, and a small answer goes out in one send."""


def wsgi_app():
    """The WSGI application for the database named by `CORE_DB`."""
    instance = Instance()
    if not instance.is_initialised():
        instance.init()
    with instance.engine.connect() as connection:  # the slow-client limits of the handler
        configure(instance.parameters(connection, instance.plugin_manager()))
    return ReloadingApp(instance, lambda inst: create_app(instance=inst))


def main():
    parser = argparse.ArgumentParser(description="Serve Comptoir under gevent")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8069)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = wsgi_app()
    # A deep accept queue: after a restart every till reconnects at once.
    server = WSGIServer((args.host, args.port), app, backlog=LISTEN_BACKLOG,
                        handler_class=RequestHandler, log=sys.stdout)
    try:
        server.init_socket()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else exc
        raise SystemExit(f"Error: cannot listen on {args.host}:{args.port}: {reason}; pick another "
                         f"port with --port (make demo PORT={args.port + 1})")
    # gevent writes a reply's headers and body separately; with Nagle's algorithm the body
    # would wait for the client's delayed ACK (~40 ms) on keep-alive connections. Accepted
    # sockets inherit the option (gunicorn sets it the same way).
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # What is loaded by now (modules, the app) lives as long as the process: keep it out of the
    # garbage collector's full passes, which would otherwise walk it while tills wait.
    gc.freeze()
    print(served_addresses(app.instance, f"http://{args.host}:{args.port}"), flush=True)
    # SIGTERM (systemd, `kill`) stops serving at once, as it did, and lets the stop be audited.
    gevent.signal_handler(signal.SIGTERM, lambda: server.stop(timeout=0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    audit_stop(app.instance)


def audit_stop(instance):
    """The addons' `audit_event` hooks hear that this server process stops (point_of_sale's
    journal of events keeps it); a failure is logged, the process stops anyway."""
    try:
        with instance.engine.begin() as connection:
            instance.plugin_manager().hook.audit_event(
                connection=connection, kind="stop", details={"pid": os.getpid()})
    except Exception:  # noqa: BLE001 - stopping must not fail
        logging.getLogger(__name__).exception("recording the stop failed")


if __name__ == "__main__":
    main()
