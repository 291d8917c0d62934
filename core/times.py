"""UTC moments, one way. Comptoir stores UTC; SQLite keeps no offset (a DateTime comes back
naive), PostgreSQL gives it back aware. `as_utc` makes either an aware UTC datetime,
`utc_iso` is the one formatter of a moment (ISO 8601 in UTC, `+00:00` or `Z`), and `UtcDateTime` is the
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


def utc_iso(moment, zulu=False, exact=False):
    """The text of a moment, the one formatter: ISO 8601 in UTC with its offset
    (`2026-12-07T09:40:00+00:00`, microseconds when it has any); None stays None.
    `zulu`: `Z` for the offset (`2026-12-07T09:40:00Z`), as tills send times.
    `exact`: always six digits of microseconds (`2026-12-07T09:40:00.000000Z`), the form
    signed records are computed over (its length never varies with the moment)."""
    if moment is None:
        return None
    moment = as_utc(moment)
    # strftime, not isoformat(timespec=...): the signed form's bytes stay what they always were
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") if exact else moment.isoformat()
    return text[:-6] + "Z" if zulu else text


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
