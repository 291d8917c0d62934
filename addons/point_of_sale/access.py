"""Who may call the POS routes: a signed-in user (the POS page's cookie) for the configs they
may use (an admin: every config; a cashier or manager: the configs they are allowed on, staff.py),
or a bearer token (`core token CONFIG_ID`) of this instance for the one config it names. Others
get 401 JSON; a signed-in user on a config that is not theirs gets 403."""
from flask import current_app, g, request

from core.db import autocommit_read
from core.i18n import _
from core.web import current_instance
from core.web.errors import ApiError
from core.web.sessions import may_be_signed_in, signed_in_account
from core.web.users import ADMIN, MANAGER, role_allows

from . import sessions
from .staff import allowed_config_ids
from .tokens import TokenError, verify_token

ANY_CONFIG = None
TOKEN_MAX_AGE = "point_of_sale.token_max_age"  # app.extensions keys, set by hooks.configure_app
TOKEN_KEYS = "point_of_sale.token_keys"


def caller_credentials(connection=None):
    """ANY_CONFIG for a signed-in user, the `PosToken` of a bearer token (of this instance or
    of one it trusts); else 401. A token is checked without the database (tills poll often):
    the keys and the maximum age are the app's, read when it was built (it is rebuilt when a
    parameter changes). A signed-in user is looked up on `connection` when given (a route's
    own transaction: no other connection taken from the pool)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        try:
            return verify_token(current_app.extensions[TOKEN_KEYS],
                                header[len("Bearer "):].strip(),
                                current_app.extensions[TOKEN_MAX_AGE])
        except TokenError as exc:
            raise ApiError(401, "invalid_token", str(exc)) from None
    account = _signed_in(connection) if may_be_signed_in() else None  # else no lookup at all
    if account is not None:
        g.pos_account = account
        return ANY_CONFIG
    raise ApiError(401, "unauthorized", _("sign in at /web/login, or send 'Authorization: Bearer "
                                          "<token>' with a token from `core token CONFIG_ID`"))


def _signed_in(connection):
    if connection is not None:
        return signed_in_account(connection)
    with autocommit_read(current_instance().engine) as reading:  # one round trip
        return signed_in_account(reading)


def session_to_look_up():
    """Whether `caller_credentials` would look a session up in the database: no bearer token,
    and a session cookie of this instance that may still be valid. Every other caller is
    answered without the database."""
    return not request.headers.get("Authorization", "").startswith("Bearer ") \
        and may_be_signed_in()


def caller_config_scope(connection=None):
    """ANY_CONFIG for a signed-in user, the config id of a token of this instance; else 401,
    or 403 for a token another instance issued (it opens that instance's tills only). See
    `caller_credentials` for `connection`."""
    scope = caller_credentials(connection)
    if scope is ANY_CONFIG:
        return ANY_CONFIG
    if scope.db_name != current_instance().db_name:
        raise ApiError(403, "foreign_token", f"your token was issued by instance "
                                             f"{scope.db_name!r}; it opens that instance's tills "
                                             f"only")
    return scope.config_id


def staff_config_ids():
    """After `caller_credentials()`: the configs a signed-in cashier or manager may use, or
    None when the caller is not limited that way (an admin, or a token: see its scope)."""
    account = g.get("pos_account")
    if account is None or role_allows(account.role, ADMIN):
        return None
    if "pos_staff_configs" not in g:
        with autocommit_read(current_instance().engine) as connection:
            g.pos_staff_configs = frozenset(allowed_config_ids(connection, account.id))
    return g.pos_staff_configs


def require_staff_config(config_id):
    """403 for a signed-in cashier or manager on a config they are not allowed on."""
    allowed = staff_config_ids()
    if allowed is not None and config_id not in allowed:
        account = g.pos_account
        raise ApiError(403, "not_your_till", _('%(login)s is not allowed on POS config %(config_id)s: '
                                               'an admin can allow them on the Users page'
                                               , login=account.login, config_id=config_id))


def require_config_access(config_id):
    scope = caller_config_scope()
    if scope is not ANY_CONFIG and scope != config_id:
        raise ApiError(403, "forbidden", _('your token is for POS config %(scope)s, not %(config_id)s'
                                           , scope=scope, config_id=config_id))
    require_staff_config(config_id)
    return scope


def require_manager(config_id, action):
    """A signed-in manager of `config_id` (or an admin), for a manager's decision (`action`,
    e.g. "open a session"): 401 to a visitor, 403 to a token, a cashier or another till's
    manager. With `config_id` None, call `require_staff_config` once the config is known."""
    if request.headers.get("Authorization"):
        raise ApiError(403, "manager_only", _('Only a signed-in manager can %(action)s: ask one to sign '
                                              'in on this till, or to do it from the admin.'
                                              , action=action))
    with autocommit_read(current_instance().engine) as connection:
        account = signed_in_account(connection)
    if account is None:
        raise ApiError(401, "unauthorized", _('Sign in as a manager to %(action)s.', action=action))
    g.pos_account = account
    if not role_allows(account.role, MANAGER):
        raise ApiError(403, "manager_only", _('Only a manager can %(action)s; %(login)s is a %(role)s.'
                                              , action=action, login=account.login, role=account.role))
    if config_id is not None:
        require_staff_config(config_id)
    return account


def require_session_access(scope, session_row, session_id):
    """After `caller_config_scope()` (so that nobody without credentials learns which session
    ids exist): 404 for an unknown session to a signed-in user; 403 to a token for a session
    that is not its config's, whether it exists or not (a token cannot enumerate them)."""
    if scope is not ANY_CONFIG and (session_row is None or session_row.config_id != scope):
        raise ApiError(403, "forbidden", _('your token is for POS config %(scope)s; session '
                                           '%(session_id)s is not one of its sessions'
                                           , scope=scope, session_id=session_id))
    allowed = staff_config_ids()
    if allowed is not None and (session_row is None or session_row.config_id not in allowed):
        raise ApiError(403, "not_your_till", _('session %(session_id)s is not of a till %(login)s is '
                                               'allowed on'
                                               , session_id=session_id, login=g.pos_account.login))
    if session_row is None:
        raise ApiError(404, "unknown_session", _('there is no POS session %(session_id)s'
                                                 , session_id=session_id))


def config_or_404(connection, config_id):
    """The POS config `config_id`, else the JSON 404 `unknown_config` every route answers."""
    try:
        return sessions.get_config(connection, config_id)
    except sessions.SessionError as exc:
        raise ApiError(404, "unknown_config", str(exc)) from None
