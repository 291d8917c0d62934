"""What the POS page's multi-session module loads with the page's data."""
from flask import session
from sqlalchemy import select

from addons.point_of_sale import issue_config_token
from core.models import User
from core.web import current_instance, current_plugins

from .membership import multi_session_of


def multi_session_data(connection, config_id):
    """None when the config is in no active multi-session."""
    multi_session = multi_session_of(connection, config_id)
    if multi_session is None or not multi_session.active:
        return None
    instance = current_instance()
    user_id = session.get("user_id")
    login = connection.scalar(select(User.login).where(User.id == user_id)) if user_id else None
    return {
        "id": multi_session.id,
        "name": multi_session.name,
        "run_ID": multi_session.run_id,
        # Where to sync: "" = this instance (cookie); else a separate server, which the page
        # calls cross-origin with this config's token: it names this instance, the config and
        # its multi-session, signed with this instance's point_of_sale.token_key, which the
        # sync server trusts (point_of_sale.trusted_token_keys).
        "sync_server": multi_session.sync_server,
        "token": (issue_config_token(connection, instance, current_plugins(), config_id)
                  if multi_session.sync_server else None),
        "db_name": instance.db_name,
        "user": {"id": user_id or 0, "name": login or "till"},
    }
