"""GET /pos_check_session_state/state/<session id>: what the till polls; and the static module."""
from flask import Blueprint, jsonify
from sqlalchemy import select

from addons.point_of_sale import OPENED, PosSession, caller_config_scope, require_session_access
from core.web import current_instance

blueprint = Blueprint("pos_check_session_state", __name__, url_prefix="/pos_check_session_state",
                      static_folder="static")


@blueprint.get("/state/<int:session_id>")
def session_state(session_id):
    """{"session_id", "state", "is_open"}: only "opened" is open. Callers as for the POS
    routes: a signed-in user, or a bearer token of the session's config (else 401 / 403)."""
    scope = caller_config_scope()  # 401 before telling anyone which sessions exist
    with current_instance().engine.connect() as connection:
        row = connection.execute(select(PosSession.id, PosSession.config_id, PosSession.name,
                                        PosSession.state)
                                 .where(PosSession.id == session_id)).first()
    require_session_access(scope, row, session_id)
    response = jsonify(session_id=row.id, name=row.name, state=row.state,
                       is_open=row.state == OPENED)
    response.headers["Cache-Control"] = "no-store"
    return response
