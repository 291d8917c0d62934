"""Who may call the POS routes: a signed-in user (the POS page's cookie) for any config, or a
bearer token (`core token CONFIG_ID`) for the one config it names. Others get 401 JSON."""
from flask import current_app, request, session

from core.web import current_instance
from core.web.errors import ApiError
from core.web.users import login_of

from .tokens import TokenError, verify_token

ANY_CONFIG = None
TOKEN_MAX_AGE = "point_of_sale.token_max_age"  # app.extensions key, set by hooks.configure_app


def caller_config_scope():
    """ANY_CONFIG for a signed-in user, the token's config id for a bearer token; else 401.
    A token is checked without the database (tills poll often): the secret and the maximum
    age are the app's, read when it was built (it is rebuilt when a parameter changes)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            return verify_token(current_app.config["SECRET_KEY"],
                                header[len("Bearer "):].strip(),
                                current_app.extensions[TOKEN_MAX_AGE])
        except TokenError as exc:
            raise ApiError(401, "invalid_token", str(exc)) from None
    with current_instance().engine.connect() as connection:
        user_id = session.get("user_id")
        if user_id is not None and login_of(connection, user_id) is not None:
            return ANY_CONFIG
    raise ApiError(401, "unauthorized", "sign in at /web/login, or send 'Authorization: Bearer "
                                        "<token>' with a token from `core token CONFIG_ID`")


def require_config_access(config_id):
    scope = caller_config_scope()
    if scope is not ANY_CONFIG and scope != config_id:
        raise ApiError(403, "forbidden", f"your token is for POS config {scope}, not {config_id}")
    return scope
