"""Lines and orders cancelled before payment (#25 item 6): the till tells the server what it
removed from an order before it was paid (a line, or a whole order with its lines), with the
amount with tax, and the server seals it in the journal of events (`cancelled_line`,
`cancelled_order`); an offline till queues them and sends them later (`at` is the till's time).
Nothing of a paid ticket is ever cancelled: a paid order is corrected by a refund.

`POST /pos/config/<id>/cancellations` `{"cancellations": [{"kind": "line"|"order",
"order_uuid": "…", "lines": 1, "amount": "1.98", "at": "…"}]}` (1 to 100) answers the journal
numbers.
"""
import re
from datetime import datetime

from flask import Blueprint, jsonify, request

from core.i18n import _
from core.times import utc_iso
from core.web import current_instance
from core.web.errors import ApiError

from .access import config_or_404, require_config_access
from .journal import record_event
from .orders import UUID_PATTERN

cancellations_blueprint = Blueprint("point_of_sale_cancellations", __name__, url_prefix="/pos")
KINDS = {"line": "cancelled_line", "order": "cancelled_order"}
AMOUNT = re.compile(r"-?[0-9]{1,9}\.[0-9]{2}")
MAX_BATCH = 100


def parse_cancellation(raw, index):
    """(journal kind, details) of one cancellation, or a 400 naming its first field at fault."""
    where = f"cancellations[{index}]"
    if not isinstance(raw, dict):
        _refuse(_('%(where)s must be an object', where=where))
    return _kind(raw, where), {"order_uuid": _order_uuid(raw, where),
                               "lines": _lines(raw, where), "amount": _amount(raw, where),
                               "at": _moment(raw, where)}


def _refuse(message):
    raise ApiError(400, "invalid_cancellation", message)


def _kind(raw, where):
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:  # {} or [] are not hashable
        _refuse(_("%(where)s.kind is 'line' or 'order'", where=where))
    return KINDS[kind]


def _order_uuid(raw, where):
    uuid = raw.get("order_uuid")
    if not isinstance(uuid, str) or not UUID_PATTERN.fullmatch(uuid):
        _refuse(_("%(where)s.order_uuid is the order's uuid", where=where))
    return uuid


def _lines(raw, where):
    lines = raw.get("lines")
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= 1000:
        _refuse(_('%(where)s.lines is a count from 0 to 1000', where=where))
    return lines


def _amount(raw, where):
    amount = raw.get("amount")
    if not isinstance(amount, str) or not AMOUNT.fullmatch(amount):
        _refuse(_("%(where)s.amount is an amount such as '1.98'", where=where))
    return amount


def _moment(raw, where):
    """The till's time, in UTC ("…Z"); a time without its offset is taken as UTC."""
    try:
        return utc_iso(datetime.fromisoformat(str(raw.get("at")).replace("Z", "+00:00")),
                       zulu=True)
    except (ValueError, OverflowError):  # OverflowError: year 1 with an offset east of UTC
        _refuse(_('%(where)s.at is an ISO 8601 time', where=where))


@cancellations_blueprint.post("/config/<int:config_id>/cancellations")
def record_cancellations(config_id):
    require_config_access(config_id)
    body = request.get_json(silent=True)
    items = body.get("cancellations") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        raise ApiError(400, "invalid_body", _('send {"cancellations": [...]} with 1 to %(max_batch)s '
                                              'entries', max_batch=MAX_BATCH))
    parsed = [parse_cancellation(raw, index) for index, raw in enumerate(items)]
    with current_instance().engine.begin() as connection:
        config_or_404(connection, config_id)
        numbers = [record_event(connection, kind, config_id, **details).number
                   for kind, details in parsed]
    return jsonify(events=numbers)
