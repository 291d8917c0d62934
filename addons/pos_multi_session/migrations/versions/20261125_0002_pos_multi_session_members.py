"""pos_multi_session: config membership in a table of its own, with foreign keys

Before, a config's multi-session was the config field `multi_session_id`, text in the kernel's
core_record_setting. The rows naming an existing config and multi-session move here; all rows
of that field leave core_record_setting (a 0, an id that did not exist: in no multi-session).
The downgrade puts them back as they were read.

Revision ID: 5c2e8b7d1a40
Revises: 7d3f9a2c5e18
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '5c2e8b7d1a40'
down_revision = '7d3f9a2c5e18'
branch_labels = None
depends_on = ('98d44622c40a',)  # point_of_sale: its configs

CONFIG_FORM, MEMBERSHIP_FIELD = "pos.config", "multi_session_id"
record_setting = sa.table(
    "core_record_setting", sa.column("form", sa.String), sa.column("record_id", sa.Integer),
    sa.column("field", sa.String), sa.column("addon", sa.String), sa.column("value", sa.Text))
config = sa.table("point_of_sale_config", sa.column("id", sa.Integer))
multi_session = sa.table("pos_multi_session_multi_session", sa.column("id", sa.Integer))
member = sa.table("pos_multi_session_member", sa.column("config_id", sa.Integer),
                  sa.column("multi_session_id", sa.Integer))
is_membership = sa.and_(record_setting.c.form == CONFIG_FORM,
                        record_setting.c.field == MEMBERSHIP_FIELD)


def upgrade():
    op.create_table('pos_multi_session_member',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('multi_session_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_pos_multi_session_member_config_id_point_of_sale_config'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['multi_session_id'], ['pos_multi_session_multi_session.id'], name=op.f('fk_pos_multi_session_member_multi_session_id_pos_multi_session_multi_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('config_id', name=op.f('pk_pos_multi_session_member'))
    )
    with op.batch_alter_table('pos_multi_session_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pos_multi_session_member_multi_session_id'), ['multi_session_id'], unique=False)

    connection = op.get_bind()
    configs = set(connection.scalars(sa.select(config.c.id)))
    multi_sessions = set(connection.scalars(sa.select(multi_session.c.id)))
    rows = [{"config_id": config_id, "multi_session_id": int(value)}
            for config_id, value in connection.execute(
                sa.select(record_setting.c.record_id, record_setting.c.value).where(is_membership))
            if config_id in configs and value.strip().isdigit()
            and int(value) in multi_sessions]
    if rows:
        connection.execute(member.insert(), rows)
    connection.execute(record_setting.delete().where(is_membership))


def downgrade():
    connection = op.get_bind()
    rows = [{"form": CONFIG_FORM, "record_id": config_id, "field": MEMBERSHIP_FIELD,
             "addon": "pos_multi_session", "value": str(multi_session_id)}
            for config_id, multi_session_id in connection.execute(
                sa.select(member.c.config_id, member.c.multi_session_id))]
    if rows:
        connection.execute(record_setting.insert(), rows)
    with op.batch_alter_table('pos_multi_session_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pos_multi_session_member_multi_session_id'))

    op.drop_table('pos_multi_session_member')
