"""Checking a request's JSON fields, one way for every addon: each check returns the value or
raises a 400 ApiError whose message names the field and what it must be
(`entries[3].number must be a whole number from 1 to 9223372036854775807`), with the code the
caller chose, or each field its own (`invalid_run_id`).

    fields = Fields("invalid_push")
    serial = fields.whole(body.get("serial"), "serial", minimum=1)

A field the request left out is passed as MISSING (`body.get("serial", MISSING)`): it is taken
as null where null is allowed, and refused as missing (`serial is missing: it must be ...`)
where it is not.
"""
import json
import re

from core.times import parse_utc
from core.web.errors import ApiError

MAX_ID = 2**63 - 1  # the largest BIGINT
MISSING = object()  # a field the request left out
SHOWN_LENGTH = 60  # characters of a refused value a message shows


def absent(value):
    """Whether a field is null or left out."""
    return value is None or value is MISSING


def field_code(field):
    """A field's own error code: `invalid_` and its last name, without indices, in lower case
    (`message.data.lines[3]` -> `invalid_lines`, `run_ID` -> `invalid_run_id`)."""
    return "invalid_" + field.rsplit(".", 1)[-1].strip("[]0123456789").lower()


def shown(value):
    """A value as the JSON the caller sent, cut short."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=repr)
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH - 3] + "..."


def _or_null(allow_none):
    return " or null" if allow_none else ""


class Fields:
    """The checks, refusing with `code` (None: each field's own, `field_code`); `show_value`:
    the message ends with what was sent."""

    def __init__(self, code=None, show_value=False):
        self.code, self.show_value = code, show_value

    def refuse(self, field, expected, value=None):
        code = self.code or field_code(field)
        if value is MISSING:
            raise ApiError(400, code, f"{field} is missing: it must be {expected}")
        ending = f", not {shown(value)}" if self.show_value else ""
        raise ApiError(400, code, f"{field} must be {expected}{ending}")

    def whole(self, value, field, minimum=0, maximum=MAX_ID, allow_none=False):
        """A JSON integer from `minimum` to `maximum` (never a boolean)."""
        if allow_none and absent(value):
            return None
        if isinstance(value, bool) or not isinstance(value, int) \
                or not minimum <= value <= maximum:
            self.refuse(field, f"a whole number from {minimum} to {maximum}"
                        + _or_null(allow_none), value)
        return value

    def text(self, value, field, pattern=None, limit=None, allow_none=False, shortest=0):
        """A string of `shortest` to `limit` characters, matching `pattern` (a compiled
        regex)."""
        if allow_none and absent(value):
            return None
        if not isinstance(value, str) or len(value) < shortest or (
                limit is not None and len(value) > limit) or (
                pattern is not None and not pattern.fullmatch(value)):
            self.refuse(field, "a string" + _length(shortest, limit)
                        + (f" matching {pattern.pattern}" if pattern is not None else "")
                        + _or_null(allow_none), value)
        return value

    def moment(self, value, field, allow_none=False):
        """ISO 8601 text with its UTC offset; returned as core.times.utc_iso writes it."""
        if allow_none and absent(value):
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

    def mapping(self, value, field, allow_none=False):
        """A JSON object."""
        if allow_none and absent(value):
            return None
        if not isinstance(value, dict):
            self.refuse(field, "an object" + _or_null(allow_none), value)
        return value


def _length(shortest, limit):
    if shortest and limit is not None:
        return f" of {shortest} to {limit} characters"
    if limit is not None:
        return f" of at most {limit} characters"
    return f" of at least {shortest} characters" if shortest else ""


HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
