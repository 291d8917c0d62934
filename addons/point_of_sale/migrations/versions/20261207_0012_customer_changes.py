"""point_of_sale: who created or edited a customer from a till, and when
(point_of_sale_customer_change)

Revision ID: 6b2e4f8a1c93
Revises: 2b8e5f1c7d39
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = '6b2e4f8a1c93'
down_revision = '2b8e5f1c7d39'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_customer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_customer_change'))
    )
    with op.batch_alter_table('point_of_sale_customer_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_customer_change_partner_id'),
                              ['partner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('point_of_sale_customer_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_customer_change_partner_id'))
    op.drop_table('point_of_sale_customer_change')
