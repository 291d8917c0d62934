"""Duplicates: a receipt printed again is a copy numbered per ticket by the server (or an
autonomous till's own server), sealed in the journal of events (`duplicate`: the order, its
ticket number and the copy's number) and counted by the periodic closings of the day it was
printed. The till prints `DUPLICATA n° k` with the number it was given; an offline browser till
queues the reprint and sends it when the server answers again (`printed_at` is the till's).

`POST /pos/config/<id>/orders/<uuid>/duplicate` `{"printed_at": "…"}` (optional, ISO time)
answers `{"copy": k, "ticket": {"number", "link"}, "event": n}`.
"""
from datetime import datetime

from flask import jsonify, request
from sqlalchemy import func, select

from core.i18n import _
from core.times import utc_iso
from core.web import current_instance
from core.web.errors import ApiError

from .access import require_config_access
from .journal import EVENT, LOCAL, lock_journal, record_event
from .ledger_seal import sealed_entries_of
from .models import Order, PosSession
from .orders import UUID_PATTERN
from .past_orders import blueprint

DUPLICATE = "duplicate"


def record_duplicate(connection, config_id, uuid, printed_at=None):
    """Number and journal a copy of order `uuid` of `config_id`; return (copy, ticket, event
    number). LookupError when the config has no such order. The journal's lock, taken before
    the copies are counted, numbers two concurrent reprints 1 and 2."""
    row = connection.execute(select(Order.id, Order.reference).join(
        PosSession, PosSession.id == Order.session_id).where(
        PosSession.config_id == config_id, Order.uuid == uuid)).first()
    if row is None:
        raise LookupError(f"POS config {config_id} has no order {uuid}")
    number, link = sealed_entries_of(connection, "order", [uuid]).get(uuid, (None, None))
    lock_journal(connection)
    copies = _copies(connection, config_id, uuid)
    event = record_event(connection, DUPLICATE, config_id, order_uuid=uuid,
                         reference=row.reference, ticket=number, copy=copies + 1,
                         printed_at=printed_at)
    return copies + 1, {"number": number, "link": link}, event.number


def _copies(connection, config_id, uuid):
    # Details are canonical JSON (sorted keys, no spaces): the order's uuid appears exactly so.
    return connection.scalar(select(func.count()).select_from(EVENT).where(
        EVENT.c.chain == LOCAL, EVENT.c.kind == DUPLICATE, EVENT.c.config_id == config_id,
        EVENT.c.details.contains(f'"order_uuid":"{uuid}"', autoescape=True)))


@blueprint.post("/config/<int:config_id>/orders/<uuid>/duplicate")
def duplicate_route(config_id, uuid):
    require_config_access(config_id)
    if not UUID_PATTERN.fullmatch(uuid):
        raise ApiError(400, "invalid_uuid", _("an order's uuid is 1 to 64 letters, digits, - or _"))
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", _('the body is a JSON object (or empty)'))
    printed_at = body.get("printed_at")
    if printed_at is not None:
        try:
            printed_at = utc_iso(datetime.fromisoformat(str(printed_at).replace("Z", "+00:00")),
                                 zulu=True)
        except (ValueError, OverflowError):  # OverflowError: year 1 with an offset east of UTC
            raise ApiError(400, "invalid_printed_at", _("'printed_at' is an ISO 8601 time such as "
                                                        "2026-12-07T10:15:00Z")) from None
    with current_instance().engine.begin() as connection:
        try:
            copy, ticket, event = record_duplicate(connection, config_id, uuid, printed_at)
        except LookupError as error:
            raise ApiError(404, "unknown_order", str(error)) from None
    return jsonify(copy=copy, ticket=ticket, event=event)
