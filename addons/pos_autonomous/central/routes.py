"""The central instance's HTTP, for tills (`Authorization: Bearer <till token>`):
* `POST /pos_autonomous/pull`: one page of the declared tables (pages.py, read_ahead.py);
* `POST /pos_autonomous/push`: one batch of sealed entries, sessions and events (receive.py);
* `POST /pos_autonomous/customers`: create a customer from the template partner;
* `POST /pos_autonomous/customers/<id>`: apply an edit made on a till;
* `POST /pos_autonomous/customers/<id>/delete`: an abandoned creation (deleted, or marked
  retired when an order refers to it);
* `POST /pos_autonomous/recover` and `/recover/skip`: a till recovering its database takes back
  its config's entries and says which numbers were lost (recover.py).
Every field is checked (a 400 naming it)."""
import hashlib
import json
import logging
import re
import time
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import orjson
from flask import Response, jsonify, request

import addons.point_of_sale as point_of_sale
from core.db import autocommit_read
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object
from core.web.fields import HEX_DIGEST as LINK
from core.web.fields import Fields

from .. import settings
from ..declarations import SWITCHED_OFF, active_down_tables, declared_tables, up_active
from ..web import blueprint
from ..wire import (
    CUSTOMER_TABLE,
    DEFAULT_PAGE_SIZE,
    ENTRY_KINDS,
    FULL,
    INCREMENTAL,
    MAX_ENTRIES,
    MAX_EVENTS,
    MAX_PAGE_SIZE,
    MAX_SESSIONS,
    after_page,
)
from . import pages, push_gate, read_ahead, recover, tills
from .receive import STATES as SESSION_STATES
from .receive import receive_push
from .tracking import purge_tombstones

log = logging.getLogger(__name__)
UUID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PURGE_INTERVAL = 3600.0  # seconds between two tombstone purges in one process
_last_purge = {}  # database URL -> time.monotonic() of this process's last purge


def _purge_now_and_then(instance):
    """Forget tombstones past the retention, at most once an hour per process (the purge
    records what it forgot, so no till misses a deletion silently)."""
    key, now = str(instance.engine.url), time.monotonic()
    if now - _last_purge.get(key, float("-inf")) < PURGE_INTERVAL:
        return
    _last_purge[key] = now
    with instance.engine.begin() as connection:
        days = instance.parameters(connection, current_plugins()).get(
            settings.TOMBSTONE_RETENTION_DAYS)
        purge_tombstones(connection, days)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value):
    """JSON bytes: orjson (pages are large: it encodes several times faster than json); the
    standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=_json_default)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), default=_json_default).encode()


# English, as every other answer of the tills' wire (one answer never mixes two languages).
POSITION = Fields("invalid_position", show_value=True, translated=False)
PUSH = Fields("invalid_push", translated=False)


def parse_positions(raw):
    """{name: position} from the request, each checked (400 naming the field otherwise)."""
    if not isinstance(raw, dict):
        raise ApiError(400, "invalid_tables", "tables must be an object {table name: position}")
    positions = {}
    for name, position in raw.items():
        where = f"tables[{name!r}]"
        if not isinstance(position, dict) or position.get("mode") not in (INCREMENTAL, FULL):
            raise ApiError(400, "invalid_position", f"{where} must be an object whose mode is "
                                                    f"'{INCREMENTAL}' or '{FULL}'")
        if position["mode"] == INCREMENTAL:
            positions[name] = {"mode": INCREMENTAL, "version": POSITION.whole(
                position.get("version"), where + ".version")}
        else:
            positions[name] = {
                "mode": FULL,
                "snapshot": POSITION.whole(position.get("snapshot"), where + ".snapshot",
                                           allow_none=True),
                "after": POSITION.whole(position.get("after"), where + ".after",
                                        allow_none=True)}
    return positions


def bearer_token():
    """The request's till token; 401 unauthorized when it sends none."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <till token>' (the "
                                            "token is in the till's package)")
    return header[len("Bearer "):].strip()


@contextmanager
def refused_as_invalid_token():
    """A till's credentials refused (tills.TillAuthError): 401 invalid_token saying why."""
    try:
        yield
    except tills.TillAuthError as exc:
        raise ApiError(401, "invalid_token", str(exc)) from None


def till_from_request(connection):
    token = bearer_token()
    with refused_as_invalid_token():
        return tills.authenticate(connection, token)


def pushing_till():
    """The till a push comes from, checked before the push's body is read and before it waits
    for a slot: a push without a valid till's token is answered 401 at once and queues behind
    nobody, ahead of nobody. A token not of a till's form needs no database; the others one
    SELECT by primary key, on a connection returned to the pool at once (no push holds one
    while it waits)."""
    token = bearer_token()
    with refused_as_invalid_token():
        credentials = tills.parse_token(token)
        with autocommit_read(current_instance().engine) as connection:
            return tills.check_secret(connection, *credentials)


@blueprint.post("/pull")
def pull():
    """One page of the server's data for the calling till (README: the pull protocol)."""
    started = time.perf_counter()
    body = json_object()
    positions = parse_positions(body.get("tables", {}))
    page_size = body.get("page_size", DEFAULT_PAGE_SIZE)
    if isinstance(page_size, bool) or not isinstance(page_size, int) \
            or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(400, "invalid_page_size",
                       f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}")
    digest = body.get("cashiers", "")
    if not isinstance(digest, str) or len(digest) > 64:
        raise ApiError(400, "invalid_cashiers", "cashiers must be the digest the till holds")
    declared = declared_tables(current_plugins())
    instance = current_instance()
    database = str(instance.engine.url)
    _purge_now_and_then(instance)
    with instance.engine.begin() as connection:  # short: the page is read after it
        till = till_from_request(connection)
        tables = active_down_tables(connection, declared)
        cashiers = tills.cashiers_part(connection, till.id, digest)
        tills.note_contact(connection, till)
        config_id = tills.scope(connection, till)  # a shop's first till pulls for them all

    def compute(positions):
        """The page, read in a read transaction (on SQLite it takes no write lock), encoded."""
        with instance.engine.connect() as connection:
            return EncodedPage(pages.answer_pull(connection, tables, positions, config_id,
                                                 page_size))
    page = read_ahead.take(database, till.id, positions, page_size) or compute(positions)
    _log_page(till, positions, page.count)
    response = Response(page.with_cashiers(cashiers), mimetype="application/json")
    response.headers["Server-Timing"] = f"pull;dur={(time.perf_counter() - started) * 1000:.2f}"
    if page.more:  # an import under way: once this page is sent, prepare the next one
        following = after_page(positions, page.checkpoints)
        response.call_on_close(lambda: read_ahead.prepare(
            database, till.id, following, page_size, lambda: compute(following)))
    return response


class EncodedPage:
    """A page ready to send: its JSON (without the cashiers part, which each request adds as it
    stands then) and what the route needs to know of it. A page read ahead is encoded there,
    while the till still applies the one before: the request that takes it only sends bytes,
    and a page waiting for its till holds its bytes, not its rows as objects."""

    def __init__(self, answer):
        self.more = answer["more"]
        self.checkpoints = {name: part["checkpoint"] for name, part in answer["tables"].items()}
        self.count = sum(len(part["rows"]) + len(part.get("deleted", ()))
                         for part in answer["tables"].values())
        self.body = dumps(answer)

    def with_cashiers(self, cashiers):
        """The answer's JSON with its "cashiers" member: an object's encoding ends in "}"."""
        return self.body[:-1] + b',"cashiers":' + dumps(cashiers) + b"}"


def _log_page(till, positions, count):
    """One line per page that carries data (idle syncs stay quiet), naming where it starts: the
    same start twice means the till fetched that page again (a kill before it applied it)."""
    if count:
        start = hashlib.sha256(orjson.dumps(positions, option=orjson.OPT_SORT_KEYS)).hexdigest()
        log.info("till %s: page of %d rows from position %s", till.id, count, start[:16])


# -- push ----------------------------------------------------------------------------------------

def parse_push(body, till):
    """The batch, every field checked (a 400 naming the field otherwise)."""
    if PUSH.whole(body.get("till"), "till", minimum=1) != till.id:
        raise ApiError(403, "wrong_till", f"this batch names till {body.get('till')} but the "
                                          f"token is till {till.id}'s")
    head = PUSH.mapping(body.get("head"), "head")
    batch = {
        "serial": PUSH.whole(body.get("serial"), "serial", minimum=1),
        "first": PUSH.whole(body.get("first"), "first", allow_none=True, minimum=1),
        "last": PUSH.whole(body.get("last"), "last", allow_none=True, minimum=1),
        "head": {"number": PUSH.whole(head.get("number"), "head.number"),
                 "link": PUSH.text(head.get("link"), "head.link", LINK)},
        "entries": _entries(body.get("entries", [])),
        "sessions": _listed(body, "sessions", MAX_SESSIONS, _session),
        "events": _listed(body, "events", MAX_EVENTS, _event),
        "journal": _journal(body.get("journal", [])),
        "chain": None if body.get("chain") is None else _chain(body["chain"]),
        "links": _listed(body, "links", MAX_LINKS, _link_pair),
    }
    _check_range(batch)
    return batch


def _listed(body, name, most, parse):
    """The body's list `name` (at most `most` items), each parsed by `parse(raw, where)`."""
    return [parse(raw, f"{name}[{index}]") for index, raw in enumerate(
        PUSH.items(body.get(name, []), name, most))]


def _check_range(batch):
    """`first` and `last` name the batch's first and last entries; the head is not before."""
    numbers = [entry["number"] for entry in batch["entries"]]
    if (batch["first"], batch["last"]) != ((numbers[0], numbers[-1]) if numbers else (None, None)):
        PUSH.refuse("first and last",
                    "the numbers of the first and last entries (null without entries)")
    if numbers and numbers[-1] > batch["head"]["number"]:
        PUSH.refuse("head.number", "at least the last entry's number")


MAX_LINKS = 300  # a till's anchors (about 2 log2 of its tickets) or one probe's 64 links


def _link_pair(raw, where):
    """A [number, link] pair of the till's chain (anchored heads, #24 item 2)."""
    if not isinstance(raw, list) or len(raw) != 2:
        PUSH.refuse(where, "a [number, link] pair")
    return (PUSH.whole(raw[0], f"{where}[0]", minimum=1),
            PUSH.text(raw[1], f"{where}[1]", LINK))


def _entries(raw_entries):
    entries = [_entry(raw, f"entries[{index}]") for index, raw in enumerate(
        PUSH.items(raw_entries, "entries", MAX_ENTRIES))]
    numbers = [entry["number"] for entry in entries]
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        PUSH.refuse("entries", "in chain order, numbers following each other")
    return entries


def _entry(raw, where):
    entry = PUSH.mapping(raw, where)
    return {
        "number": PUSH.whole(entry.get("number"), f"{where}.number", minimum=1),
        "kind": PUSH.choice(entry.get("kind"), f"{where}.kind", ENTRY_KINDS),
        "uuid": PUSH.text(entry.get("uuid"), f"{where}.uuid", UUID),
        "previous_link": PUSH.text(entry.get("previous_link"), f"{where}.previous_link", LINK),
        "link": PUSH.text(entry.get("link"), f"{where}.link", LINK),
        # null: the record is gone from the till's database (deleted): refused, alarmed
        "record": None if entry.get("record") is None
        else PUSH.mapping(entry.get("record"), f"{where}.record")}


def _session(raw, where):
    session = PUSH.mapping(raw, where)
    return {
        "id": PUSH.whole(session.get("id"), f"{where}.id", minimum=1),
        "name": PUSH.text(session.get("name"), f"{where}.name", limit=64),
        "state": PUSH.choice(session.get("state"), f"{where}.state", SESSION_STATES),
        "opened_at": PUSH.moment(session.get("opened_at"), f"{where}.opened_at", True),
        "closed_at": PUSH.moment(session.get("closed_at"), f"{where}.closed_at", True)}


def _event(raw, where):
    event = PUSH.mapping(raw, where)
    return {
        "id": PUSH.whole(event.get("id"), f"{where}.id", minimum=1),
        "at": PUSH.moment(event.get("at"), f"{where}.at"),
        "kind": PUSH.text(event.get("kind"), f"{where}.kind", limit=32),
        "message": PUSH.text(event.get("message"), f"{where}.message", limit=2000)}


JOURNAL_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _journal(raw_events):
    """The till's chained journal events (point_of_sale's wire form), numbers following each
    other; `at` kept as the text its link was computed over."""
    events = []
    for index, raw in enumerate(PUSH.items(raw_events, "journal", MAX_EVENTS)):
        where = f"journal[{index}]"
        event = PUSH.mapping(raw, where)
        details = event.get("details")
        if not isinstance(details, dict):
            PUSH.refuse(f"{where}.details", "an object")
        at = PUSH.text(event.get("at"), f"{where}.at", JOURNAL_MOMENT)
        try:  # the pattern lets through a month 13 or a day 45
            datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            PUSH.refuse(f"{where}.at", "a UTC time such as 2026-12-07T10:15:00.000000Z", at)
        events.append({
            "number": PUSH.whole(event.get("number"), f"{where}.number", minimum=1),
            "at": at,
            "kind": PUSH.text(event.get("kind"), f"{where}.kind", limit=32),
            "config_id": PUSH.whole(event.get("config_id"), f"{where}.config_id",
                                    allow_none=True),
            "details": details,
            "previous_link": PUSH.text(event.get("previous_link"), f"{where}.previous_link",
                                       LINK),
            "link": PUSH.text(event.get("link"), f"{where}.link", LINK)})
    numbers = [event["number"] for event in events]
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        PUSH.refuse("journal", "in chain order, numbers following each other")
    return events


def _chain(raw):
    chain = PUSH.mapping(raw, "chain")
    return {
        "ok": PUSH.flag(chain.get("ok"), "chain.ok"),
        "checked": PUSH.whole(chain.get("checked"), "chain.checked"),
        "first_broken": PUSH.whole(chain.get("first_broken"), "chain.first_broken",
                                   allow_none=True),
        "reason": PUSH.text(chain.get("reason", ""), "chain.reason", limit=500)}


@blueprint.post("/push")
def push():
    """One batch of the calling till's sealed entries (README: the push protocol), stored
    when a slot of this process's push gate is free (push_gate.py; 503 when none came). The
    token is checked before the body is read and the push queued (pushing_till); in the slot
    the till's row is read again, so a till revoked meanwhile (during the upload or the wait)
    stores nothing: 401 invalid_token."""
    till_id = pushing_till().id
    push_gate.read_body_ahead()
    try:
        with push_gate.push_slot(), current_instance().engine.begin() as connection:
            with refused_as_invalid_token():
                till = tills.still_active(connection, till_id)
            batch = parse_push(json_object(), till)
            answer = receive_push(connection, till, batch)
            tills.note_contact(connection, till)
    except push_gate.Busy as busy:
        return push_gate.busy_response(busy)
    return jsonify(answer)


# -- customers -----------------------------------------------------------------------------------

def _customer_values(body):
    values = body.get("values")
    if not isinstance(values, dict) or len(values) > 20:
        raise ApiError(400, "invalid_customer", "values must be an object of at most 20 fields "
                                                "(name, email, phone...)")
    return values


def _from_till(change):
    """A till's customer change, through point_of_sale's rules and refusals: the caller is a
    till, the partner table's till → server row is switched on, then `change(connection,
    source)`, `source` naming the till in point_of_sale's record of customer changes."""
    def checked(connection):
        till = till_from_request(connection)
        _require_up(connection, CUSTOMER_TABLE)
        return change(connection, f"autonomous_till:{till.id}")
    return point_of_sale.run_customer_change(checked)


def _require_up(connection, table_name):
    """409 while the table's till → server row is switched off: the till keeps what it sent
    queued (till/outbox.py) and sends it once the row is switched on again."""
    if not up_active(connection, table_name):
        raise ApiError(409, SWITCHED_OFF,
                       f"the central server does not take {table_name} from tills now (switched "
                       "off in Autonomous tills ▸ Tables to synchronise, till → server); the till "
                       "keeps its changes and sends them once it is switched on again")


@blueprint.post("/customers")
def create_customer():
    """Create a customer for a till from the template partner; answer it."""
    values = _customer_values(json_object())

    def create(connection, source):
        customer = point_of_sale.create_customer(connection, values)
        point_of_sale.record_customer_change(connection, customer["id"], point_of_sale.CREATED,
                                             source)
        return customer
    return jsonify(customer=_from_till(create))


@blueprint.post("/customers/<int:partner_id>")
def update_customer(partner_id):
    """A till's edit (the fields a till may edit: point_of_sale's), recorded with the till."""
    values = _customer_values(json_object())

    def edit(connection, source):
        customer = point_of_sale.update_customer(connection, partner_id, values)
        point_of_sale.record_customer_change(connection, partner_id, point_of_sale.EDITED,
                                             source, values)
        return customer
    return jsonify(customer=_from_till(edit))


@blueprint.post("/customers/<int:partner_id>/delete")
def delete_customer(partner_id):
    """An abandoned creation: deleted, or marked retired when an order refers to it. Only by
    the till that created it, within point_of_sale.customer_abandon_seconds."""
    def abandon(connection, source):
        point_of_sale.check_abandon(connection, partner_id, source,
                                    point_of_sale.abandon_window(connection))
        outcome = point_of_sale.retire_customer(connection, partner_id)
        point_of_sale.record_customer_change(connection, partner_id, point_of_sale.ABANDONED,
                                             source)
        return outcome
    outcome = _from_till(abandon)
    return jsonify(partner_id=partner_id, outcome=outcome)


# -- recovery (#24 item 4) -----------------------------------------------------------------------

RECOVERY = Fields("invalid_recover", translated=False)
RECOVER_PAGE = 200
TICKET_NUMBER = 2**31 - 1  # the ledger's numbers and config ids are INTEGER columns


def _recovery_config(body, till):
    return RECOVERY.whole(body.get("config_id", till.config_id), "config_id", minimum=1,
                          maximum=TICKET_NUMBER)


@blueprint.post("/recover")
def recover_entries():
    """A page of the entries this server holds of the calling till's config after `after`
    (till/recover.py takes them back)."""
    body = json_object()
    with current_instance().engine.connect() as connection:
        till = till_from_request(connection)
        config_id = _recovery_config(body, till)
        after = RECOVERY.whole(body.get("after", 0), "after", maximum=TICKET_NUMBER)
        limit = RECOVERY.whole(body.get("limit", RECOVER_PAGE), "limit", minimum=1,
                               maximum=MAX_ENTRIES)
        return Response(dumps(recover.entries_for_till(connection, till, config_id, after,
                                                       limit)), mimetype="application/json")


@blueprint.post("/recover/skip")
def recover_skip():
    """Numbers the calling till issued and lost before they reached this server: skipped here
    (journaled) and alarmed."""
    body = json_object()
    with current_instance().engine.begin() as connection:
        till = till_from_request(connection)
        config_id = _recovery_config(body, till)
        after = RECOVERY.whole(body.get("after"), "after", maximum=TICKET_NUMBER)
        upto = RECOVERY.whole(body.get("upto"), "upto", minimum=1, maximum=TICKET_NUMBER)
        link = RECOVERY.text(body.get("link"), "link", LINK)
        if upto <= after:
            RECOVERY.refuse("upto", "a number after `after`", upto)
        return jsonify(recover.skip_for_till(connection, till, config_id, after, upto, link))
