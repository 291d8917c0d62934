"""The server-side check: an order for a session that is not opened is refused (that order
only: point_of_sale's push isolates each order) and kept whole, so that a manager can attach it
to the config's open session instead of losing it."""
import json

from sqlalchemy import select, update

from addons.point_of_sale import OPENED, current_session, get_config, push_orders
from core.db import upsert
from core.errors import CoreError
from core.models import utc_now

from .models import RejectedOrder

REJECTION_CODE = "session_closed"

# What each state means to the people at the till (the original module swapped the last two).
STATE_WORDS = {
    "opening_control": "not opened yet (opening control)",
    "opened": "opened",
    "closing_control": "being closed (closing control)",
    "closed": "closed",
}


def state_words(state):
    return STATE_WORDS.get(state, state)


class AttachError(CoreError):
    pass


def refuse_if_not_opened(connection, order, session):
    """check_pos_order: None for an opened session; else keep the order and refuse it."""
    if session.state == OPENED:
        return None
    record_rejected(connection, order, session)
    return (REJECTION_CODE,
            f"session {session.name} is {state_words(session.state)}: this order was not "
            "recorded in it. It is kept on the server; a manager can attach it to the open "
            "session (Rejected orders), after which sending it again clears it here.")


def record_rejected(connection, order, session):
    """Insert or refresh the row of this uuid (a till re-sending never adds a second one)."""
    upsert(connection, RejectedOrder.__table__, {"uuid": order.uuid},
           {"session_id": session.id, "config_id": session.config_id,
            "payload": json.dumps(order.to_wire(), sort_keys=True, allow_nan=False),
            "rejected_at": utc_now()})


def pending(connection):
    """The rejected orders not attached yet, oldest first."""
    return connection.execute(select(RejectedOrder).where(
        RejectedOrder.attached_order_id.is_(None)).order_by(RejectedOrder.rejected_at,
                                                            RejectedOrder.id)).all()


def attach(connection, rejected_id, login, check_order=None):
    """Push the kept order again into its config's opened session and record where it went;
    return (order id, session row). Raises AttachError with a message for the manager."""
    row = connection.execute(select(RejectedOrder).where(
        RejectedOrder.id == rejected_id)).first()
    if row is None:
        raise AttachError(f"there is no rejected order {rejected_id}")
    if row.attached_order_id is not None:
        raise AttachError(f"order {row.uuid} is already attached (order "
                          f"{row.attached_order_id})")
    config = get_config(connection, row.config_id)
    target = current_session(connection, row.config_id)
    if target is None or target.state != OPENED:
        what = "no session" if target is None else \
            f"only session {target.name}, which is {state_words(target.state)}"
        raise AttachError(f"{config.name} has {what}: open a session first, then attach the "
                          "order")
    payload = json.loads(row.payload)
    payload["session_id"] = target.id
    # Its sequence number counted in the closed session: it must not move the open one's.
    payload["sequence_number"] = None
    result = push_orders(connection, [payload], check_order=check_order)[0]
    if result["status"] == "rejected":
        error = result["error"]
        raise AttachError(f"the order was refused: {error['message']} ({error['code']})")
    connection.execute(update(RejectedOrder).where(
        RejectedOrder.id == row.id, RejectedOrder.attached_order_id.is_(None)
    ).values(attached_order_id=result["order_id"], attached_to_session_id=target.id,
             attached_at=utc_now(), attached_by=login))
    return result["order_id"], target
