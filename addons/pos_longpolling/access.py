"""Who may poll which channels and send PINGs.

With `pos_longpolling.allow_public` off (the default): a signed-in user (the POS page's cookie)
reads any channel of this server; a POS token (`core token CONFIG_ID`, or one issued by a main
instance this server trusts, see point_of_sale.trusted_token_keys) reads only the channels of
its own POS, checked by all three elements of `["<db>", "<name>", "<config id>"]`: the db is the
instance that issued the token, the name one that an installed addon declares
(`longpolling_pos_channels`: pos.longpolling, pos.multi_session), the config the token's.
Anyone else gets 401. With allow_public on, callers without credentials are let in on every
channel, as in the original module (a credential that is sent is still checked).
"""
from flask import request

from addons.point_of_sale import ANY_CONFIG, caller_credentials
from core.web import strict_json
from core.web.errors import ApiError

from .settings import current_settings


def caller_scope():
    """ANY_CONFIG, or the `PosToken` (instance, config, multi-sessions) a caller is limited to."""
    if current_settings().allow_public and "Authorization" not in request.headers:
        return ANY_CONFIG
    return caller_credentials()


def require_channels(scope, channels):
    if scope is ANY_CONFIG:
        return
    names = current_settings().pos_channel_names
    for channel in channels:
        parts = pos_channel_parts(channel)
        if parts is None or parts[0] != scope.db_name or parts[2] != str(scope.config_id):
            raise ApiError(403, "forbidden_channel",
                           f"your token is for POS config {scope.config_id} of {scope.db_name!r};"
                           f" it may not read {channel}"[:300])
        if parts[1] not in names:
            raise ApiError(403, "forbidden_channel",
                           f"{parts[1]!r} is not a POS channel of this server (a token reads "
                           f"{', '.join(sorted(names))})"[:300])


def require_pos(scope, pos_id, db_name):
    """The caller may act as POS `pos_id` of instance `db_name`."""
    if scope is ANY_CONFIG:
        return
    if db_name != scope.db_name:
        raise ApiError(403, "forbidden_db", f"your token was issued by instance "
                                            f"{scope.db_name!r}, not {db_name!r}"[:300])
    if scope.config_id != pos_id:
        raise ApiError(403, "forbidden", f"your token is for POS config {scope.config_id}, "
                                         f"not {pos_id}")


def pos_channel_parts(channel):
    """[db, name, config id] (strings) of a POS channel `["db","name","id"]`, else None (also
    for JSON the strict reader refuses)."""
    try:
        parsed = strict_json.loads(channel)
    except strict_json.JsonRefused:
        return None
    if not isinstance(parsed, list) or len(parsed) != 3 or not all(
            isinstance(part, (str, int)) and not isinstance(part, bool) for part in parsed):
        return None
    return [str(part) for part in parsed]
