"""pos_customer_display: what each config's customer display shows now

Revision ID: 8c4e1f6a2d37
Revises:
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '8c4e1f6a2d37'
down_revision = None
branch_labels = ('pos_customer_display',)
depends_on = ('98d44622c40a',)  # point_of_sale: its configs


def upgrade():
    op.create_table('pos_customer_display_state',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('message', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_pos_customer_display_state_config_id_point_of_sale_config'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('config_id', name=op.f('pk_pos_customer_display_state'))
    )


def downgrade():
    op.drop_table('pos_customer_display_state')
