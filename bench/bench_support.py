"""What the bench scripts share: the `core` command, server processes they start and measure
through /proc, percentiles, and a WSGI call without a client."""
import io
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = Path(sys.executable).parent / "core"


def core(url, *arguments):
    """Run `core --db url ...`; its output."""
    return subprocess.run([CORE, "--db", url, *arguments], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def percentile(sorted_values, p):
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def wsgi_post(app, path, data, cookie=None):
    """POST `data` (JSON bytes) to a WSGI app with the environ a server builds, and nothing
    more (Flask's test client costs more CPU than some of the routes measured); (status code,
    answer bytes)."""
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "",
               "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8069",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_HOST": "127.0.0.1:8069", "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data),
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
               "wsgi.version": (1, 0), "wsgi.multithread": False,
               "wsgi.multiprocess": False, "wsgi.run_once": False}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    status = []
    chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
    answer = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return int(status[0].split()[0]), answer


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`command --port <free port>` in a process group of its own, logging to a file (gevent
    logs every request: keep it off screen; a pipe could fill up and block it). Ready once
    `ready(port)` no longer raises OSError."""

    def __init__(self, name, command, log_path, ready, limit=60):
        self.name, self.port, self.log_path = name, free_port(), log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*map(str, command), "--port", str(self.port)], cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + limit
        while True:
            try:
                ready(self.port)
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"the {name} server did not start; its log:\n"
                                     + Path(log_path).read_text()[-2000:])
                time.sleep(0.2)

    def rss_mb(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kilobytes = next(line.split()[1] for line in status.splitlines()
                         if line.startswith("VmRSS:"))
        return int(kilobytes) / 1024

    def cpu_ticks(self):
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def scheduler_seconds(self):
        """(seconds on a CPU, seconds runnable but waiting for one) of the main threads of its
        processes (the server, or gunicorn's master and workers), those that serve every
        request under gevent: on a shared machine, the second tells how much other processes
        slowed it down. Processes that ended meanwhile are not counted."""
        on_cpu = waiting = 0
        for pid in self.group_pids():
            try:
                fields = Path(f"/proc/{pid}/schedstat").read_text().split()[:2]
            except OSError:
                continue
            on_cpu, waiting = on_cpu + int(fields[0]), waiting + int(fields[1])
        return on_cpu / 1e9, waiting / 1e9

    def group_pids(self):
        """The processes of its process group (it started one of its own)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rpartition(")")[2].split()
                except OSError:
                    continue
                if int(stat[2]) == self.process.pid:  # field 5, pgrp
                    pids.append(int(entry.name))
        return pids

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
