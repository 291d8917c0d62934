"""Users: hashed passwords (werkzeug's scrypt/pbkdf2), looked up by login, each with a role.

Roles go up: a `cashier` sells on the tills they are allowed on (the POS page only), a `manager`
also runs a shop's configs (sessions, closings, approvals, products and prices), an `admin` does
everything (addons, system parameters, users). Which tills a user is allowed on is not the
kernel's business: addons declare `UserScope`s (hook `register_user_scopes`), which the Users
page and `core user add --<scope> VALUE` fill in.
"""
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import CoreError
from core.i18n import _
from core.models import User

MIN_PASSWORD_LENGTH = 8
MAX_LOGIN_LENGTH = 64
CASHIER, MANAGER, ADMIN = "cashier", "manager", "admin"
ROLES = (CASHIER, MANAGER, ADMIN)  # each may do what the ones before it may


def role_allows(role, needed):
    """Whether a user of `role` may do what needs `needed` (an unknown role may do nothing)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def check_role(role):
    if role not in ROLES:
        raise CoreError(_("unknown role %(role)s: choose %(roles)s", role=repr(role),
                          roles=", ".join(ROLES)))
    return role


@dataclass(frozen=True)
class UserScope:
    """What an addon restricts a user to (point_of_sale: the POS configs they may sell on).

    `name` is the option of `core user add --<name> VALUE ...` and the Users page's field;
    `choices(connection)` the (value, label) pairs offered; `read(connection, user_id)` the
    values a user has; `write(connection, user_id, values)` replaces them (raise CoreError on
    a value that is not a choice)."""
    name: str
    label: str
    help: str
    choices: Callable
    read: Callable
    write: Callable


def set_password(connection, login, password, role=None):
    """Create the user (an admin unless `role` says otherwise) or change their password (and
    their role when `role` is given). Return True when the user is new."""
    login = (login or "").strip()
    if not login:
        raise CoreError(_("a login cannot be empty"))
    if len(login) > MAX_LOGIN_LENGTH:
        raise CoreError(_("a login has at most %(count)s characters", count=MAX_LOGIN_LENGTH))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise CoreError(_("a password needs at least %(count)s characters",
                          count=MIN_PASSWORD_LENGTH))
    values = {"password_hash": generate_password_hash(password)}
    if role is not None:
        values["role"] = check_role(role)
    table = User.__table__
    existing = connection.scalar(select(User.id).where(User.login == login))
    if existing is None:
        connection.execute(table.insert().values(**{"login": login, "role": ADMIN, **values}))
        return True
    connection.execute(table.update().where(table.c.id == existing).values(**values))
    return False


def set_role(connection, user_id, role):
    table = User.__table__
    connection.execute(table.update().where(table.c.id == user_id).values(role=check_role(role)))


def user_id_of(connection, login):
    return connection.scalar(select(User.id).where(User.login == (login or "").strip()))


def list_users(connection):
    """Every user's id, login and role, by login."""
    return connection.execute(select(User.id, User.login, User.role).order_by(User.login)).all()


def user_scopes(manager):
    """The `UserScope`s the installed addons declare, by name."""
    from core.plugins import flatten
    return {scope.name: scope for scope in flatten(manager, "register_user_scopes")}


def authenticate(connection, login, password):
    """The user's id if the password matches, else None."""
    row = connection.execute(
        select(User.id, User.password_hash).where(User.login == (login or "").strip())).first()
    if row is None or not check_password_hash(row.password_hash, password or ""):
        return None
    return row.id


def has_any_user(connection):
    return connection.scalar(select(User.id).limit(1)) is not None


def login_of(connection, user_id):
    return connection.scalar(select(User.login).where(User.id == user_id))


class SignInThrottle:
    """Refuse sign-ins for a login after `limit` failures within `window` seconds, so a password
    cannot be guessed at network speed. Kept per process: with N workers an attacker gets at
    most N times the limit, which still turns millions of guesses into a handful."""

    def __init__(self, limit=5, window=300.0, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures = {}

    def _recent(self, login):
        cutoff = self.clock() - self.window
        recent = [t for t in self._failures.get(login, []) if t > cutoff]
        self._failures[login] = recent
        return recent

    def wait_seconds(self, login):
        """0 when `login` may try now, else how long until it may."""
        recent = self._recent(login)
        if len(recent) < self.limit:
            return 0
        return max(1, int(recent[0] + self.window - self.clock()) + 1)

    def failed(self, login):
        self._recent(login).append(self.clock())

    def succeeded(self, login):
        self._failures.pop(login, None)
