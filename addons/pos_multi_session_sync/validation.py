"""Checking an update's parameters before anything is written: every mistake is a 400 whose
message names the field, what it must be and what was sent."""
from dataclasses import dataclass

from core.web.errors import ApiError
from core.web.fields import MISSING, Fields, shown

from .wire import fill_in, line_object, order_data_object

MAX_ID = 2**31 - 1  # the columns are 32-bit integers on PostgreSQL
MAX_SEQUENCE_NUMBER = 10**9 - 1  # room left for the numbers that follow a paid one
MAX_DBNAME = 128
MAX_ACTION = 64
MAX_UID = 64
MAX_LINE_UID = 128
MAX_NONCE = 128
MAX_LINES = 1000
UPDATE_ORDER, SYNC_ALL, REMOVE_ORDER = "update_order", "sync_all", "remove_order"


@dataclass(frozen=True)
class Update:
    """One call of /pos_multi_session_sync/update, checked. `data` is a copy of the message's
    data as deep as the protocol changes it (`_copied`)."""
    dbname: str
    multi_session_id: int
    user_id: int | None
    action: str
    data: dict
    session_id: int | None
    login_number: int | None
    pos_id: int
    run_id: int


# Each field its own code (`invalid_run_id`), and the value sent shown in the message; in
# English whatever the till's language, as every other answer of the original Odoo tills' wire.
FIELDS = Fields(show_value=True, translated=False)


def whole_number(container, name, field, minimum=0, optional=False, maximum=MAX_ID):
    return FIELDS.whole(container.get(name, MISSING), field, minimum, maximum,
                        allow_none=optional)


def text(container, name, field, max_length, optional=False):
    return FIELDS.text(container.get(name, MISSING), field, limit=max_length, shortest=1,
                       allow_none=optional)


def flag(container, name, field):
    return FIELDS.flag(container.get(name, False), field)


def json_object(container, name, field, optional=False):
    return FIELDS.mapping(container.get(name, MISSING), field, allow_none=optional)


def check_order(order, field):
    """An order as tills send it: uid, sequence_number, revision_ID and lines with unique
    uids; other keys are the till's and kept as they are. Lines sent as Odoo's `[0, 0, {...}]`
    triples are replaced by their objects (in `order`, a copy of what was sent)."""
    text(order, "uid", f"{field}.uid", MAX_UID)
    whole_number(order, "sequence_number", f"{field}.sequence_number",
                 maximum=MAX_SEQUENCE_NUMBER)
    whole_number(order, "revision_ID", f"{field}.revision_ID", minimum=1)
    json_object(order, "ms_info", f"{field}.ms_info", optional=True)
    lines = order.get("lines", [])
    if not isinstance(lines, list):
        FIELDS.refuse(f"{field}.lines", "an array of line objects", lines)
    if len(lines) > MAX_LINES:
        raise ApiError(400, "too_many_lines", f"{field}.lines has {len(lines)} lines; an order "
                                              f"may have at most {MAX_LINES}")
    seen = set()
    for index, line in enumerate(lines):
        where = f"{field}.lines[{index}]"
        line = line_object(line)
        if line is None:
            FIELDS.refuse(where, "an object with a uid, or Odoo's [0, 0, {...}] triple of one",
                  lines[index])
        lines[index] = line
        uid = text(line, "uid", f"{where}.uid", MAX_LINE_UID)
        if uid in seen:
            raise ApiError(400, "duplicate_line_uid",
                           f"{where}.uid {shown(uid)} is used by another line of the order")
        seen.add(uid)
    fill_in(order)


def _copied(data):
    """`data` as far down as the checks, `wire.fill_in` and the merge change it in place (the
    dict, an order's line list and its lines, `order_data` likewise), so that the caller's
    value stays as it was; what is deeper is shared, never changed (a deep copy of every
    update cost more CPU than the merge)."""
    copied = dict(data)
    if isinstance(copied.get("lines"), list):
        copied["lines"] = [_copied_line(line) for line in copied["lines"]]
    if isinstance(copied.get("order_data"), dict):
        copied["order_data"] = _copied(copied["order_data"])
    if isinstance(copied.get("data"), dict):  # order_data's wrapper {"id", "data", ...}
        copied["data"] = _copied(copied["data"])
    return copied


def _copied_line(line):
    if isinstance(line, dict):
        return dict(line)
    if isinstance(line, list):
        return [dict(item) if isinstance(item, dict) else item for item in line]
    return line


def check_update(params):
    """The parameters of /pos_multi_session_sync/update as an `Update`, or ApiError 400."""
    multi_session_id = whole_number(params, "multi_session_id", "multi_session_id", minimum=1)
    dbname = text(params, "dbname", "dbname", MAX_DBNAME)
    user_id = whole_number(params, "user_ID", "user_ID", optional=True)
    message = json_object(params, "message", "message")
    action = text(message, "action", "message.action", MAX_ACTION)
    data = _copied(json_object(message, "data", "message.data"))
    session_id = whole_number(message, "session_id", "message.session_id", optional=True)
    login_number = whole_number(message, "login_number", "message.login_number", optional=True)
    if action == SYNC_ALL:
        _take_sync_all_keys(message, data)
    pos_id = whole_number(data, "pos_id", "message.data.pos_id", minimum=1)
    run_id = whole_number(data, "run_ID", "message.data.run_ID", minimum=1)
    check_data = ACTION_CHECKS.get(action)
    if check_data is not None:
        check_data(data)
    return Update(dbname=dbname, multi_session_id=multi_session_id, user_id=user_id,
                  action=action, data=data, session_id=session_id, login_number=login_number,
                  pos_id=pos_id, run_id=run_id)


def _take_sync_all_keys(message, data):
    """The original client puts `uid` and `immediate_rerendering` beside `data`, not in it (and
    its server reads them there): take them from either place."""
    for name in ("uid", "immediate_rerendering"):
        if name in message and name not in data:
            data[name] = message[name]


def _check_order_update(data):
    check_order(data, "message.data")
    # The original's nonce, (Math.random() + 1).toString(36).substring(7), is now and
    # then empty: taken, and never mistaken for a repeat.
    if data.get("nonce") == "":
        data["nonce"] = None
    else:
        text(data, "nonce", "message.data.nonce", MAX_NONCE)
    flag(data, "new_order", "message.data.new_order")


def _check_sync_all(data):
    text(data, "uid", "message.data.uid", MAX_UID, optional=True)
    flag(data, "immediate_rerendering", "message.data.immediate_rerendering")
    whole_number(data, "login_number", "message.data.login_number", optional=True)


def _check_removal(data):
    uid = text(data, "uid", "message.data.uid", MAX_UID)
    whole_number(data, "revision_ID", "message.data.revision_ID", minimum=1)
    flag(data, "finalized", "message.data.finalized")
    if "order_data" in data:
        data["order_data"] = order_data_object(data["order_data"], "message.data.order_data")
    order_data = json_object(data, "order_data", "message.data.order_data", optional=True)
    if order_data is not None:
        check_order(order_data, "message.data.order_data")
        if order_data["uid"] != uid:
            raise ApiError(400, "invalid_order_data",
                           f"message.data.order_data.uid {shown(order_data['uid'])} is "
                           f"not the uid of the order to remove, {shown(uid)}")


# What each action's data holds beyond pos_id and run_ID (another action: nothing checked).
ACTION_CHECKS = {UPDATE_ORDER: _check_order_update, SYNC_ALL: _check_sync_all,
                 REMOVE_ORDER: _check_removal}
