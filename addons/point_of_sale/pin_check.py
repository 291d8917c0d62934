"""A PIN typed at a till, checked: who it names, whether they may use the till (and have the
role needed), the failures counted. Used by the cashier switch (staff_routes.py) and by manager
approvals (approvals.py), which therefore do not import each other."""
from sqlalchemy import select

from core.i18n import _
from core.models import User
from core.web import current_instance, current_plugins
from core.web.errors import ApiError
from core.web.users import role_allows

from .staff import LOCK_SECONDS, MAX_FAILURES, PinRefused, PosConfigUser, check_pin

MAX_USER_ID = 2**31 - 1  # users.id is an INTEGER: past it PostgreSQL refuses the query
PIN_STATUS = {"wrong_pin": 403, "pin_locked": 429, "no_pin": 409, "not_on_this_till": 404}


def pin_limits(connection):
    instance = current_instance()
    parameters = instance.parameters(connection, current_plugins())
    return parameters.get(MAX_FAILURES), parameters.get(LOCK_SECONDS)


def till_user(connection, config_id, user_id):
    """The user `user_id` if they may use `config_id`'s till (listed on it), else None."""
    return connection.execute(
        select(User.id, User.login, User.role)
        .join(PosConfigUser, PosConfigUser.user_id == User.id)
        .where(User.id == user_id, PosConfigUser.config_id == config_id)).first()


def verify_till_pin(config_id, body, needed=None):
    """The user a till's `{"user_id", "pin"}` names, once their PIN matched (and their role is
    `needed` or above); else the JSON refusal. A wrong PIN is counted, committed, then refused."""
    user_id, pin = body.get("user_id"), body.get("pin")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(pin, str) \
            or not 1 <= user_id <= MAX_USER_ID:
        raise ApiError(400, "invalid_body", _('send {"user_id": <a cashier\'s id>, "pin": "1234"}'))
    refusal = None
    with current_instance().engine.begin() as connection:
        user = till_user(connection, config_id, user_id)
        if user is None:
            refusal = PinRefused("not_on_this_till", f"user {user_id} is not allowed on this "
                                                     "till: an admin can allow them on the "
                                                     "Users page")
        elif needed is not None and not role_allows(user.role, needed):
            raise ApiError(403, "manager_only", _("%(login)s is a %(role)s: a %(needed)s's PIN is needed"
                                                  , login=user.login, role=user.role, needed=needed))
        else:
            try:
                check_pin(connection, user_id, pin, *pin_limits(connection))
            except PinRefused as refused:
                refusal = refused
    if refusal is not None:
        error = ApiError(PIN_STATUS[refusal.code], refusal.code, refusal.message)
        raise error
    return user
