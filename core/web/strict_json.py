"""Standard JSON only, in and out, with limits set once for every route.

Python's json module reads `NaN`, `Infinity`, integers of any size, lone surrogates and nesting
until the interpreter's recursion limit; what it reads it may then fail to store (a surrogate or
a NUL byte in a text column, 10^400 in an integer column) or write back as bare `NaN`, which
browsers cannot parse. The app's JSON provider (`StrictJSONProvider`) refuses all of that where
the body is read, with a `JsonRefused` naming what was wrong, and never writes anything but
standard JSON.

Bodies are read by orjson (tills post hundreds a second; the standard library's decoder with
these checks costs several times more), and by the standard library with the checks below when
orjson refuses the body (to say why) or when it holds a run of digits orjson would read
differently from these rules (an integer beyond 64 bits, a number longer than the limit).
"""
import itertools
import json
import math
import re

import orjson
from flask.json.provider import DefaultJSONProvider

from core.i18n import _

MAX_DEPTH = 32  # arrays and objects inside one another; an Odoo order needs under 10
MAX_STRING_CHARS = 65_536
MAX_NUMBER_CHARS = 40
INT_RANGE = (-(2**63), 2**63 - 1)  # what a database integer column holds
# Escapes that may decode to a lone surrogate or a NUL byte; without one, no string needs a look.
SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
SUSPECT_ESCAPE_BYTES = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# What orjson reads otherwise than `_integer`/`_float` would: 19 digits may overflow a signed
# 64-bit integer (orjson reads up to 2^64 - 1, beyond as a float); a number of more than
# MAX_NUMBER_CHARS characters is a run of 41 number characters.
NUMBER_TO_CHECK = re.compile(rb"\d{19}|[-+.eE0-9]{%d}" % (MAX_NUMBER_CHARS + 1))
# Neither can match without a run of 19 number characters, which one translate() and one
# find() rule out for most bodies: the regular expression alone cost an update's body (3 KB)
# about 90 µs, several times orjson's parse of it.
NUMBER_CHARS_AS_ZERO = bytes(ord("0") if byte in b"-+.eE0123456789" else ord(" ")
                             for byte in range(256))
NUMBER_RUN_TO_CHECK = b"0" * 19
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
NOT_A_BRACKET = bytes(set(range(256)) - set(b"[]{}"))
DEPTH_STEP = [1 if byte in b"[{" else -1 for byte in range(256)]  # by bracket byte


class JsonRefused(ValueError):
    """The body is not JSON this server accepts; `code` and `message` say why."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def _refuse_constant(name):
    raise JsonRefused("non_finite_number", _("%(name)s is not JSON: send numbers as finite "
                                             "decimals (or null)", name=name))


def _integer(literal):
    if len(literal) > MAX_NUMBER_CHARS:
        raise JsonRefused("number_too_long", _("a number has more than %(count)s characters",
                                               count=MAX_NUMBER_CHARS))
    value = int(literal)
    if not INT_RANGE[0] <= value <= INT_RANGE[1]:
        raise JsonRefused("number_out_of_range", _("the integer %(number)s does not fit in 64 bits",
                                                   number=literal))
    return value


def _float(literal):
    if len(literal) > MAX_NUMBER_CHARS:
        raise JsonRefused("number_too_long", _("a number has more than %(count)s characters",
                                               count=MAX_NUMBER_CHARS))
    value = float(literal)
    if not math.isfinite(value):
        raise JsonRefused("number_out_of_range", _("the number %(number)s is too large",
                                                   number=literal))
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_int=_integer,
                            parse_float=_float)


def loads(text):
    """JSON text (str or UTF-8 bytes) -> value, or JsonRefused."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if not _may_hold_number_to_check(data) or NUMBER_TO_CHECK.search(data) is None:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the standard library's reading below says what is wrong
        else:
            # orjson refuses lone surrogates and raw control characters; a NUL or a string
            # over the limit needs an escape or a long body: most bodies need only the depth.
            if len(data) > MAX_STRING_CHARS or SUSPECT_ESCAPE_BYTES.search(data) is not None:
                _check_values(value)
            elif (data.count(b"[") + data.count(b"{") > MAX_DEPTH
                  and _nesting(data) > MAX_DEPTH):
                raise JsonRefused("too_deep", _(
                    "the JSON is nested deeper than %(count)s arrays or objects",
                    count=MAX_DEPTH))
            return value
    return _loads_checked(text)


def _may_hold_number_to_check(data):
    return NUMBER_RUN_TO_CHECK in data.translate(NUMBER_CHARS_AS_ZERO)


def _nesting(data):
    """How deep the arrays and objects of valid JSON `data` go (brackets in strings aside)."""
    if b"\\" in data:  # an escaped quote may be inside a string: the strings are matched
        outside_strings = JSON_STRING.sub(b"", data)
    else:  # without escapes every quote opens or closes a string (a push: 8 times faster)
        outside_strings = b"".join(data.split(b'"')[::2])
    steps = map(DEPTH_STEP.__getitem__, outside_strings.translate(None, NOT_A_BRACKET))
    return max(itertools.accumulate(steps), default=0)


def _loads_checked(text):
    """loads() by the standard library, each number checked as it is read."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused("malformed_json", _("the body is not UTF-8 text")) from None
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise JsonRefused("too_deep", _(
            "the JSON is nested deeper than %(count)s arrays or objects",
            count=MAX_DEPTH)) from None
    except JsonRefused:
        raise
    except ValueError as exc:
        raise JsonRefused("malformed_json", _("the body is not valid JSON: %(error)s",
                                              error=exc)) from None
    # Cheap tests first: most bodies cannot break a limit, so their values are not walked.
    brackets = text.count("[") + text.count("{")
    if (brackets > MAX_DEPTH or len(text) > MAX_STRING_CHARS
            or SUSPECT_ESCAPE.search(text) is not None):
        _check_values(value)
    return value


# Refusals of a value's content (as opposed to its syntax): each item of a batch answers for
# its own (`loads_items`).
CONTENT_CODES = frozenset({"non_finite_number", "number_out_of_range", "number_too_long",
                           "too_deep", "string_too_long", "nul_character", "lone_surrogate"})


def _kept_refusal(parse):
    def parse_or_refusal(literal):
        try:
            return parse(literal)
        except JsonRefused as refused:
            return refused  # in place of the value; check_value raises it
    return parse_or_refusal


def _refusal_for_constant(name):
    try:
        _refuse_constant(name)
    except JsonRefused as refused:
        return refused


_LENIENT_DECODER = json.JSONDecoder(parse_constant=_refusal_for_constant,
                                    parse_int=_kept_refusal(_integer),
                                    parse_float=_kept_refusal(_float))


def loads_items(data, field=None):
    """A batch body: a JSON array of items, or (with `field`) an object whose `field` holds that
    array. Returns (body, items, refusals): `refusals` {index: JsonRefused} says what of an
    item's content the strict reader refuses (a lone surrogate, a NUL, 1e400...), so that one
    item's content never refuses the others; such an item is in `items` as read leniently
    (refused numbers in place as JsonRefused, strings as sent): use it only to name the item.
    Syntax errors, and content refused outside the items, refuse the whole body (JsonRefused).
    """
    try:
        body = loads(data)
    except JsonRefused as refused:
        if refused.code not in CONTENT_CODES:
            raise
        body = _loads_lenient(data, refused)
        items = _items_of(body, field)
        if not isinstance(items, list):
            raise refused from None
        if isinstance(body, dict):
            check_value({key: value for key, value in body.items() if key != field})
        refusals = {}
        for index, item in enumerate(items):
            try:
                check_value(item)
            except JsonRefused as item_refused:
                refusals[index] = item_refused
        return body, items, refusals
    return body, _items_of(body, field), {}


def _items_of(body, field):
    return body.get(field) if field is not None and isinstance(body, dict) else body


def clean_text(value):
    """`value` if it is a string the strict reader accepts, else None."""
    if not isinstance(value, str):
        return None
    try:
        _check_string(value)
    except JsonRefused:
        return None
    return value


def _loads_lenient(data, refused):
    """The value of JSON whose content the strict reader refused, refused scalars in place as
    JsonRefused (strings are checked afterwards, by check_value)."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise refused from None
    try:
        return _LENIENT_DECODER.decode(data)
    except (ValueError, RecursionError):
        raise refused from None


def check_value(value):
    """JsonRefused if `value` (read by `loads_items`) holds what the strict reader refuses."""
    _check_values(value)


def _check_values(value):
    """Walk the value (without recursion) for nesting, long strings, surrogates and NULs."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, JsonRefused):
            raise item
        if isinstance(item, str):
            _check_string(item)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise JsonRefused("too_deep", _(
                "the JSON is nested deeper than %(count)s arrays or objects",
                count=MAX_DEPTH))
        if isinstance(item, dict):
            for key, child in item.items():
                _check_string(key)
                pending.append((child, depth + 1))
        else:
            pending.extend((child, depth + 1) for child in item)


def _check_string(text):
    if len(text) > MAX_STRING_CHARS:
        raise JsonRefused("string_too_long", _("a string is longer than %(count)s characters",
                                               count=MAX_STRING_CHARS))
    if "\x00" in text:
        raise JsonRefused("nul_character", _("strings may not contain the NUL character "
                                            "\\u0000"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused("lone_surrogate", _("a string holds a lone UTF-16 surrogate "
                                              "(\\ud800-\\udfff not in a pair)")) from None


def dumps(value, **kwargs):
    """Standard JSON: a NaN or infinity to write is a bug (ValueError), never a bare token."""
    return json.dumps(value, allow_nan=False, **kwargs)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON for `request.get_json()` and `jsonify`: read with `loads`, write standard
    JSON only."""

    def loads(self, s, **kwargs):
        return loads(s)

    def dumps(self, obj, **kwargs):
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)
