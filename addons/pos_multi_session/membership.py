"""Which POS configs belong to which multi-session: the config field `multi_session_id`
(stored by the kernel in core_record_setting), read and written here in one place."""
from urllib.parse import urlsplit

from dataclasses import replace

from sqlalchemy import select

from addons.point_of_sale import CLOSED, PosSession
from core import ConfigField
from core.config_fields import write_values
from core.models import RecordSetting

from .models import MultiSession

CONFIG_FORM = "pos.config"
MEMBERSHIP_FIELD = "multi_session_id"
MEMBERSHIP = ConfigField(
    MEMBERSHIP_FIELD, "Multi-session", type="int", default=0, min=0,
    help="The multi-session whose tills share open orders with this one: its number under "
         "Point of Sale › Multi-sessions (0 = none). Takes effect when the till reloads.")


def set_membership(connection, config_id, multi_session_id):
    """Put a config in a multi-session (0: in none), as saving its config form would."""
    write_values(connection, CONFIG_FORM, config_id,
                 [replace(MEMBERSHIP, addon="pos_multi_session")],
                 {MEMBERSHIP_FIELD: multi_session_id})


def member_config_ids(connection, multi_session_id):
    return sorted(connection.scalars(select(RecordSetting.record_id).where(
        RecordSetting.form == CONFIG_FORM, RecordSetting.field == MEMBERSHIP_FIELD,
        RecordSetting.value == str(multi_session_id))).all())


def multi_session_of(connection, config_id):
    """The multi-session row of a config, or None (none set, or an id that does not exist)."""
    value = connection.scalar(select(RecordSetting.value).where(
        RecordSetting.form == CONFIG_FORM, RecordSetting.field == MEMBERSHIP_FIELD,
        RecordSetting.record_id == config_id))
    if not value or not value.isdigit() or int(value) == 0:
        return None
    return connection.execute(select(MultiSession).where(MultiSession.id == int(value))).first()


def open_member_sessions(connection, multi_session_id):
    members = member_config_ids(connection, multi_session_id)
    if not members:
        return 0
    return len(connection.scalars(select(PosSession.id).where(
        PosSession.config_id.in_(members), PosSession.state != CLOSED)).all())


class SyncServerError(ValueError):
    pass


def clean_sync_server(text):
    """"" (this instance) or `scheme://host[:port][/path]` without a trailing slash: the forms
    that made the original hang on "Sync Orders" (`//host:8080`, a trailing `/`) are fixed or
    refused with a reason."""
    text = (text or "").strip()
    if not text:
        return ""
    if text.startswith("//"):
        raise SyncServerError("write the scheme too: http://… or https://… (a till cannot guess "
                              "it)")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncServerError("must be an address such as https://sync.example.com or "
                              "http://192.168.1.10:8069, or empty for this instance")
    if parts.query or parts.fragment:
        raise SyncServerError("an address without ?query or #fragment")
    try:
        parts.port
    except ValueError:
        raise SyncServerError("the port must be a number from 1 to 65535") from None
    return text.rstrip("/")


def is_loopback(url):
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")

