"""POST /pos_multi_session_sync/update: the one route tills call (plain JSON or Odoo's
JSON-RPC envelope), from the main instance's page or across origins on a separate server."""
from flask import Blueprint

from addons.point_of_sale import ANY_CONFIG
from addons.pos_longpolling import caller_scope, json_route, require_pos
from core.db import autocommit_read
from core.web import current_instance, current_plugins
from core.web.errors import ApiError

from .protocol import RunJump, handle_update
from .validation import check_update

blueprint = Blueprint("pos_multi_session_sync", __name__, url_prefix="/pos_multi_session_sync")


@blueprint.post("/update")
@json_route
def update(params):
    """{multi_session_id, message: {action, data, session_id?, login_number?}, dbname,
    user_ID?} -> the action's reply (README.md). Callers as for the bus: a signed-in user, a
    POS token (only for its own instance, POS and multi-sessions), or anyone with
    pos_longpolling.allow_public."""
    scope = caller_scope()  # 401 before saying anything about the parameters
    checked = check_update(params)
    require_pos(scope, checked.pos_id, checked.dbname)
    try:
        return handle_update(current_instance().engine, checked, run_limit(scope, checked))
    except RunJump as exc:
        raise ApiError(403, "forbidden_run", str(exc)) from None


def run_limit(scope, checked):
    """The furthest run this caller may move the multi-session to: for a token, the run its
    main instance signed (403 if the token's config is not in that multi-session); for other
    callers None, which lets a run move one step at most.

    A token of this very instance is also checked against its config's membership now (the
    claims `extend_pos_token` gives today), not only the token's memory of it: a config that
    left the multi-session (or a multi-session switched off) loses it at once. A separate sync
    server has only the token's word, for as long as the token lives
    (point_of_sale.token_max_age)."""
    if scope is ANY_CONFIG:
        return None
    signed_run = scope.multi_sessions.get(checked.multi_session_id)
    if signed_run is None:
        raise ApiError(403, "forbidden_multi_session",
                       f"POS config {scope.config_id} of {scope.db_name!r}"
                       f" does not belong to multi-session {checked.multi_session_id} (as its "
                       f"token says): reload the till if its multi-session changed")
    instance = current_instance()
    if scope.db_name == instance.db_name:
        claims = {"multi_sessions": {}}
        with autocommit_read(instance.engine) as connection:
            current_plugins().hook.extend_pos_token(connection=connection,
                                                    config_id=scope.config_id, claims=claims)
        if checked.multi_session_id not in claims["multi_sessions"]:
            raise ApiError(403, "forbidden_multi_session",
                           f"POS config {scope.config_id} no longer belongs to multi-session "
                           f"{checked.multi_session_id} (or it is switched off): reload the "
                           f"till")
    return signed_run
