"""point_of_sale: cash control (opening float, cash in and out) and its figures in closings

Revision ID: 5d1c8e2a7f40
Revises: 4a1d7c3e9b06
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '5d1c8e2a7f40'
down_revision = '4a1d7c3e9b06'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_cash_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('denominations', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_login', sa.String(length=64), nullable=False),
    sa.Column('approved_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['point_of_sale_session.id'], name=op.f('fk_point_of_sale_cash_move_session_id_point_of_sale_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_cash_move')),
    sa.UniqueConstraint('uuid', name=op.f('uq_point_of_sale_cash_move_uuid'))
    )
    with op.batch_alter_table('point_of_sale_cash_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_cash_move_session_id'), ['session_id'], unique=False)
        batch_op.create_index('uq_point_of_sale_cash_move_one_float', ['session_id'], unique=True, sqlite_where=sa.text("kind = 'float'"), postgresql_where=sa.text("kind = 'float'"))

    with op.batch_alter_table('point_of_sale_closing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_float', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('cash_in', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('cash_out', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('cash_moves', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('point_of_sale_closing', schema=None) as batch_op:
        batch_op.drop_column('cash_moves')
        batch_op.drop_column('cash_out')
        batch_op.drop_column('cash_in')
        batch_op.drop_column('opening_float')

    with op.batch_alter_table('point_of_sale_cash_move', schema=None) as batch_op:
        batch_op.drop_index('uq_point_of_sale_cash_move_one_float', sqlite_where=sa.text("kind = 'float'"), postgresql_where=sa.text("kind = 'float'"))
        batch_op.drop_index(batch_op.f('ix_point_of_sale_cash_move_session_id'))

    op.drop_table('point_of_sale_cash_move')
