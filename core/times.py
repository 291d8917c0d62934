"""UTC moments, one way. Comptoir stores UTC; SQLite keeps no offset (a DateTime comes back
naive), PostgreSQL gives it back aware. `as_utc` makes either an aware UTC datetime,
`utc_iso` is the one text form of a moment (ISO 8601, `+00:00`), and `UtcDateTime` is the
column type whose values come back aware on both databases."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def as_utc(moment):
    """`moment` as an aware UTC datetime (a naive one is taken as UTC); None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def utc_iso(moment):
    """The text of a moment: ISO 8601 in UTC with its offset (`2026-12-07T09:40:00+00:00`);
    None stays None."""
    return None if moment is None else as_utc(moment).isoformat()


def parse_utc(text):
    """A moment from ISO 8601 text that carries its offset (a trailing Z too), in UTC;
    ValueError for anything else, a moment without an offset included."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return as_utc(moment)


class UtcDateTime(TypeDecorator):
    """DateTime(timezone=True) whose values come back aware, in UTC, on SQLite too."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value if value is None or value.tzinfo is not None else as_utc(value)

    def process_result_value(self, value, dialect):
        return as_utc(value)
