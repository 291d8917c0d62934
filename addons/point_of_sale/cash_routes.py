"""Cash control from the till's page (cash_control.py): the session's float and moves, and
recording one. A move above the config's limit needs a manager's approval (approvals.py): a
signed-in manager of the till, or a manager's PIN typed at it (`"approval": {"user_id",
"pin"}`); the approval is kept with the session and journaled."""
from flask import Blueprint, jsonify
from sqlalchemy import select

from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object
from core.web.sessions import signed_in_user

from .access import caller_config_scope, require_session_access
from .approvals import approval_for, record_approval
from .cash_control import (
    CASH_IN,
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
    "amount", "reason", "denominations"}`, and above the config's limit a manager's
    `"approval": {"user_id", "pin"}` unless a manager of the till is signed in. Answers
    `status` (created | duplicate), the move and the session's cash state."""
    scope = caller_config_scope()
    manager = current_plugins()
    engine = current_instance().engine
    with engine.connect() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        require_session_access(scope, row, session_id)
        move, approval = _move_of_request()
        limit = approval_limit(connection, row.config_id, manager)
        login = signed_in_user(connection)
    action = "cash_in" if move["kind"] == CASH_IN else "cash_out"
    # Before the write: a PIN's check writes its own count of failures.
    approved = approval_for(row.config_id, action, approval) if needs_approval(move, limit) \
        else None
    with engine.begin() as connection:
        row = _open_session(connection, session_id)
        try:
            status, stored = record_cash_move(connection, session_id, move, by_login=login or "",
                                              approved_by=approved.approver if approved else "")
        except CashRefusal as refusal:
            raise ApiError(refusal.status, refusal.code, refusal.message) from None
        if status == "created":
            _journal_move(connection, row, stored, move, action, approved)
        state = _cash_state(connection, row, manager)
    response = jsonify(status=status, move=move_record(stored), **state)
    response.status_code = 201 if status == "created" else 200
    return response


def _move_of_request():
    """(the move the request's body sends, parsed; its "approval" or None)."""
    body = json_object()
    approval = body.pop("approval", None)
    try:
        return parse_cash_move(body), approval
    except CashRefusal as refusal:
        raise ApiError(refusal.status, refusal.code, refusal.message) from None


def _open_session(connection, session_id):
    """The session's row; 409 once it is closing or closed."""
    row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
    if row.state in (CLOSING_CONTROL, CLOSED):
        raise ApiError(409, "session_closed", _(
            'Session %(name)s is %(state)s: cash moves belong to an open session.',
            name=row.name, state=row.state.replace('_', ' ')))
    return row


def _journal_move(connection, row, stored, move, action, approved):
    """A move just stored, journaled in the same transaction (journal.py, sealed), with its
    manager's approval kept with the session (approvals.py)."""
    details = move_record(stored)
    details["move"] = details.pop("kind")
    record_event(connection, CASH_MOVE_EVENT, row.config_id, session=row.name, **details)
    if approved is not None:
        record_approval(connection, row.config_id, action, approved, session_id=row.id,
                        details={"cash_move": move["uuid"], "amount": str(move["amount"]),
                                 "reason": move["reason"]})



