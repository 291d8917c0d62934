"""point_of_sale: the POS configs a cashier or manager is allowed on

Revision ID: 57aff0c0f16e
Revises: 5d1c8e2a7f40
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '57aff0c0f16e'
down_revision = '5d1c8e2a7f40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_config_user',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_config_user_config_id_point_of_sale_config'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('config_id', 'user_id', name=op.f('pk_point_of_sale_config_user'))
    )
    with op.batch_alter_table('point_of_sale_config_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_config_user_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('point_of_sale_config_user')
