"""point_of_sale: orders sealed by an autonomous till that break a rule of POST /pos/orders,
stored as received but counted nowhere (point_of_sale_quarantine)

Revision ID: 8c4d2a6e0f51
Revises: 9f1b2c3d4e09
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = '8c4d2a6e0f51'
down_revision = '9f1b2c3d4e09'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_quarantine',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_point_of_sale_quarantine'))
    )
    with op.batch_alter_table('point_of_sale_quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_quarantine_config_id'), ['config_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('point_of_sale_quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_quarantine_config_id'))
    op.drop_table('point_of_sale_quarantine')
