"""Bearer tokens for clients without the admin cookie (another till app, a separate sync server).

A token names the instance that issued it (its db_name), one POS config of it, and the claims
addons add (`extend_pos_token`: pos_multi_session adds the multi-sessions the config belongs to
with their current run). It is signed with the issuing instance's `point_of_sale.token_key`, a
key used for POS tokens only (never the key that signs admin sessions), and expires
(`point_of_sale.token_max_age`). A separate sync server verifies it without a database lookup
with the keys it trusts (`point_of_sale.trusted_token_keys`: one key per main instance, so one
main instance cannot speak for another).
"""
import logging
import re
from dataclasses import dataclass, field

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.errors import CoreError

SALT = "point_of_sale.token.v2"
VERSION = 2
RELOAD = "reload the till's page (or run `core token CONFIG_ID` again) for a new one"
log = logging.getLogger(__name__)


class TokenError(CoreError):
    pass


@dataclass(frozen=True)
class PosToken:
    """What a verified token says: the instance (`db_name`) and config it opens, and
    `multi_sessions` {multi-session id: the run the main instance was on when it signed}."""
    db_name: str
    config_id: int
    multi_sessions: dict = field(default_factory=dict)


def issue_token(key, db_name, config_id, multi_sessions=None):
    claims = {"v": VERSION, "db": db_name, "config_id": int(config_id),
              "multi_sessions": {str(k): int(v) for k, v in (multi_sessions or {}).items()}}
    return URLSafeTimedSerializer(key, salt=SALT).dumps(claims)


def issue_config_token(connection, instance, manager, config_id):
    """A token of this instance for `config_id`, with the claims installed addons add."""
    claims = {"multi_sessions": {}}
    manager.hook.extend_pos_token(connection=connection, config_id=config_id, claims=claims)
    key = instance.parameters(connection, manager).get("point_of_sale.token_key")
    if not key:
        raise TokenError("point_of_sale.token_key is empty: run `core upgrade` to generate it")
    return issue_token(key, instance.db_name, config_id, claims["multi_sessions"])


def verify_token(keys, token, max_age):
    """The `PosToken` of a token signed by one of `keys` ({db_name: [key, ...]}: the instances
    this server trusts); TokenError says why it is refused, in words a person can act on."""
    serializer = URLSafeTimedSerializer(b"unused", salt=SALT)
    try:
        _, unverified = serializer.loads_unsafe(token)
    except Exception:  # loads_unsafe is documented not to raise; a garbled token may still
        unverified = None
    if not isinstance(unverified, dict) or unverified.get("v") != VERSION:
        raise TokenError("this is not a POS token of the current form (tokens signed with "
                         "core.secret_key are no longer accepted): " + RELOAD)
    db_name = unverified.get("db")
    instance_keys = keys.get(db_name) if isinstance(db_name, str) else None
    if not instance_keys:
        raise TokenError(f"this server does not trust POS tokens of instance {db_name!r}"[:200]
                         + " (point_of_sale.trusted_token_keys)")
    try:
        data = URLSafeTimedSerializer(list(instance_keys), salt=SALT).loads(token,
                                                                           max_age=max_age)
    except SignatureExpired:
        raise TokenError("the token has expired: " + RELOAD) from None
    except BadSignature:
        raise TokenError(f"the token is not signed with the POS token key of {db_name!r} that "
                         f"this server knows: " + RELOAD) from None
    return _claims(data)


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _claims(data):
    config_id, multi_sessions = data.get("config_id"), data.get("multi_sessions")
    if not _whole(config_id) or not isinstance(multi_sessions, dict) \
            or not all(key.isascii() and key.isdigit() and _whole(int(key)) and _whole(run)
                       for key, run in multi_sessions.items()):
        raise TokenError("the token's claims are malformed: " + RELOAD)
    return PosToken(data["db"], config_id, {int(k): v for k, v in multi_sessions.items()})


ENTRY = re.compile(r"^([^=\s,]{1,128})=(\S{16,})$")


def parse_trusted_keys(text):
    """`point_of_sale.trusted_token_keys` ("db_name=key db_name=key", spaces or commas between
    entries) as {db_name: [key, ...]}; malformed entries are logged and left out."""
    keys = {}
    for entry in re.split(r"[\s,]+", text or ""):
        if not entry:
            continue
        found = ENTRY.match(entry)
        if found is None:
            log.warning("point_of_sale.trusted_token_keys: ignoring %r (write db_name=key, the "
                        "key being the main instance's point_of_sale.token_key)", entry[:20])
            continue
        keys.setdefault(found.group(1), []).append(found.group(2))
    return keys


def trusted_keys(parameters, db_name):
    """{db_name: [key, ...]}: this instance's own key and the keys of the instances it trusts."""
    keys = parse_trusted_keys(parameters.get("point_of_sale.trusted_token_keys"))
    own = parameters.get("point_of_sale.token_key")
    if own:
        keys.setdefault(db_name, []).append(own)
    return keys
