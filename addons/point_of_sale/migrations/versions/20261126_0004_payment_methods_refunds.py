"""point_of_sale: payment methods per config; refunds name the order and lines they refund

Revision ID: c0a7e1d25b16
Revises: 3c5e7a9b1d20
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'c0a7e1d25b16'
down_revision = '3c5e7a9b1d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_payment_method',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('gives_change', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_payment_method_config_id_point_of_sale_config'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_payment_method')),
    sa.UniqueConstraint('config_id', 'code', name=op.f('uq_point_of_sale_payment_method_config_id'))
    )
    with op.batch_alter_table('point_of_sale_payment_method', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_payment_method_config_id'), ['config_id'], unique=False)

    with op.batch_alter_table('point_of_sale_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_order_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_point_of_sale_order_refunded_order_id'), ['refunded_order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_point_of_sale_order_refunded_order_id_point_of_sale_order'), 'point_of_sale_order', ['refunded_order_id'], ['id'])

    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_point_of_sale_order_line_refunded_line_id'), ['refunded_line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_point_of_sale_order_line_refunded_line_id_point_of_sale_order_line'), 'point_of_sale_order_line', ['refunded_line_id'], ['id'])


def downgrade():
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_point_of_sale_order_line_refunded_line_id_point_of_sale_order_line'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_point_of_sale_order_line_refunded_line_id'))
        batch_op.drop_column('refunded_line_id')

    with op.batch_alter_table('point_of_sale_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_point_of_sale_order_refunded_order_id_point_of_sale_order'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_point_of_sale_order_refunded_order_id'))
        batch_op.drop_column('refunded_order_id')

    with op.batch_alter_table('point_of_sale_payment_method', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_payment_method_config_id'))

    op.drop_table('point_of_sale_payment_method')
