"""A real HTTP proxy on loopback between a till and its central server that injects the faults a
network makes, at random, into pushes (`POST /pos_autonomous/push`); other requests pass.

* `drop`: the batch reaches the server, which commits; the reply is lost (the connection is
  closed before an answer): the till sends the same batch again;
* `twice`: the batch reaches the server twice in a row;
* `reorder`: the second half of the batch reaches the server before the whole batch (the
  server sees a gap, then the batch);
* `stale`: after this batch, an older batch is replayed (it arrives late, out of order).
"""
import http.client
import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("drop", "twice", "reorder", "stale")


class FaultyProxy:
    def __init__(self, target_url, rate=0.3, seed=0):
        self.target = urlsplit(target_url)
        self.rate, self.random = rate, random.Random(seed)
        self.faults = Counter()
        self.pushes = 0
        self._old_batches = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {"Content-Type": "application/json",
                           "Authorization": self.headers.get("Authorization", "")}
                if self.path.endswith("/pos_autonomous/push"):
                    answer = proxy._push(body, headers)
                else:
                    answer = proxy.forward(self.path, body, headers)
                if answer is None:  # the reply is dropped: close without answering
                    self.close_connection = True
                    return
                status, data = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a till killed while it waited for its answer: nothing to report

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def forward(self, path, body, headers):
        """(status, body) of the central server's answer; (502, error) when it is down."""
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port,
                                                timeout=60)
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            return response.status, response.read()
        except OSError as exc:
            return 502, json.dumps({"error": {"code": "bad_gateway",
                                              "message": f"central down: {exc}"}}).encode()
        finally:
            connection.close()

    def _push(self, body, headers):
        path = "/pos_autonomous/push"
        with self._lock:
            self.pushes += 1
            fault = self.random.choice(FAULTS) if self.random.random() < self.rate else None
            stale = self.random.choice(self._old_batches) if self._old_batches else None
            self._old_batches = (self._old_batches + [body])[-5:]
        if fault == "reorder":
            batch = json.loads(body)
            half = len(batch["entries"]) // 2
            if half:
                tail = batch["entries"][half:]
                self.forward(path, json.dumps({**batch, "entries": tail,
                                               "first": tail[0]["number"]}).encode(), headers)
        answer = self.forward(path, body, headers)
        if fault == "twice":
            answer = self.forward(path, body, headers)
        if fault == "stale" and stale is not None:
            self.forward(path, stale, headers)
        if fault:
            self.faults[fault] += 1
        return None if fault == "drop" else answer

    def close(self):
        self.server.shutdown()
        self.server.server_close()
