"""The till asks its own server to print (`POST /pos/config/<id>/print`), to retry what waits
(`/print-queue/retry`), to list the queue, and to open the drawer (`/drawer`)."""
import re

from flask import Blueprint, jsonify
from sqlalchemy import select

from addons.point_of_sale import require_config_access, require_manager
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object
from core.web.fields import Fields
from core.web.sessions import signed_in_user

from .device import PrinterError
from .drawer import CASH_PAYMENT, MANAGER, open_drawer
from .jobs import NothingToPrint, print_order, print_report, queue_of, require_printer, retry_queue

UUID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_COPY = 99
FIELDS = Fields("invalid_field")

blueprint = Blueprint("pos_printer", __name__, url_prefix="/pos")
# The POS page's module (printer.js), beside the routes of the till.
assets = Blueprint("pos_printer_assets", __name__, url_prefix="/pos_printer",
                   static_folder="static")


def _refused(error):
    status = 409 if error.code == "printer_not_configured" else 404
    return ApiError(status, error.code, error.message)


def _answer(outcome):
    response = jsonify(outcome.to_json())
    response.status_code = 202 if outcome.status == "queued" else 200
    return response


@blueprint.post("/config/<int:config_id>/print")
def pos_print(config_id):
    """Print an order's receipt `{"order_uuid", "copy": 1}` or a session's report
    `{"session_id", "copy": 1}` on the config's printer, once per copy."""
    require_config_access(config_id)
    body = json_object()
    unknown = sorted(set(body) - {"order_uuid", "session_id", "copy"})
    if unknown:
        raise ApiError(400, "invalid_field", f"unknown fields: {', '.join(unknown)}")
    if ("order_uuid" in body) == ("session_id" in body):
        raise ApiError(400, "invalid_body", 'send either {"order_uuid": "..."} (a receipt) or '
                                            '{"session_id": 7} (a session report)')
    copy = FIELDS.whole(body.get("copy", 1), "copy", minimum=1, maximum=MAX_COPY)
    engine, manager = current_instance().engine, current_plugins()
    try:
        if "order_uuid" in body:
            uuid = FIELDS.text(body["order_uuid"], "order_uuid", UUID)
            return _answer(print_order(engine, manager, config_id, uuid, copy))
        session_id = FIELDS.whole(body["session_id"], "session_id", minimum=1,
                                  maximum=2**31 - 1)
        return _answer(print_report(engine, manager, config_id, session_id, copy))
    except NothingToPrint as error:
        raise _refused(error) from None


@blueprint.get("/config/<int:config_id>/print-queue")
def pos_print_queue(config_id):
    """The config's latest print jobs, newest first."""
    require_config_access(config_id)
    with current_instance().engine.connect() as connection:
        return jsonify(jobs=queue_of(connection, config_id))


@blueprint.post("/config/<int:config_id>/print-queue/retry")
def pos_print_queue_retry(config_id):
    """Send what waits in the config's queue, oldest first, until the printer refuses one."""
    require_config_access(config_id)
    try:
        outcomes = retry_queue(current_instance().engine, current_plugins(), config_id)
    except NothingToPrint as error:
        raise _refused(error) from None
    with current_instance().engine.connect() as connection:
        waiting = sum(1 for job in queue_of(connection, config_id, 1000)
                      if job["state"] == "queued" and job["what"] != "drawer")
    return jsonify(results=[o.to_json() for o in outcomes], waiting=waiting)


@blueprint.post("/config/<int:config_id>/drawer")
def pos_open_drawer(config_id):
    """Open the cash drawer: `{"reason": "cash_payment", "order_uuid"}` (once per order) or
    `{"reason": "manager"}` (a signed-in manager's Open drawer)."""
    require_config_access(config_id)
    reason, uuid = _drawer_request(json_object())
    engine = current_instance().engine
    if reason == MANAGER:  # a manager of this till (roles), not a cashier nor a till's token
        require_manager(config_id, "open the drawer without a sale")
    with engine.connect() as connection:
        login = signed_in_user(connection)
        printer = _printer_of(connection, config_id)
    try:
        status = open_drawer(engine, config_id, printer, reason, login or "", uuid)
    except PrinterError as error:
        # 409, not 503: the page reads a 503 as its own server being away (http.js)
        raise ApiError(409, error.code, error.message) from None
    return jsonify(status=status)


def _drawer_request(body):
    """(reason, order uuid or None) of a drawer request, or a 400 saying what to send."""
    unknown = sorted(set(body) - {"reason", "order_uuid"})
    if unknown:
        raise ApiError(400, "invalid_field", f"unknown fields: {', '.join(unknown)}")
    reason, uuid = body.get("reason"), body.get("order_uuid")
    if reason not in (CASH_PAYMENT, MANAGER):
        raise ApiError(400, "invalid_field", "'reason' must be \"cash_payment\" (with the "
                                             "order's uuid) or \"manager\"")
    if reason == CASH_PAYMENT and (not isinstance(uuid, str) or not UUID.fullmatch(uuid)):
        raise ApiError(400, "invalid_field", "a cash payment opens the drawer once per order: "
                                             "send its 'order_uuid'")
    if reason == MANAGER and uuid is not None:
        raise ApiError(400, "invalid_field", "a manager's opening names no order")
    return reason, uuid


def _printer_of(connection, config_id):
    """The config's printer; a 404 for no such config, a 409 for one without a printer."""
    from addons.point_of_sale import PosConfig
    if connection.scalar(select(PosConfig.id).where(PosConfig.id == config_id)) is None:
        raise ApiError(404, "unknown_config", f"there is no POS config {config_id}")
    try:
        return require_printer(connection, config_id, current_plugins())
    except NothingToPrint as error:
        raise _refused(error) from None
