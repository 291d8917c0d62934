"""The journal of technical events (JET, the French *journal des événements techniques*): what
happened on this instance that an inspector may ask about, each event chained to the one before
it so that an event edited, deleted or reordered in the database is found.

    link(n) = sha256(link(n-1) ‖ canonical(event n)),   link(0) = "0" * 64
    canonical(event) = JSON, sorted keys, no spaces, ASCII, of
                       {"number", "at", "kind", "config_id", "details"}

Unlike the ticket ledger, an event's row holds all it says (its `details` are stored as their
canonical JSON text), so the journal can be checked from its rows alone, and from an archive's
copy of them with standard tools.

One chain per instance (`LOCAL`); the chains of autonomous tills received by a central instance
are kept beside it, each under its own name, with the till's numbers and links.

`record_event` is called in the transaction that did what it records (a session opened, a
closing sealed, ...): the event commits or rolls back with it. It locks the chain's head row
until that transaction ends (numbers never repeat nor skip), so call it last in a transaction
that also seals tickets (the ticket ledger's lock first, then the journal's, always in that
order).
"""
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update

from core.db import insert_or_ignore
from core.models import utc_now
from core.times import utc_iso

from .models import JournalEvent, JournalHead

ZERO_LINK = "0" * 64
LOCAL = "local"  # the chain of this instance's own events
PAGE = 500
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_DETAILS = 8000  # characters of an event's canonical details

HEAD = JournalHead.__table__
EVENT = JournalEvent.__table__

# The kinds Comptoir records (other addons may add theirs: lowercase letters, digits and _).
START, STOP = "start", "stop"
SIGN_IN, SIGN_OUT = "sign_in", "sign_out"
SESSION_OPEN, SESSION_CLOSE = "session_open", "session_close"
VERSION_CHANGE, PARAMETER_CHANGE = "version_change", "parameter_change"
VERIFY_FAILED = "verify_failed"
KINDS = (START, STOP, SIGN_IN, SIGN_OUT, SESSION_OPEN, SESSION_CLOSE, VERSION_CHANGE,
         PARAMETER_CHANGE, VERIFY_FAILED)


@dataclass(frozen=True)
class JournalEntry:
    number: int
    link: str


@dataclass(frozen=True)
class JournalCheck:
    ok: bool
    checked: int
    first_broken: int | None
    reason: str


def canonical_details(details):
    """The canonical JSON text of an event's details (Decimal and times written as text)."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      default=_text)


def _text(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return utc_text(value)
    raise TypeError(f"an event's details hold JSON values, Decimals and times, not {value!r}")


def utc_text(moment):
    """A time as the journal and the ticket ledger sign it: UTC, six digits of microseconds,
    `Z` (`2026-12-07T09:40:00.000000Z`)."""
    return utc_iso(moment, zulu=True, exact=True)


def canonical_event(number, at, kind, config_id, details_text):
    """The bytes an event's link is computed over (`at` a datetime or its UTC text)."""
    at_text = at if isinstance(at, str) else utc_text(at)
    return json.dumps({"number": number, "at": at_text, "kind": kind, "config_id": config_id,
                       "details": json.loads(details_text)},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def event_link(previous_link, canonical):
    return hashlib.sha256(bytes.fromhex(previous_link) + canonical).hexdigest()


def record_event(connection, kind, config_id=None, **details):
    """Add one event to this instance's journal, in `connection`'s transaction; return its
    JournalEntry (number, link). `kind` is lowercase letters, digits and `_` (see the module's
    constants); `config_id` the POS config it concerns (None: the whole instance); `details`
    JSON values (Decimals and datetimes are written as text)."""
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise ValueError(f"an event's kind is 1 to 32 lowercase letters, digits or _: {kind!r}")
    if config_id is not None and (isinstance(config_id, bool) or not isinstance(config_id, int)):
        raise ValueError(f"config_id must be a whole number or None: {config_id!r}")
    return record_in_chain(connection, LOCAL, kind, config_id, details)


def record_in_chain(connection, chain, kind, config_id, details, max_details=MAX_DETAILS):
    """`record_event` in another chain than the instance's own (a config's training tickets)."""
    text = canonical_details(details)
    if len(text) > max_details:
        raise ValueError(f"an event's details are at most {max_details} characters of JSON")
    number = _take_number(connection, chain)
    previous = connection.scalar(select(HEAD.c.link).where(HEAD.c.chain == chain))
    at = utc_now()
    link = event_link(previous, canonical_event(number, at, kind, config_id, text))
    connection.execute(insert(EVENT).values(chain=chain, number=number, at=at, kind=kind,
                                            config_id=config_id, details=text,
                                            previous_link=previous, link=link))
    connection.execute(update(HEAD).where(HEAD.c.chain == chain).values(link=link))
    return JournalEntry(number, link)


def lock_journal(connection, chain=LOCAL):
    """Hold the chain's head row until the transaction ends (what is read next, then recorded,
    cannot interleave with another transaction's events)."""
    moved = connection.execute(update(HEAD).where(HEAD.c.chain == chain)
                               .values(number=HEAD.c.number))
    if moved.rowcount == 0:
        _take_number(connection, chain, 0)


def _take_number(connection, chain, count=1):
    """Lock the chain's head row by moving its number on by one (creating the row the first
    time); return the new number."""
    moved = connection.execute(update(HEAD).where(HEAD.c.chain == chain)
                               .values(number=HEAD.c.number + count))
    if moved.rowcount == 0:
        insert_or_ignore(connection, HEAD, {"chain": chain, "number": 0, "link": ZERO_LINK})
        connection.execute(update(HEAD).where(HEAD.c.chain == chain)
                           .values(number=HEAD.c.number + count))
    return connection.scalar(select(HEAD.c.number).where(HEAD.c.chain == chain))


def journal_head(connection, chain=LOCAL):
    """(number, link) of the chain's last event; (0, ZERO_LINK) when it has none."""
    row = connection.execute(select(HEAD.c.number, HEAD.c.link)
                             .where(HEAD.c.chain == chain)).first()
    return (row.number, row.link) if row else (0, ZERO_LINK)


def event_json(row):
    """An event's wire and archive form."""
    return {"number": row.number, "at": utc_text(row.at), "kind": row.kind,
            "config_id": row.config_id, "details": json.loads(row.details),
            "previous_link": row.previous_link, "link": row.link}


def journal_events(connection, config_id=None, chain=LOCAL, after=0, limit=PAGE,
                   since=None, until=None, kinds=None):
    """The chain's events numbered after `after`, oldest first, at most `limit`, as dicts
    (`event_json`). With `config_id`, that config's events and the instance's own (config
    None); `since`/`until` bound their time (until excluded); `kinds` keeps those kinds."""
    query = select(EVENT).where(EVENT.c.chain == chain, EVENT.c.number > after)
    if config_id is not None:
        query = query.where((EVENT.c.config_id == config_id) | EVENT.c.config_id.is_(None))
    if since is not None:
        query = query.where(EVENT.c.at >= since)
    if until is not None:
        query = query.where(EVENT.c.at < until)
    if kinds is not None:
        query = query.where(EVENT.c.kind.in_(list(kinds)))
    rows = connection.execute(query.order_by(EVENT.c.number).limit(limit)).all()
    return [event_json(row) for row in rows]


def count_events(connection, chain=LOCAL, **where):
    query = select(func.count()).select_from(EVENT).where(EVENT.c.chain == chain)
    for column, value in where.items():
        query = query.where(EVENT.c[column] == value)
    return connection.scalar(query)


def verify_events(events, previous=ZERO_LINK, expected=1):
    """Check a run of events (dicts as `event_json` gives) from number `expected` on; return
    (checked, first_broken, reason, last link). Needs no database (an archive's copy)."""
    checked = 0
    for event in events:
        number = event["number"]
        if number != expected:
            return checked, expected, (f"event {expected} is missing: the next one stored is "
                                       f"{number}"), previous
        if event["previous_link"] != previous:
            return checked, number, (f"event {number} does not follow event {number - 1}: its "
                                     "previous link differs (events reordered, or one "
                                     "replaced)"), previous
        canonical = canonical_event(number, event["at"], event["kind"], event["config_id"],
                                    canonical_details(event["details"]))
        if event_link(previous, canonical) != event["link"]:
            return checked, number, (f"event {number} ({event['kind']}) differs from what was "
                                     "sealed (edited in the database)"), previous
        previous, expected, checked = event["link"], expected + 1, checked + 1
    return checked, None, "", previous


def verify_journal(connection, chain=LOCAL):
    """Walk the chain from event 1: numbers without gaps, each previous link the link before
    it, each link recomputed from the row, the head at the last one."""
    checked, previous = 0, ZERO_LINK
    while True:
        page = journal_events(connection, chain=chain, after=checked, limit=PAGE)
        done, broken, reason, previous = verify_events(page, previous, checked + 1)
        checked += done
        if broken is not None:
            return JournalCheck(False, checked, broken, reason)
        if len(page) < PAGE:
            break
    head_number, head_link = journal_head(connection, chain)
    if head_number != checked:
        return JournalCheck(False, checked, checked + 1, f"event {checked + 1} is missing: the "
                            f"journal's head says {head_number} events were recorded")
    if head_link != previous:
        return JournalCheck(False, checked, checked, f"the journal's head link is not event "
                            f"{checked}'s link")
    return JournalCheck(True, checked, None, f"{checked} events, chain intact")


def software_versions(installed):
    """What a `start` event says of the software: Comptoir's version and the installed
    addons' ({name: version})."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        comptoir = version("comptoir")
    except PackageNotFoundError:  # run from a checkout that was never installed
        comptoir = "unknown"
    return {"comptoir": comptoir, "addons": dict(sorted(installed.items()))}


def record_start(connection, installed, process_started=True):
    """The app was built: a `version_change` event when the software's versions differ from
    the last ones journaled, and, the first time in a process (`process_started`), a `start`
    event with the versions and the process id. (An app rebuilt after an addon was installed
    or a parameter changed is no new start.)"""
    import os
    versions = software_versions(installed)
    last = connection.execute(select(EVENT.c.kind, EVENT.c.details).where(
        EVENT.c.chain == LOCAL, EVENT.c.kind.in_([START, VERSION_CHANGE]))
        .order_by(EVENT.c.number.desc()).limit(1)).first()
    if last is not None:
        details = json.loads(last.details)
        before = details.get("versions") if last.kind == START else details.get("after")
        if before != versions:
            record_event(connection, VERSION_CHANGE, before=before, after=versions)
    if process_started:
        record_event(connection, START, versions=versions, pid=os.getpid())


def chains(connection):
    """The names of the chains this instance holds (its own first)."""
    names = set(connection.scalars(select(HEAD.c.chain)))
    return [LOCAL] + sorted(names - {LOCAL})
