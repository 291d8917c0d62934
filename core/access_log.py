"""One access-log line per request, in the combined log format (Apache's, nginx's default, and
gunicorn's default access-log format), so log tools read `core serve`'s output as they read
the proxy's:

    127.0.0.1 - - [25/Nov/2026:22:27:12 +0000] "GET /web/health HTTP/1.1" 200 71 "-" "curl/8.5"

The single-process server (gevent's WSGIServer) formats it with `CombinedLogHandler`; with
`--workers`, each worker's handler formats it the same way (core.gunicorn_worker) and
gunicorn's access log writes it (`GUNICORN_ARGUMENTS`; the format given there is gunicorn's
name for the same line). Both write to standard output.
"""
import time

from gevent.pywsgi import WSGIHandler

# gunicorn's names for the combined format's fields (its documented default format).
GUNICORN_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
GUNICORN_ARGUMENTS = ["--access-logfile", "-", "--access-logformat", GUNICORN_FORMAT]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def quoted(text):
    """A field inside double quotes: quotes and backslashes escaped, as Apache does."""
    return (text or "-").replace("\\", "\\\\").replace('"', '\\"')


def combined_line(client, request_line, status, length, referer, user_agent, when=None):
    moment = time.localtime(when)
    stamp = (f"{moment.tm_mday:02d}/{MONTHS[moment.tm_mon - 1]}/{moment.tm_year}:"
             f"{time.strftime('%H:%M:%S %z', moment)}")
    return (f'{client or "-"} - - [{stamp}] "{quoted(request_line)}" {status} {length or "-"} '
            f'"{quoted(referer)}" "{quoted(user_agent)}"')


class CombinedLogHandler(WSGIHandler):
    """gevent's request handler, logging in the combined format instead of gevent's own."""

    def format_request(self):
        environ = getattr(self, "environ", None) or {}
        client = (self.client_address[0] if isinstance(self.client_address, tuple)
                  else self.client_address)
        status = (self._orig_status or self.status or "000").split()[0]
        return combined_line(client, self.requestline, status, self.response_length,
                             environ.get("HTTP_REFERER"), environ.get("HTTP_USER_AGENT"))
