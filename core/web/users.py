"""Admin users: hashed passwords (werkzeug's scrypt/pbkdf2), looked up by login."""
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


def login_of(connection, user_id):
    return connection.scalar(select(User.login).where(User.id == user_id))
