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
from datetime import datetime, timezone

from flask import Blueprint, jsonify, request

from core.i18n import _
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
    where = f"cancellations[{index}]"
    if not isinstance(raw, dict):
        raise ApiError(400, "invalid_cancellation", _('%(where)s must be an object', where=where))
    kind, uuid = raw.get("kind"), raw.get("order_uuid")
    lines, amount, at = raw.get("lines"), raw.get("amount"), raw.get("at")
    if not isinstance(kind, str) or kind not in KINDS:  # {} or [] are not hashable
        raise ApiError(400, "invalid_cancellation", _("%(where)s.kind is 'line' or 'order'"
                                                      , where=where))
    if not isinstance(uuid, str) or not UUID_PATTERN.fullmatch(uuid):
        raise ApiError(400, "invalid_cancellation", _("%(where)s.order_uuid is the order's uuid"
                                                      , where=where))
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= 1000:
        raise ApiError(400, "invalid_cancellation", _('%(where)s.lines is a count from 0 to 1000'
                                                      , where=where))
    if not isinstance(amount, str) or not AMOUNT.fullmatch(amount):
        raise ApiError(400, "invalid_cancellation", _("%(where)s.amount is an amount such as '1.98'"
                                                      , where=where))
    try:
        moment = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        at = moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError):  # OverflowError: year 1 with an offset east of UTC
        raise ApiError(400, "invalid_cancellation", _('%(where)s.at is an ISO 8601 time'
                                                      , where=where)) from None
    return KINDS[kind], {"order_uuid": uuid, "lines": lines, "amount": amount, "at": at}


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
