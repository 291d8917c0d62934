"""The till's HTTP client to the central instance: one kept-alive connection, a timeout per
request, JSON in and out. Errors come out as SyncError with a message a person can act on.

A 503 with Retry-After (the central instance busy storing a fleet's pushes, or its database
busy; nothing was stored) is sent again after that wait plus a random part of it, so that tills
turned away together do not all come back at the same moment; after BUSY_ANSWERS of them in a
row the request fails (the synchroniser waits, then tries again)."""
import http.client
import random
import time
from urllib.parse import urlsplit

import orjson

BUSY_ANSWERS = 5  # 503s with Retry-After in a row before a request fails
JITTER = 0.5  # a wait after a busy answer: Retry-After times 1 to 1 + JITTER


class SyncError(Exception):
    """`status`, `code` and `detail`: the server's answer when it refused (None otherwise);
    `retry_after`: the seconds its Retry-After asked for (None without one)."""
    status = code = detail = retry_after = None


def busy_wait(retry_after, uniform=random.uniform):
    """Seconds to wait before sending again after a busy answer: at least what it asked, and a
    random part more (spreads a fleet turned away at once)."""
    return retry_after * uniform(1.0, 1.0 + JITTER)


def retry_after_of(response):
    """The seconds of a 503's Retry-After (None: no such header, or an HTTP date)."""
    if response.status != 503:
        return None
    try:
        return max(0.0, float(response.getheader("Retry-After") or ""))
    except ValueError:
        return None


class CentralClient:
    def __init__(self, server_url, token, timeout_seconds):
        parts = urlsplit(server_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SyncError(f"the server address {server_url!r} is not an http(s) URL")
        self.server_url, self.token, self.timeout = server_url, token, timeout_seconds
        self._parts = parts
        self._connection = None
        self.round_trips = 0
        self.last_server_ms = None  # the server's own time for the last request (Server-Timing)
        self.last_bytes = 0
        self.busy_answers = 0  # 503s with Retry-After answered to this client, in all
        self.sleep = time.sleep

    def _connect(self):
        cls = (http.client.HTTPSConnection if self._parts.scheme == "https"
               else http.client.HTTPConnection)
        return cls(self._parts.hostname, self._parts.port, timeout=self.timeout)

    def post(self, path, body):
        payload = orjson.dumps(body)
        url = self._parts.path.rstrip("/") + path
        for busy in range(BUSY_ANSWERS + 1):
            response, data = self._exchange(url, payload)
            retry_after = retry_after_of(response)
            if retry_after is None or busy == BUSY_ANSWERS:
                break
            self.busy_answers += 1
            self.close()  # the server closes a connection idle that long (core.header_timeout_s)
            self.sleep(busy_wait(retry_after))
        self.round_trips += 1
        self.last_bytes = len(payload) + len(data)
        timing = response.getheader("Server-Timing") or ""
        self.last_server_ms = (float(timing.partition("dur=")[2]) if "dur=" in timing else None)
        return self._answer(response, data)

    def _exchange(self, url, payload):
        """(response, its body) of one POST on the kept-alive connection."""
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self._connection is None:
                self._connection = self._connect()
            try:
                self._connection.request("POST", url, payload, headers)
                response = self._connection.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    raise SyncError(f"{self.server_url} closed the connection ({exc})") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise SyncError(f"cannot reach {self.server_url}: {exc or type(exc).__name__}"
                                ) from None

    def _answer(self, response, data):
        """The JSON answer of a 200; a SyncError with the server's refusal otherwise."""
        try:
            answer = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise SyncError(f"{self.server_url} answered {response.status} with something "
                            "that is not JSON; is it a Comptoir server with pos_autonomous?"
                            ) from None
        if response.status != 200:
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            refused = SyncError(f"{self.server_url} refused ({response.status} "
                                f"{error.get('code', '')}): {error.get('message', data[:200])}")
            refused.status, refused.code = response.status, error.get("code")
            refused.detail = error.get("message")
            refused.retry_after = retry_after_of(response)
            raise refused
        return answer

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None
