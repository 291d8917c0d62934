"""Cash control from the till's page (cash_control.py): the session's float and moves, and
recording one. A move above the config's approval limit needs a manager: until roles exist
(staff), a signed-in user is the manager and a till's bearer token is not."""

from flask import Blueprint, jsonify
from sqlalchemy import select

from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object
from core.web.sessions import signed_in_user

from .access import caller_config_scope, require_manager, require_session_access
from .cash_control import (
    CashRefusal,
    approval_limit,
    cash_moves,
    move_record,
    needs_approval,
    parse_cash_move,
    record_cash_move,
)
from .closing import session_figures
from .journal import record_event
from .models import CLOSED, CLOSING_CONTROL, PosSession

CASH_MOVE_EVENT = "cash_move"  # the journal's kind for an opening float, cash in or cash out

cash_blueprint = Blueprint("point_of_sale_cash", __name__, url_prefix="/pos")


def _cash_state(connection, session, manager):
    figures = session_figures(connection, session.id, cash=True)
    return {"session_id": session.id,
            "approval_limit": str(approval_limit(connection, session.config_id, manager)),
            "moves": [move_record(row) for row in cash_moves(connection, session.id)],
            **{key: figures[key] for key in ("opening_float", "cash_sales", "cash_refunds",
                                             "cash_in", "cash_out", "expected_cash")}}


def _approving_manager(config_id, move, limit):
    """The signed-in manager of the till who approves a move above the limit (roles: a
    manager or an admin), else 403 approval_required (401 to a visitor)."""
    try:
        return require_manager(config_id, f"approve a cash {move['kind']} of more than "
                                          f"{limit:.2f}").login
    except ApiError as refusal:
        if refusal.status != 403:
            raise
        raise ApiError(403, "approval_required", f"A cash {move['kind']} of more than "
                       f"{limit:.2f} needs a manager: {refusal.message}") from None


@cash_blueprint.get("/session/<int:session_id>/cash")
def pos_session_cash(session_id):
    """The session's opening float, cash moves, the approval limit and the expected cash."""
    scope = caller_config_scope()
    with current_instance().engine.connect() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        require_session_access(scope, row, session_id)
        return jsonify(_cash_state(connection, row, current_plugins()))


@cash_blueprint.post("/session/<int:session_id>/cash")
def pos_record_cash_move(session_id):
    """Record the opening float or a cash in / out: `{"uuid", "kind": "float"|"in"|"out",
    "amount", "reason", "denominations"}`. Answers `status` (created | duplicate), the move and
    the session's cash state."""
    scope = caller_config_scope()
    manager = current_plugins()
    with current_instance().engine.begin() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        require_session_access(scope, row, session_id)
        body = json_object()
        try:
            move = parse_cash_move(body)
        except CashRefusal as refusal:
            raise ApiError(refusal.status, refusal.code, refusal.message) from None
        if row.state in (CLOSING_CONTROL, CLOSED):
            raise ApiError(409, "session_closed", f"Session {row.name} is {row.state.replace('_', ' ')}"
                           ": cash moves belong to an open session.")
        login = signed_in_user(connection)
        approved_by = ""
        limit = approval_limit(connection, row.config_id, manager)
        if needs_approval(move, limit):
            approved_by = _approving_manager(row.config_id, move, limit)
        try:
            status, stored = record_cash_move(connection, session_id, move, by_login=login or "",
                                              approved_by=approved_by)
        except CashRefusal as refusal:
            raise ApiError(refusal.status, refusal.code, refusal.message) from None
        if status == "created":  # journaled in the same transaction (journal.py, sealed)
            details = move_record(stored)
            details["move"] = details.pop("kind")
            record_event(connection, CASH_MOVE_EVENT, row.config_id, session=row.name,
                         **details)
        state = _cash_state(connection, row, manager)
    response = jsonify(status=status, move=move_record(stored), **state)
    response.status_code = 201 if status == "created" else 200
    return response



