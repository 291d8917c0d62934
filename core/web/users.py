"""Admin users: hashed passwords (werkzeug's scrypt/pbkdf2), looked up by login."""
import time

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.errors import CoreError
from core.models import User

MIN_PASSWORD_LENGTH = 8


def set_password(connection, login, password):
    """Create the user or change their password. Return True when the user is new."""
    login = (login or "").strip()
    if not login:
        raise CoreError("a login cannot be empty")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise CoreError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    table = User.__table__
    hashed = generate_password_hash(password)
    existing = connection.scalar(select(User.id).where(User.login == login))
    if existing is None:
        connection.execute(table.insert().values(login=login, password_hash=hashed))
        return True
    connection.execute(table.update().where(table.c.id == existing).values(password_hash=hashed))
    return False


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
