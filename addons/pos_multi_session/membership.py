"""Which POS configs belong to which multi-session (the table pos_multi_session_member), read
and written here in one place; and the sync server's address, checked."""
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from addons.point_of_sale import CLOSED, PosSession
from core.db import upsert

from .models import MultiSession, MultiSessionMember


def set_membership(connection, config_id, multi_session_id):
    """Put a config in a multi-session (0 or None: in none)."""
    if multi_session_id:
        upsert(connection, MultiSessionMember.__table__, {"config_id": config_id},
               {"multi_session_id": multi_session_id})
    else:
        connection.execute(delete(MultiSessionMember).where(
            MultiSessionMember.config_id == config_id))


def member_config_ids(connection, multi_session_id):
    return list(connection.scalars(select(MultiSessionMember.config_id).where(
        MultiSessionMember.multi_session_id == multi_session_id)
        .order_by(MultiSessionMember.config_id)).all())


def multi_session_of(connection, config_id):
    """The multi-session row of a config, or None."""
    return connection.execute(select(MultiSession).join(
        MultiSessionMember, MultiSessionMember.multi_session_id == MultiSession.id).where(
        MultiSessionMember.config_id == config_id)).first()


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
        _ = parts.port  # raises ValueError when it is not a number in range
    except ValueError:
        raise SyncServerError("the port must be a number from 1 to 65535") from None
    return text.rstrip("/")


def is_loopback(url):
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")



def refusals_for_package(connection, config_ids):
    """Why one autonomous instance (pos_autonomous) cannot serve exactly `config_ids`, in
    sentences: a multi-session of theirs with configs outside them (its orders are shared
    through the instance, which tills elsewhere cannot reach while the line is down), or synced
    through a separate server (the instance is its shop's sync server)."""
    from addons.point_of_sale import PosConfig
    reasons = []
    inside = set(config_ids)
    held = connection.execute(select(MultiSession).join(
        MultiSessionMember, MultiSessionMember.multi_session_id == MultiSession.id).where(
        MultiSessionMember.config_id.in_(list(inside))).distinct().order_by(MultiSession.id))
    for multi_session in held:
        outside = [config_id for config_id in member_config_ids(connection, multi_session.id)
                   if config_id not in inside]
        if outside:
            names = connection.execute(select(PosConfig.id, PosConfig.name).where(
                PosConfig.id.in_(outside)).order_by(PosConfig.id)).all()
            reasons.append(
                f"multi-session {multi_session.name!r} also holds "
                + ", ".join(f"{name} (config {config_id})" for config_id, name in names)
                + ": its tills share orders through one instance, so package all its configs "
                "together (core autonomous package "
                + " ".join(str(c) for c in sorted(inside | set(outside)))
                + " ...) or take them out of the multi-session first")
        if multi_session.sync_server:
            reasons.append(
                f"multi-session {multi_session.name!r} syncs through the separate server "
                f"{multi_session.sync_server}: an autonomous instance is its shop's sync server, "
                "so empty the multi-session's sync server first")
    return reasons
