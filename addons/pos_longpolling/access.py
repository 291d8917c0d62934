"""Who may poll which channels and send PINGs.

With `pos_longpolling.allow_public` off (the default): a signed-in user (the POS page's cookie)
reads any channel of this server; a POS token (`core token CONFIG_ID`, or one issued by the main
instance with the same secret) reads only channels of its own POS, i.e. channels
`["<db>", "<name>", "<its config id>"]`, which covers its pos.longpolling and pos.multi_session
channels. Anyone else gets 401. With allow_public on, callers without credentials are let in
on every channel, as in the original module (a credential that is sent is still checked).
"""
import json

from flask import request

from addons.point_of_sale import ANY_CONFIG, caller_config_scope
from core.web.errors import ApiError

from .settings import current_settings


def caller_scope():
    """ANY_CONFIG, or the config id a token is limited to."""
    if current_settings().allow_public and "Authorization" not in request.headers:
        return ANY_CONFIG
    return caller_config_scope()


def require_channels(scope, channels):
    if scope is ANY_CONFIG:
        return
    for channel in channels:
        if channel_config_id(channel) != str(scope):
            raise ApiError(403, "forbidden_channel",
                           f"your token is for POS config {scope}; it may not read {channel}")


def require_pos(scope, pos_id):
    if scope is not ANY_CONFIG and scope != pos_id:
        raise ApiError(403, "forbidden", f"your token is for POS config {scope}, not {pos_id}")


def channel_config_id(channel):
    """The config id (a string) of a POS channel `["db","name","id"]`, else None."""
    try:
        parsed = json.loads(channel)
    except ValueError:
        return None
    if isinstance(parsed, list) and len(parsed) == 3 and isinstance(parsed[2], (str, int)) \
            and not isinstance(parsed[2], bool):
        return str(parsed[2])
    return None
