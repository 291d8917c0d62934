"""point_of_sale: managers' approvals at the tills, kept with their ticket or session

Revision ID: 9f1b2c3d4e09
Revises: 9f1b2c3d4e08
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '9f1b2c3d4e09'
down_revision = '9f1b2c3d4e08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('order_uuid', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('approver', sa.String(length=64), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_approval')),
    sa.UniqueConstraint('uuid', name=op.f('uq_point_of_sale_approval_uuid'))
    )
    with op.batch_alter_table('point_of_sale_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_approval_config_id'), ['config_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_of_sale_approval_order_uuid'), ['order_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_of_sale_approval_session_id'), ['session_id'], unique=False)


def downgrade():
    op.drop_table('point_of_sale_approval')
