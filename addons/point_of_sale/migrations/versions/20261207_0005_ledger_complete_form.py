"""point_of_sale: what a ticket seals grows (the line's label as sold, the cashier, the version
that sealed it); the ledger's alarms and verified checkpoints

Entries sealed before this revision keep their links: their lines have no label, their orders no
cashier and the entries no software version, and the canonical form leaves out what is empty.

Revision ID: 7e2b9d4c1a05
Revises: c0a7e1d25b16
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '7e2b9d4c1a05'
down_revision = 'c0a7e1d25b16'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=128), nullable=True))
    with op.batch_alter_table('point_of_sale_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cashier', sa.String(length=64), nullable=True))
    with op.batch_alter_table('point_of_sale_ledger_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('software_version', sa.String(length=32), nullable=True))
    op.create_table('point_of_sale_ledger_alarm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=1024), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_ledger_alarm_config_id_point_of_sale_config')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_ledger_alarm'))
    )
    with op.batch_alter_table('point_of_sale_ledger_alarm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_ledger_alarm_config_id'), ['config_id'], unique=False)
    op.create_table('point_of_sale_ledger_checkpoint',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=64), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('full_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_ledger_checkpoint_config_id_point_of_sale_config')),
    sa.PrimaryKeyConstraint('config_id', name=op.f('pk_point_of_sale_ledger_checkpoint'))
    )


def downgrade():
    op.drop_table('point_of_sale_ledger_checkpoint')
    with op.batch_alter_table('point_of_sale_ledger_alarm', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_ledger_alarm_config_id'))
    op.drop_table('point_of_sale_ledger_alarm')
    with op.batch_alter_table('point_of_sale_ledger_entry', schema=None) as batch_op:
        batch_op.drop_column('software_version')
    with op.batch_alter_table('point_of_sale_order', schema=None) as batch_op:
        batch_op.drop_column('cashier')
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.drop_column('label')
