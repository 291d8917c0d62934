"""Admin sessions, valid on the instance that issued them only.

The cookie (signed with this instance's `core.secret_key`) carries the user id, this instance's
db_name and a random session token; the instance keeps the token's SHA-256 in `core_session`.
A request is signed in only when that row exists for that user: signing out deletes it, so a
copied cookie stops working, and a cookie of another instance (even one that shares the
secret, as the old sync-server set-up did) finds no row here.

Sessions end by themselves: after `core.session_idle_seconds` without a request (the cookie
carries when it was last used, refreshed at most once a minute, so a copy left unused expires
whatever the other copies do), after `core.session_max_seconds` since sign-in whatever the
activity (the row's `created_at`), and when the user's password changes (the cookie carries a
digest of the password hash it was signed in with; any new hash, even of the same password,
differs). A session of the form before these limits (no such stamps) is signed out.

Cookies are marked `Secure` when the request came over HTTPS, which behind nginx the app learns
from X-Forwarded-Proto (werkzeug's ProxyFix, `core.proxy_count` proxies trusted).
"""
import hashlib
import secrets
import time

from flask import current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, delete, select

from core.models import User, UserSession
from core.times import as_utc

USER, TOKEN, INSTANCE = "user_id", "session_token", "instance"
SEEN, PASSWORD = "seen", "password"  # last use (epoch seconds), digest of the password hash
SEEN_REFRESH = 60  # seconds: the cookie's last use is rewritten at most this often
LIMITS = "core.session_limits"  # app.extensions: (idle seconds, absolute seconds)


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _password_stamp(password_hash):
    return hashlib.sha256(("session:" + password_hash).encode()).hexdigest()[:32]


def start_session(connection, cookie_session, user_id, db_name):
    """Sign `user_id` in: a fresh session row and cookie (whatever the cookie held before)."""
    token = secrets.token_urlsafe(32)
    connection.execute(UserSession.__table__.insert().values(id=_digest(token), user_id=user_id))
    password_hash = connection.scalar(select(User.password_hash).where(User.id == user_id))
    cookie_session.clear()
    cookie_session.update({USER: user_id, TOKEN: token, INSTANCE: db_name,
                           SEEN: int(time.time()), PASSWORD: _password_stamp(password_hash)})


def end_session(connection):
    """Sign the current session out, here and for every copy of its cookie."""
    token = session.get(TOKEN)
    if isinstance(token, str):
        connection.execute(delete(UserSession).where(UserSession.id == _digest(token)))
    session.clear()


def signed_in_account(connection):
    """The request's signed-in user as a row (id, login, role), or None (no session, a session
    that was signed out, or one another instance issued)."""
    user_id, token, seen = session.get(USER), session.get(TOKEN), session.get(SEEN)
    if not _cookie_is_ours(user_id, token):
        return None
    idle, longest = current_app.extensions.get(LIMITS, DEFAULT_LIMITS)
    now = time.time()
    if not _seen_lately(seen, idle, now):
        return None  # unused for too long (or a cookie from before the limits)
    row = _live_session(connection, user_id, token, longest, now)
    if row is not None and now - seen >= SEEN_REFRESH:
        session[SEEN] = int(now)  # the cookie goes out again with the answer
    return row


def may_be_signed_in():
    """Whether the request's cookie may still sign it in, as far as can be told without the
    database (`signed_in_account` then looks its session up): a caller without one can be
    refused before a route opens a transaction for it."""
    user_id, token, seen = session.get(USER), session.get(TOKEN), session.get(SEEN)
    idle, _longest = current_app.extensions.get(LIMITS, DEFAULT_LIMITS)
    return _cookie_is_ours(user_id, token) and _seen_lately(seen, idle, time.time())


def _cookie_is_ours(user_id, token):
    """Whether the cookie names a user and a token, issued by this instance."""
    from core.web import current_instance
    return isinstance(user_id, int) and isinstance(token, str) \
        and session.get(INSTANCE) == current_instance().db_name


def _seen_lately(seen, idle, now):
    """Whether the cookie's last-seen time is within the idle limit (and not in the future)."""
    return not isinstance(seen, bool) and isinstance(seen, int) and now - idle < seen <= now + 60


# Built once: every signed-in request runs it, and building it cost more than running it.
LIVE_SESSION = (
    select(User.id, User.login, User.role, User.password_hash, UserSession.created_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.id == bindparam("digest"), User.id == bindparam("user")))


def _live_session(connection, user_id, token, longest, now):
    """The user's row with its session, unless the session is gone, the password changed since
    it began, or it is older than the absolute limit."""
    row = connection.execute(LIVE_SESSION, {"digest": _digest(token), "user": user_id}).first()
    if row is None or session.get(PASSWORD) != _password_stamp(row.password_hash) \
            or _age_seconds(row.created_at, now) >= longest:
        return None
    return row


def signed_in_user(connection):
    """The login of the request's signed-in user, or None (see `signed_in_account`)."""
    account = signed_in_account(connection)
    return account.login if account else None


def _age_seconds(created_at, now):
    return now - as_utc(created_at).timestamp()  # SQLite gives back naive UTC


DEFAULT_LIMITS = (8 * 3600, 7 * 24 * 3600)


def configure_limits(app, parameters):
    """The idle and absolute limits, read when the app is built (it is rebuilt when a
    parameter changes)."""
    app.extensions[LIMITS] = (parameters.get("core.session_idle_seconds"),
                              parameters.get("core.session_max_seconds"))


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
