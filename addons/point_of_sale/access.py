"""Who may call the POS routes: a signed-in user (the POS page's cookie) for any config, or a
bearer token (`core token CONFIG_ID`) of this instance for the one config it names. Others get
401 JSON."""
from flask import current_app, request

from core.db import autocommit_read
from core.web import current_instance
from core.web.errors import ApiError
from core.web.sessions import signed_in_user

from .tokens import TokenError, verify_token

ANY_CONFIG = None
TOKEN_MAX_AGE = "point_of_sale.token_max_age"  # app.extensions keys, set by hooks.configure_app
TOKEN_KEYS = "point_of_sale.token_keys"


def caller_credentials():
    """ANY_CONFIG for a signed-in user, the `PosToken` of a bearer token (of this instance or
    of one it trusts); else 401. A token is checked without the database (tills poll often):
    the keys and the maximum age are the app's, read when it was built (it is rebuilt when a
    parameter changes)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            return verify_token(current_app.extensions[TOKEN_KEYS],
                                header[len("Bearer "):].strip(),
                                current_app.extensions[TOKEN_MAX_AGE])
        except TokenError as exc:
            raise ApiError(401, "invalid_token", str(exc)) from None
    with autocommit_read(current_instance().engine) as connection:  # one round trip
        if signed_in_user(connection) is not None:
            return ANY_CONFIG
    raise ApiError(401, "unauthorized", "sign in at /web/login, or send 'Authorization: Bearer "
                                        "<token>' with a token from `core token CONFIG_ID`")


def caller_config_scope():
    """ANY_CONFIG for a signed-in user, the config id of a token of this instance; else 401,
    or 403 for a token another instance issued (it opens that instance's tills only)."""
    scope = caller_credentials()
    if scope is ANY_CONFIG:
        return ANY_CONFIG
    if scope.db_name != current_instance().db_name:
        raise ApiError(403, "foreign_token", f"your token was issued by instance "
                                             f"{scope.db_name!r}; it opens that instance's tills "
                                             f"only")
    return scope.config_id


def require_config_access(config_id):
    scope = caller_config_scope()
    if scope is not ANY_CONFIG and scope != config_id:
        raise ApiError(403, "forbidden", f"your token is for POS config {scope}, not {config_id}")
    return scope


def require_session_access(scope, session_row, session_id):
    """After `caller_config_scope()` (so that nobody without credentials learns which session
    ids exist): 404 for an unknown session to a signed-in user; 403 to a token for a session
    that is not its config's, whether it exists or not (a token cannot enumerate them)."""
    if scope is not ANY_CONFIG and (session_row is None or session_row.config_id != scope):
        raise ApiError(403, "forbidden", f"your token is for POS config {scope}; session "
                                         f"{session_id} is not one of its sessions")
    if session_row is None:
        raise ApiError(404, "unknown_session", f"there is no POS session {session_id}")
