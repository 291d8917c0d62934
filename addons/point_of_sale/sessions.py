"""The session state machine: opening_control -> opened -> closing_control -> closed.

`open_session` goes straight to `opened` (there is no opening cash control yet), `close_session`
passes through `closing_control` and seals the session's closing record (closing.py); at most
one session per config is not closed (also a unique index).
"""
import logging

from sqlalchemy import func, select, update

from core.errors import CoreError
from core.i18n import _
from core.models import utc_now

from .journal import SESSION_CLOSE, SESSION_OPEN, record_event
from .ledger_writer import refuse_if_served_elsewhere
from .models import CLOSED, CLOSING_CONTROL, OPENED, OPENING_CONTROL, PosConfig, PosSession

logger = logging.getLogger(__name__)


class SessionError(CoreError):
    pass


def get_config(connection, config_id):
    config = connection.execute(select(PosConfig).where(PosConfig.id == config_id)).first()
    if config is None:
        raise SessionError(_("no POS config with id %(id)s", id=config_id))
    return config


def current_session(connection, config_id):
    """The config's session that is not closed, or None."""
    return connection.execute(select(PosSession).where(
        PosSession.config_id == config_id, PosSession.state != CLOSED)).first()


def open_session(connection, config_id):
    """Open a session for the config (or return the one already opened); return its id."""
    config = get_config(connection, config_id)
    refuse_if_served_elsewhere(connection, config, "open its sessions", SessionError)
    session = current_session(connection, config_id)
    if session is not None:
        if session.state == CLOSING_CONTROL:
            raise SessionError(_("session %(session)s of %(config)s is being closed; finish "
                                 "closing it first", session=session.name, config=config.name))
        if session.state == OPENING_CONTROL:
            _move(connection, session.id, OPENING_CONTROL, OPENED, opened_at=utc_now())
            record_event(connection, SESSION_OPEN, config_id, session=session.name)
        return session.id
    count = connection.scalar(select(func.count()).select_from(PosSession)
                              .where(PosSession.config_id == config_id))
    name = f"{config.name}/{count + 1:05d}"
    result = connection.execute(PosSession.__table__.insert().values(
        config_id=config_id, name=name, state=OPENED,
        login_number=0, sequence_number=0, opened_at=utc_now()))
    record_event(connection, SESSION_OPEN, config_id, session=name)
    return result.inserted_primary_key[0]


def close_session(connection, config_id, manager=None, counted_cash=None, session_id=None):
    """Close the config's open session (closing control, then closed) and seal its closing
    record (closing.py) with the `counted_cash` (a Decimal, or None when nobody counted);
    return its id. With `session_id`, only if that is the open session. With the plugin
    manager, the installed addons' `pos_session_closed` hooks run in the same transaction."""
    from .closing import record_closing
    config = get_config(connection, config_id)
    refuse_if_served_elsewhere(connection, config, "close its sessions", SessionError)
    session = current_session(connection, config_id)
    if session is None or (session_id is not None and session.id != session_id):
        raise SessionError(_("%(config)s has no open session", config=config.name)
                           if session_id is None else
                           _("%(config)s has no open session %(id)s", config=config.name,
                             id=session_id))
    if session.state in (OPENING_CONTROL, OPENED):
        _move(connection, session.id, session.state, CLOSING_CONTROL)
    _move(connection, session.id, CLOSING_CONTROL, CLOSED, closed_at=utc_now())
    sealed = record_closing(connection, session.id, counted_cash)
    if manager is not None:
        manager.hook.pos_session_closed(connection=connection, session_id=session.id,
                                        config_id=config_id)
    record_event(connection, SESSION_CLOSE, config_id, session=session.name,
                 closing_ticket=sealed.number, closing_link=sealed.link,
                 counted_cash=counted_cash)
    return session.id


def announce_closed(engine, manager, session_id, config_id):
    """After the transaction of `close_session` committed: the installed addons'
    `pos_session_closed_committed` hooks (pos_check_session_state tells the tills on the bus).
    A failing hook is logged: the session is closed whatever it says."""
    try:
        manager.hook.pos_session_closed_committed(engine=engine, manager=manager,
                                                  session_id=session_id, config_id=config_id)
    except Exception:  # noqa: BLE001 - the closing stands; the periodic check still tells tills
        logger.exception("announcing the closing of POS session %s failed", session_id)


def start_closing(connection, config_id):
    """Only move the open session to closing control (a manager counts the cash)."""
    session = current_session(connection, config_id)
    if session is None or session.state != OPENED:
        raise SessionError(_("POS config %(id)s has no opened session to close", id=config_id))
    _move(connection, session.id, OPENED, CLOSING_CONTROL)
    return session.id


def log_in(connection, session_id):
    """A POS page loaded the session: bump and return its login number."""
    connection.execute(update(PosSession).where(PosSession.id == session_id)
                       .values(login_number=PosSession.login_number + 1))
    return connection.scalar(select(PosSession.login_number).where(PosSession.id == session_id))


def _move(connection, session_id, from_state, to_state, **values):
    """Change state only if the session is still in `from_state` (a concurrent close loses)."""
    done = connection.execute(update(PosSession).where(
        PosSession.id == session_id, PosSession.state == from_state
    ).values(state=to_state, **values))
    if done.rowcount != 1:
        raise SessionError(_("session %(id)s is no longer %(state)s", id=session_id,
                             state=from_state))
