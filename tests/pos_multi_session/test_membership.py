"""Membership is a relation: pos_multi_session_member (config -> multi-session, foreign keys),
and the revision that brought it carries the memberships stored before as a config field."""
import pytest
from alembic import command
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from addons.point_of_sale.models import PosConfig
from addons.pos_multi_session.membership import member_config_ids, multi_session_of, set_membership
from addons.pos_multi_session.models import MultiSession
from core.schema import alembic_config


def rows(instance, sql):
    with instance.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_a_config_belongs_to_one_multi_session_at_most(addon_instance):
    with addon_instance.engine.begin() as connection:
        terrace = connection.execute(insert(MultiSession).values(
            name="Terrace", active=True, run_id=1, sync_server="")).inserted_primary_key[0]
        set_membership(connection, 2, terrace)
        assert member_config_ids(connection, 1) == [1]
        assert member_config_ids(connection, terrace) == [2]
        assert multi_session_of(connection, 2).name == "Terrace"
        set_membership(connection, 2, 0)
        assert multi_session_of(connection, 2) is None
    assert rows(addon_instance, "SELECT config_id, multi_session_id FROM pos_multi_session_member"
                ) == [(1, 1)]


def test_membership_refuses_a_config_or_multi_session_that_does_not_exist(addon_instance):
    with addon_instance.engine.connect() as connection:  # (the kernel enforces them on SQLite)
        for config_id, multi_session_id in ((999, 1), (2, 999)):
            with pytest.raises(IntegrityError), connection.begin():
                set_membership(connection, config_id, multi_session_id)


def test_the_migration_carries_memberships_out_of_the_kernels_key_value_table(addon_instance):
    """Back to the revision before (memberships as config-field text), then forward again."""
    with addon_instance.engine.begin() as connection:
        command.downgrade(alembic_config(addon_instance.catalog, connection),
                          "pos_multi_session@-1")
    assert rows(addon_instance, "SELECT record_id, value, addon FROM core_record_setting WHERE "
                               "form = 'pos.config' AND field = 'multi_session_id' "
                               "ORDER BY record_id") == [
        (1, "1", "pos_multi_session"), (2, "1", "pos_multi_session")]
    with addon_instance.engine.begin() as connection:
        third = connection.execute(insert(PosConfig).values(name="Terrace", active=True)
                                   ).inserted_primary_key[0]
        connection.execute(text(
            "UPDATE core_record_setting SET value = '999' WHERE field = 'multi_session_id' "
            "AND record_id = 2"))  # a multi-session that does not exist: in none
        connection.execute(text(
            "INSERT INTO core_record_setting (form, record_id, field, addon, value) VALUES "
            "('pos.config', :third, 'multi_session_id', 'pos_multi_session', '0')"),
            {"third": third})
    assert addon_instance.upgrade() == ["pos_multi_session"]
    assert rows(addon_instance, "SELECT config_id, multi_session_id FROM pos_multi_session_member"
                ) == [(1, 1)]
    assert rows(addon_instance, "SELECT record_id FROM core_record_setting "
                               "WHERE field = 'multi_session_id'") == []
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(select(MultiSession.name)) == "Shop floor"


def test_uninstall_drops_the_memberships(addon_instance):
    addon_instance.uninstall(["pos_multi_session"])
    assert rows(addon_instance, "SELECT count(*) FROM core_record_setting "
                               "WHERE addon = 'pos_multi_session'") == [(0,)]
    with addon_instance.engine.connect() as connection:
        assert not connection.dialect.has_table(connection, "pos_multi_session_member")



def test_hook_pos_config_form_links_the_config_form_to_its_multi_session(addon_instance,
                                                                         admin_client):
    """The POS config form shows the config's multi-session as a link to the multi-session's
    form (where membership and the Sync server are edited); a config outside any has none."""
    from tests.support import text_of
    with addon_instance.engine.begin() as connection:
        set_membership(connection, 2, 0)
        shop_floor = multi_session_of(connection, 1)
    shop = text_of(admin_client.get("/web/pos/configs/1"))
    assert f'href="/web/pos/multi-sessions/{shop_floor.id}">{shop_floor.name}</a>' in shop
    bar = text_of(admin_client.get("/web/pos/configs/2"))
    assert "/web/pos/multi-sessions/" not in bar.split("<form", 1)[1]
