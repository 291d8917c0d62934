"""POST /pos_multi_session_sync/update: the one route tills call (plain JSON or Odoo's
JSON-RPC envelope), from the main instance's page or across origins on a separate server."""
from flask import Blueprint

from addons.pos_longpolling import caller_scope, json_route, require_pos
from core.web import current_instance

from .protocol import handle_update
from .validation import check_update

blueprint = Blueprint("pos_multi_session_sync", __name__, url_prefix="/pos_multi_session_sync")


@blueprint.post("/update")
@json_route
def update(params):
    """{multi_session_id, message: {action, data, session_id?, login_number?}, dbname,
    user_ID?} -> the action's reply (README.md). Callers as for the bus: a signed-in user, a
    POS token (only for its own POS: data.pos_id), or anyone with pos_longpolling.allow_public."""
    scope = caller_scope()  # 401 before saying anything about the parameters
    checked = check_update(params)
    require_pos(scope, checked.pos_id)
    return handle_update(current_instance().engine, checked)
