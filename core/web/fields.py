"""Checking a request's JSON fields, one way for every addon: each check returns the value or
raises a 400 ApiError whose code the caller chose and whose message names the field and what
it must be (`entries[3].number must be a whole number from 1 to 9223372036854775807`).

    fields = Fields("invalid_push")
    serial = fields.whole(body.get("serial"), "serial", minimum=1)
"""
import re

from core.times import parse_utc
from core.web.errors import ApiError

MAX_ID = 2**63 - 1  # the largest BIGINT


class Fields:
    """The checks, refusing with `code`; `show_value`: the message ends with what was sent."""

    def __init__(self, code, show_value=False):
        self.code, self.show_value = code, show_value

    def refuse(self, field, expected, value=None):
        shown = f", not {value!r}"[:200] if self.show_value else ""
        raise ApiError(400, self.code, f"{field} must be {expected}{shown}")

    def whole(self, value, field, minimum=0, maximum=MAX_ID, allow_none=False):
        """A JSON integer from `minimum` to `maximum` (never a boolean)."""
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, int) \
                or not minimum <= value <= maximum:
            self.refuse(field, f"a whole number from {minimum} to {maximum}"
                        + (" or null" if allow_none else ""), value)
        return value

    def text(self, value, field, pattern=None, limit=None, allow_none=False):
        """A string, of at most `limit` characters, matching `pattern` (a compiled regex)."""
        if value is None and allow_none:
            return None
        if not isinstance(value, str) or (limit is not None and len(value) > limit) or (
                pattern is not None and not pattern.fullmatch(value)):
            self.refuse(field, "a string" + (f" of at most {limit} characters" if limit else "")
                        + (f" matching {pattern.pattern}" if pattern is not None else ""), value)
        return value

    def moment(self, value, field, allow_none=False):
        """ISO 8601 text with its UTC offset; returned as core.times.utc_iso writes it."""
        if value is None and allow_none:
            return None
        text = self.text(value, field, limit=40)
        try:
            return parse_utc(text).isoformat()
        except ValueError:
            self.refuse(field, "an ISO 8601 date and time with its UTC offset, such as "
                               "2026-11-26T10:15:00+00:00", value)

    def choice(self, value, field, allowed):
        if value not in allowed:
            self.refuse(field, f"one of {', '.join(map(str, allowed))}", value)
        return value

    def flag(self, value, field):
        if not isinstance(value, bool):
            self.refuse(field, "true or false", value)
        return value

    def items(self, value, field, limit):
        """A JSON array of at most `limit` items."""
        if not isinstance(value, list) or len(value) > limit:
            self.refuse(field, f"a list of at most {limit} items")
        return value

    def mapping(self, value, field):
        """A JSON object."""
        if not isinstance(value, dict):
            self.refuse(field, "an object")
        return value


HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
