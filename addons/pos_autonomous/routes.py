"""HTTP: `POST /pos_autonomous/pull` (central, for tills) and `GET /pos_autonomous/status`
(till, for its POS page's indicator)."""
import hashlib
import json
import logging
import time
from datetime import date, datetime
from decimal import Decimal

import orjson
from flask import Blueprint, Response, jsonify, request

from addons.point_of_sale import caller_config_scope
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object

from . import pages, read_ahead, settings, tills
from .declarations import active_down_tables, declared_tables
from .models import FULL, INCREMENTAL
from .status import till_status
from .tracking import purge_tombstones

blueprint = Blueprint("pos_autonomous", __name__, url_prefix="/pos_autonomous",
                      static_folder="static")

log = logging.getLogger(__name__)
MAX_ID = 2**63 - 1
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


def _whole(value, where, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise ApiError(400, "invalid_position",
                       f"{where} must be a whole number from 0 to {MAX_ID}, not {value!r}")
    return value


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
            positions[name] = {"mode": INCREMENTAL,
                               "version": _whole(position.get("version"), where + ".version")}
        else:
            positions[name] = {
                "mode": FULL,
                "snapshot": _whole(position.get("snapshot"), where + ".snapshot", True),
                "after": _whole(position.get("after"), where + ".after", True)}
    return positions


def _till_from_request(connection):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <till token>' (the "
                                            "token is in the till's package)")
    try:
        return tills.authenticate(connection, header[len("Bearer "):].strip())
    except tills.TillAuthError as exc:
        raise ApiError(401, "invalid_token", str(exc)) from None


@blueprint.post("/pull")
def pull():
    """One page of the server's data for the calling till (README: the pull protocol)."""
    started = time.perf_counter()
    body = json_object()
    positions = parse_positions(body.get("tables", {}))
    page_size = body.get("page_size", pages.DEFAULT_PAGE_SIZE)
    if isinstance(page_size, bool) or not isinstance(page_size, int) \
            or not 1 <= page_size <= pages.MAX_PAGE_SIZE:
        raise ApiError(400, "invalid_page_size",
                       f"page_size must be a whole number from 1 to {pages.MAX_PAGE_SIZE}")
    digest = body.get("cashiers", "")
    if not isinstance(digest, str) or len(digest) > 64:
        raise ApiError(400, "invalid_cashiers", "cashiers must be the digest the till holds")
    declared = declared_tables(current_plugins())
    instance = current_instance()
    database = str(instance.engine.url)
    _purge_now_and_then(instance)
    with instance.engine.begin() as connection:  # short: the page is read after it
        till = _till_from_request(connection)
        tables = active_down_tables(connection, declared)
        cashiers = tills.cashiers_part(connection, till.id, digest)
        tills.note_contact(connection, till)
    config_id = till.config_id

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
        following = read_ahead.next_positions(positions, page.checkpoints)
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


@blueprint.get("/status")
def status():
    """The till's synchronisation state, for the POS page's indicator (no secret in it):
    signed-in users and POS tokens, as the POS routes."""
    caller_config_scope()
    with current_instance().engine.connect() as connection:
        return jsonify(till_status(connection))
