"""Checking a request's JSON fields, one way for every addon: each check returns the value or
raises a 400 ApiError whose message names the field and what it must be
(`entries[3].number must be a whole number from 1 to 9223372036854775807`), with the code the
caller chose, or each field its own (`invalid_run_id`).

    fields = Fields("invalid_push")
    serial = fields.whole(body.get("serial"), "serial", minimum=1)

A field the request left out is passed as MISSING (`body.get("serial", MISSING)`): it is taken
as null where null is allowed, and refused as missing (`serial is missing: it must be ...`)
where it is not.

The messages are said in the request's language (core.i18n: the till's JSON follows its
config's locale through Accept-Language); a code never changes. `Fields(translated=False)`
speaks English whatever the caller asks: for wire protocols whose other messages are English
(the original Odoo tills' sync server and bus, the autonomous tills' pushes), so that one
answer never mixes two languages.
"""
import json
import re

from core.i18n import N_, gettext
from core.times import parse_utc
from core.web.errors import ApiError

MAX_ID = 2**63 - 1  # the largest BIGINT
MISSING = object()  # a field the request left out
SHOWN_LENGTH = 60  # characters of a refused value a message shows
MAX_DIGITS = 20  # a whole number written in a query string: longer is refused unread


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


def english(message, **variables):
    """`message` with its `%(name)s` filled in, untranslated (`Fields(translated=False)`)."""
    return message % variables if variables else message


# What a string must be, by the lengths the check sets: (shortest given, limit given).
STRING_LENGTHS = {
    (False, False): N_("a string"),
    (True, True): N_("a string of %(shortest)s to %(limit)s characters"),
    (False, True): N_("a string of at most %(limit)s characters"),
    (True, False): N_("a string of at least %(shortest)s characters"),
}


class Fields:
    """The checks, refusing with `code` (None: each field's own, `field_code`); `show_value`:
    the message ends with what was sent; `translated`: said in the request's language (False:
    English always)."""

    def __init__(self, code=None, show_value=False, translated=True):
        self.code, self.show_value = code, show_value
        self.say = gettext if translated else english

    def refuse(self, field, expected, value=None):
        """A 400 saying `field` must be `expected` (a phrase in the language of `say`)."""
        code = self.code or field_code(field)
        if value is MISSING:
            raise ApiError(400, code, self.say(N_("%(field)s is missing: it must be "
                                                  "%(expected)s"),
                                               field=field, expected=expected))
        if self.show_value:
            raise ApiError(400, code, self.say(N_("%(field)s must be %(expected)s, not "
                                                  "%(value)s"),
                                               field=field, expected=expected,
                                               value=shown(value)))
        raise ApiError(400, code, self.say(N_("%(field)s must be %(expected)s"), field=field,
                                           expected=expected))

    def or_null(self, expected, allow_none):
        """`expected`, or null where null is allowed."""
        return self.say(N_("%(expected)s or null"), expected=expected) if allow_none \
            else expected

    def whole_numbers(self, minimum, maximum, allow_none=False):
        return self.or_null(self.say(N_("a whole number from %(minimum)s to %(maximum)s"),
                                     minimum=minimum, maximum=maximum), allow_none)

    def whole(self, value, field, minimum=0, maximum=MAX_ID, allow_none=False):
        """A JSON integer from `minimum` to `maximum` (never a boolean)."""
        if allow_none and absent(value):
            return None
        if isinstance(value, bool) or not isinstance(value, int) \
                or not minimum <= value <= maximum:
            self.refuse(field, self.whole_numbers(minimum, maximum, allow_none), value)
        return value

    def written_whole(self, value, field, minimum=1, maximum=MAX_ID, default=None):
        """A whole number from `minimum` to `maximum` written in plain ASCII digits (a query
        string's value), as an int; `default` when it is left out or empty."""
        if value is None or value == "":
            return default
        if len(value) > MAX_DIGITS or not value.isascii() or not value.isdigit() \
                or not minimum <= int(value) <= maximum:
            self.refuse(field, self.whole_numbers(minimum, maximum), value)
        return int(value)

    def text(self, value, field, pattern=None, limit=None, allow_none=False, shortest=0):
        """A string of `shortest` to `limit` characters, matching `pattern` (a compiled
        regex)."""
        if allow_none and absent(value):
            return None
        if not isinstance(value, str) or len(value) < shortest or (
                limit is not None and len(value) > limit) or (
                pattern is not None and not pattern.fullmatch(value)):
            self.refuse(field, self.strings(pattern, limit, allow_none, shortest), value)
        return value

    def strings(self, pattern, limit, allow_none, shortest):
        """What `text` takes, in words."""
        expected = self.say(STRING_LENGTHS[bool(shortest), limit is not None],
                            shortest=shortest, limit=limit)
        if pattern is not None:
            expected = self.say(N_("%(expected)s matching %(pattern)s"), expected=expected,
                                pattern=pattern.pattern)
        return self.or_null(expected, allow_none)

    def moment(self, value, field, allow_none=False):
        """ISO 8601 text with its UTC offset; returned as core.times.utc_iso writes it."""
        if allow_none and absent(value):
            return None
        text = self.text(value, field, limit=40)
        try:
            return parse_utc(text).isoformat()
        except ValueError:
            self.refuse(field, self.say(N_("an ISO 8601 date and time with its UTC offset, "
                                           "such as 2026-11-26T10:15:00+00:00")), value)

    def choice(self, value, field, allowed):
        if value not in allowed:
            self.refuse(field, self.say(N_("one of %(allowed)s"),
                                        allowed=", ".join(map(str, allowed))), value)
        return value

    def flag(self, value, field):
        if not isinstance(value, bool):
            self.refuse(field, self.say(N_("true or false")), value)
        return value

    def items(self, value, field, limit):
        """A JSON array of at most `limit` items."""
        if not isinstance(value, list) or len(value) > limit:
            self.refuse(field, self.say(N_("a list of at most %(limit)s items"), limit=limit))
        return value

    def mapping(self, value, field, allow_none=False):
        """A JSON object."""
        if allow_none and absent(value):
            return None
        if not isinstance(value, dict):
            self.refuse(field, self.or_null(self.say(N_("an object")), allow_none), value)
        return value


HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
