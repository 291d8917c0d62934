"""JSON on the bus's hot path, encoded once: orjson where it can, the standard library where
orjson cannot (integers beyond 64 bits), and messages that stay encoded from the sender's
INSERT to the poller's answer (`Encoded`, written into an answer as it is).

`NumberedCopies` encodes a message once for many tills whose copies differ only by a number
(pos_multi_session_sync's per-till `message_ID`) and splices each till's number in.
"""
import json
import uuid

import orjson
from flask import Response

OPTIONS = orjson.OPT_NON_STR_KEYS


class Encoded:
    """JSON text that json_response() writes into an answer as it is."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def decode(self):
        return json.loads(self.text)

    def __eq__(self, other):
        return isinstance(other, Encoded) and other.text == self.text

    def __repr__(self):
        return f"Encoded({self.text!r})"


def _fragment(value):
    if isinstance(value, Encoded):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value):
    """Compact JSON text (UTF-8 kept as is)."""
    try:
        return orjson.dumps(value, option=OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_bytes(value):
    """`value` as JSON (UTF-8 bytes); `Encoded` texts in it are written as they are."""
    try:
        return orjson.dumps(value, default=_fragment, option=OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, default=_decoded, separators=(",", ":"),
                          allow_nan=False).encode()


def json_response(value, status=200):
    """A Flask response of `value` as JSON (json_bytes)."""
    return Response(json_bytes(value), status=status, mimetype="application/json")


def _decoded(value):
    if isinstance(value, Encoded):
        return value.decode()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class NumberedCopies:
    """`message` encoded once, with `message[part][key]` filled in per copy:

        copies = NumberedCopies({"action": "x", "data": {...}}, "data", "message_ID")
        copies.text(17)  # '{"action":"x","data":{...,"message_ID":17}}'

    The number goes last in `message[part]`, where a `{**data, key: n}` would put it."""

    def __init__(self, message, part, key):
        marker = f"numbered-copy-{uuid.uuid4().hex}"  # cannot occur in the message itself
        inner = {name: value for name, value in message[part].items() if name != key}
        text = dumps({**message, part: {**inner, key: marker}})
        self._before, found, self._after = text.partition(f'"{marker}"')
        if not found:
            raise ValueError("the marker did not survive encoding")

    def text(self, number):
        return f"{self._before}{int(number)}{self._after}"
