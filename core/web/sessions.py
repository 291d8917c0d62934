"""Admin sessions, valid on the instance that issued them only.

The cookie (signed with this instance's `core.secret_key`) carries the user id, this instance's
db_name and a random session token; the instance keeps the token's SHA-256 in `core_session`.
A request is signed in only when that row exists for that user: signing out deletes it, so a
copied cookie stops working, and a cookie of another instance (even one that shares the
secret, as the old sync-server set-up did) finds no row here.

Cookies are marked `Secure` when the request came over HTTPS, which behind nginx the app learns
from X-Forwarded-Proto (werkzeug's ProxyFix, `core.proxy_count` proxies trusted).
"""
import hashlib
import secrets

from flask import request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import delete, select

from core.models import User, UserSession

USER, TOKEN, INSTANCE = "user_id", "session_token", "instance"


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(connection, cookie_session, user_id, db_name):
    """Sign `user_id` in: a fresh session row and cookie (whatever the cookie held before)."""
    token = secrets.token_urlsafe(32)
    connection.execute(UserSession.__table__.insert().values(id=_digest(token), user_id=user_id))
    cookie_session.clear()
    cookie_session.update({USER: user_id, TOKEN: token, INSTANCE: db_name})


def end_session(connection):
    """Sign the current session out, here and for every copy of its cookie."""
    token = session.get(TOKEN)
    if isinstance(token, str):
        connection.execute(delete(UserSession).where(UserSession.id == _digest(token)))
    session.clear()


def signed_in_account(connection):
    """The request's signed-in user as a row (id, login, role), or None (no session, a session
    that was signed out, or one another instance issued)."""
    from core.web import current_instance
    user_id, token = session.get(USER), session.get(TOKEN)
    if not isinstance(user_id, int) or not isinstance(token, str) \
            or session.get(INSTANCE) != current_instance().db_name:
        return None
    return connection.execute(
        select(User.id, User.login, User.role).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.id == _digest(token), User.id == user_id)).first()


def signed_in_user(connection):
    """The login of the request's signed-in user, or None (see `signed_in_account`)."""
    account = signed_in_account(connection)
    return account.login if account else None


def signed_in_user_id():
    """The signed-in user's id as the cookie says (call `signed_in_user` first to trust it)."""
    return session.get(USER)


class InstanceSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, `Secure` whenever the request itself was made over HTTPS.

    Tills call the bus hundreds of times a second, mostly without a cookie: a request without
    one gets an empty session without parsing cookies, and the signing serializer (costlier
    to build than a poll's own work) is built once per secret key, not per request."""

    def __init__(self):
        self._serializer = (None, None)  # (the secret keys it signs with, the serializer)

    def open_session(self, app, request):
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified and not session.accessed:
            return  # what Flask's own would do, without working out the cookie's attributes
        super().save_session(app, session, response)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached_keys, serializer = self._serializer
        if cached_keys != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def get_cookie_secure(self, app):
        return bool(super().get_cookie_secure(app) or request.is_secure)
