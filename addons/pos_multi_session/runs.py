"""Runs: when the last open session of a multi-session's configs closes, the run is over. The
next run starts with the order counter at 0; unpaid orders of the old run stay listed for a
manager (never silently dropped, unlike the original)."""
from sqlalchemy import update

from addons.pos_multi_session_sync import end_run
from core.db import database_name

from .membership import multi_session_of, open_member_sessions
from .models import MultiSession


def end_run_if_last(connection, config_id):
    multi_session = multi_session_of(connection, config_id)
    if multi_session is None or open_member_sessions(connection, multi_session.id):
        return None
    new_run = multi_session.run_id + 1
    connection.execute(update(MultiSession).where(MultiSession.id == multi_session.id)
                       .values(run_id=new_run))
    if not multi_session.sync_server:
        # Synced here: list the old run's unpaid orders for the manager right away. A separate
        # sync server does it when the first till of the new run talks to it.
        end_run(connection, database_name(connection.engine.url), multi_session.id, new_run)
    return new_run
