"""point_of_sale: the ticket ledger (numbers and links per config), closings, the tax rate of
each order line

Orders stored before this revision stay unnumbered: they were not sealed when they were stored,
and sealing them now would certify, after the fact, whatever the database holds today. The chain
of each config starts at the first order stored after the upgrade (`core pos verify` counts the
unsealed ones). Existing lines get their product's tax rate of today (the only one known).

Revision ID: 3c5e7a9b1d20
Revises: 5c1e0a7d2b44
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '3c5e7a9b1d20'
down_revision = '5c1e0a7d2b44'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_rate', sa.Numeric(precision=5, scale=2),
                                      nullable=False, server_default='0'))
    op.execute("UPDATE point_of_sale_order_line SET tax_rate = (SELECT p.tax_rate FROM "
               "point_of_sale_product p WHERE p.id = point_of_sale_order_line.product_id)")
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.alter_column('tax_rate', server_default=None)

    op.create_table('point_of_sale_ledger_head',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_ledger_head_config_id_point_of_sale_config')),
    sa.PrimaryKeyConstraint('config_id', name=op.f('pk_point_of_sale_ledger_head'))
    )
    op.create_table('point_of_sale_ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('previous_link', sa.String(length=64), nullable=False),
    sa.Column('link', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_ledger_entry_config_id_point_of_sale_config')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_ledger_entry')),
    sa.UniqueConstraint('config_id', 'number', name='uq_point_of_sale_ledger_entry_number'),
    sa.UniqueConstraint('kind', 'uuid', name='uq_point_of_sale_ledger_entry_record')
    )
    op.create_table('point_of_sale_closing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('refund_count', sa.Integer(), nullable=False),
    sa.Column('refund_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('period_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('perpetual_total', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('expected_cash', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('counted_cash', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('cash_difference', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('totals_by_tax', sa.JSON(), nullable=False),
    sa.Column('totals_by_method', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['point_of_sale_session.id'], name=op.f('fk_point_of_sale_closing_session_id_point_of_sale_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_closing')),
    sa.UniqueConstraint('session_id', name=op.f('uq_point_of_sale_closing_session_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_point_of_sale_closing_uuid'))
    )


def downgrade():
    op.drop_table('point_of_sale_closing')
    op.drop_table('point_of_sale_ledger_entry')
    op.drop_table('point_of_sale_ledger_head')
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.drop_column('tax_rate')
