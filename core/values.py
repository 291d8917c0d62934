"""Typed values stored as text: shared by system parameters and config fields.

Booleans are stored as "1"/"0" (as Odoo's system parameters are read), integers as digits.
"""
from urllib.parse import urlparse

TYPES = ("bool", "int", "str", "url", "secret")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def parse(value_type, text):
    """Turn stored or typed-in text into a Python value; ValueError says what is wrong."""
    if value_type not in TYPES:
        raise ValueError(f"unknown type {value_type!r} (known: {', '.join(TYPES)})")
    text = "" if text is None else str(text).strip()
    reader = READERS.get(value_type)
    return reader(text) if reader else text


def _boolean(text):
    if text.lower() in TRUE_WORDS:
        return True
    if text.lower() in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a boolean; use 1 or 0")


def _whole(text):
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _url(text):
    """An http(s) URL without its trailing slash; empty text stays empty (no address set)."""
    if not text:
        return text
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{text!r} is not an http(s) URL such as http://192.168.1.10:8069")
    return text.rstrip("/")


READERS = {"bool": _boolean, "int": _whole, "url": _url}  # str and secret: the text itself


def to_text(value_type, value):
    """The canonical stored text of a value (which `parse` reads back to the same value)."""
    if value_type == "bool":
        truth = value if isinstance(value, bool) else parse("bool", value)
        return "1" if truth else "0"
    return str(parse(value_type, value))


def whole_number(text, max_digits=9):
    """The number `text` spells in ASCII digits (at most `max_digits`, so that it fits a database
    integer), else None. str.isdigit() alone also says yes to "³", which int() refuses, and to
    other scripts' digits: input from outside goes through here."""
    if isinstance(text, str) and 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
