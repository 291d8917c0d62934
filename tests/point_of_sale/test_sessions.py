"""The session state machine."""
import pytest
from sqlalchemy import select

from addons.point_of_sale import sessions
from addons.point_of_sale.models import PosSession


def state_of(instance, session_id):
    with instance.engine.connect() as connection:
        return connection.scalar(select(PosSession.state).where(PosSession.id == session_id))


def test_opening_a_session_makes_it_opened_and_names_it_after_the_config(addon_instance):
    with addon_instance.engine.begin() as connection:
        session_id = sessions.open_session(connection, 1)
        row = sessions.current_session(connection, 1)
    assert (row.id, row.name, row.state) == (session_id, "Shop/00001", "opened")


def test_opening_twice_returns_the_same_session(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        assert sessions.open_session(connection, 1) == shop_session


def test_closing_goes_through_closing_control_to_closed(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        assert sessions.start_closing(connection, 1) == shop_session
    assert state_of(addon_instance, shop_session) == "closing_control"
    with addon_instance.engine.begin() as connection:
        with pytest.raises(sessions.SessionError, match="being closed"):
            sessions.open_session(connection, 1)
        sessions.close_session(connection, 1)
    assert state_of(addon_instance, shop_session) == "closed"


def test_a_new_session_after_closing_gets_the_next_number(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        sessions.close_session(connection, 1)
        second = sessions.open_session(connection, 1)
        assert sessions.current_session(connection, 1).name == "Shop/00002"
    assert second != shop_session


def test_closing_without_an_open_session_is_an_error(addon_instance):
    with addon_instance.engine.begin() as connection:
        with pytest.raises(sessions.SessionError, match="Shop has no open session"):
            sessions.close_session(connection, 1)


def test_an_unknown_config_is_an_error(addon_instance):
    with addon_instance.engine.begin() as connection:
        with pytest.raises(sessions.SessionError, match="no POS config with id 99"):
            sessions.open_session(connection, 99)


def test_the_database_refuses_a_second_session_that_is_not_closed(addon_instance, shop_session):
    from sqlalchemy.exc import IntegrityError
    with pytest.raises(IntegrityError):
        with addon_instance.engine.begin() as connection:
            connection.execute(PosSession.__table__.insert().values(
                config_id=1, name="Shop/extra", state="opening_control", login_number=0,
                sequence_number=0))


def test_each_page_load_gets_a_new_login_number(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        assert [sessions.log_in(connection, shop_session) for _ in range(3)] == [1, 2, 3]


def test_hook_pos_session_closed_runs_in_the_closing_transaction(addon_instance):
    from core import hookimpl

    seen = []

    class Recorder:
        @hookimpl
        def pos_session_closed(self, connection, session_id, config_id):
            state = connection.scalar(select(PosSession.state).where(PosSession.id == session_id))
            seen.append((session_id, config_id, state))

    manager = addon_instance.plugin_manager()
    manager.register(Recorder(), name="recorder")
    with addon_instance.engine.begin() as connection:
        opened = sessions.open_session(connection, 1)
        closed = sessions.close_session(connection, 1, manager)
    assert closed == opened
    assert seen == [(opened, 1, "closed")]

    class Refuser:
        @hookimpl
        def pos_session_closed(self):
            raise RuntimeError("the safe is open")

    manager.unregister(name="recorder")
    manager.register(Refuser(), name="refuser")
    with addon_instance.engine.begin() as connection:
        second = sessions.open_session(connection, 1)
    with pytest.raises(RuntimeError), addon_instance.engine.begin() as connection:
        sessions.close_session(connection, 1, manager)
    with addon_instance.engine.connect() as connection:
        state = connection.scalar(select(PosSession.state).where(PosSession.id == second))
    assert state == "opened"  # the failed hook rolled the closing back
