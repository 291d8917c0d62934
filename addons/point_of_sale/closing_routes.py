"""Closing a session from the till's page: its report so far (with what else is still selling on
it), and the closing itself with the counted cash. Closing is a manager's decision: it needs a
signed-in user, as opening does (routes.pos_open_session)."""
from flask import Blueprint, jsonify
from sqlalchemy import select

from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_object

from . import sessions
from .access import (
    ANY_CONFIG,
    caller_config_scope,
    require_session_access,
    require_staff_config,
)
from .approvals import approval_for, record_approval
from .closing import session_report
from .fields import Rejection
from .fields import amount as _amount
from .models import CLOSED, PosSession

closing_blueprint = Blueprint("point_of_sale_closing", __name__, url_prefix="/pos")


def open_tills(connection, manager, session):
    """What the installed addons say is still selling on (or with) this session."""
    if session.state == CLOSED:
        return []
    warnings = manager.hook.pos_session_open_tills(
        connection=connection, session_id=session.id, config_id=session.config_id)
    return [text for found in warnings for text in (found or [])]


@closing_blueprint.get("/session/<int:session_id>/report")
def pos_session_report(session_id):
    """The session's report (the closing's figures once closed) and `open_tills` warnings."""
    scope = caller_config_scope()
    with current_instance().engine.connect() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        require_session_access(scope, row, session_id)
        report = session_report(connection, session_id)
        report["open_tills"] = open_tills(connection, current_plugins(), row)
    return jsonify(report)


@closing_blueprint.post("/session/<int:session_id>/close")
def pos_close_session(session_id):
    """Close the session with the cash counted: `{"counted_cash": "152.40"}`, by a manager of
    the till signed in, or at a till signed in by anyone of it with a manager's PIN
    (`"approval": {"user_id", "pin"}`). The approval is kept with the session and journaled.
    Answers the session report, with the sealed closing's ticket number and link."""
    if caller_config_scope() is not ANY_CONFIG:
        raise ApiError(403, "manager_only", _('Only a manager can close a session: ask one to sign in '
                                              'on this till, or to close it from the admin.'))
    with current_instance().engine.connect() as connection:
        config_id = connection.scalar(select(PosSession.config_id)
                                      .where(PosSession.id == session_id))
    if config_id is None:
        raise ApiError(404, "unknown_session", _('there is no POS session %(session_id)s'
                                                 , session_id=session_id))
    require_staff_config(config_id)  # before the body: another till's manager learns nothing
    body = json_object()
    approved = approval_for(config_id, "closing", body.get("approval"))
    if body.get("counted_cash") is None:
        raise ApiError(400, "counted_cash_required", _('Count the cash in the drawer and send it as '
                                                       '"counted_cash", e.g. "152.40" (0 when the '
                                                       'drawer is empty).'))
    try:
        counted = _amount(body["counted_cash"], "counted_cash")
    except Rejection as rejection:
        raise ApiError(400, rejection.code, rejection.message) from None
    manager = current_plugins()
    engine = current_instance().engine
    with engine.begin() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        if row is None:
            raise ApiError(404, "unknown_session", _('there is no POS session %(session_id)s'
                                                     , session_id=session_id))
        if row.state == CLOSED:
            raise ApiError(409, "session_closed", _("Session %(name)s is already closed; its report is "
                                                    "on the admin's session page.", name=row.name))
        try:
            sessions.close_session(connection, row.config_id, manager, counted_cash=counted,
                                   session_id=session_id)
            record_approval(connection, row.config_id, "closing", approved,
                            session_id=session_id, details={"counted_cash": str(counted)})
        except sessions.SessionError as exc:
            raise ApiError(409, "session_conflict", _('%(exc)s: it was closed or changed at the same '
                                                      'moment; reload the page.', exc=exc)) from None
    sessions.announce_closed(engine, manager, session_id, row.config_id)
    with engine.connect() as connection:
        return jsonify(session_report(connection, session_id))
