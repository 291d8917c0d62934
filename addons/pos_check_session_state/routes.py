"""GET /pos_check_session_state/state/<session id>: what the till polls; and the static module."""
from flask import Blueprint, jsonify
from sqlalchemy import select

from addons.point_of_sale import OPENED, PosSession, caller_config_scope, require_config_access
from core.web import current_instance
from core.web.errors import ApiError

blueprint = Blueprint("pos_check_session_state", __name__, url_prefix="/pos_check_session_state",
                      static_folder="static")


@blueprint.get("/state/<int:session_id>")
def session_state(session_id):
    """{"session_id", "state", "is_open"}: only "opened" is open. Callers as for the POS
    routes: a signed-in user, or a bearer token of the session's config (else 401 / 403)."""
    caller_config_scope()  # 401 before telling anyone which sessions exist
    with current_instance().engine.connect() as connection:
        row = connection.execute(select(PosSession.id, PosSession.config_id, PosSession.name,
                                        PosSession.state)
                                 .where(PosSession.id == session_id)).first()
    if row is None:
        raise ApiError(404, "unknown_session", f"there is no POS session {session_id}")
    require_config_access(row.config_id)
    response = jsonify(session_id=row.id, name=row.name, state=row.state,
                       is_open=row.state == OPENED)
    response.headers["Cache-Control"] = "no-store"
    return response
