"""Who may call the POS routes: a signed-in user (the POS page's cookie) for any config, or a
bearer token (`core token CONFIG_ID`) for the one config it names. Others get 401 JSON."""
from flask import request, session

from core.web import current_instance, current_plugins
from core.web.errors import ApiError
from core.web.users import login_of

from .tokens import TokenError, verify_token

ANY_CONFIG = None


def caller_config_scope():
    """ANY_CONFIG for a signed-in user, the token's config id for a bearer token; else 401."""
    instance = current_instance()
    header = request.headers.get("Authorization", "")
    with instance.engine.connect() as connection:
        if header.startswith("Bearer "):
            params = instance.parameters(connection, current_plugins())
            try:
                return verify_token(params.get("core.secret_key"), header[len("Bearer "):].strip(),
                                    params.get("point_of_sale.token_max_age"))
            except TokenError as exc:
                raise ApiError(401, "invalid_token", str(exc)) from None
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
