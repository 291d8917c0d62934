"""pos_autonomous: shops, one autonomous instance serving several POS configs (#29). The
central instance groups a shop's tills (one per config, each its chain's one writer) under the
first one (`shop_id`) and remembers every config a package build asked for; a shop instance
keeps the credentials of its configs beyond the first (`pos_autonomous_shop_member`, one push
state each)

Revision ID: 3c9e5a1f7d46
Revises: 2b8d4f0e6c35
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '3c9e5a1f7d46'
down_revision = '2b8d4f0e6c35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pos_autonomous_till') as batch:
        batch.add_column(sa.Column('shop_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('pos_autonomous_package_build') as batch:
        batch.add_column(sa.Column('config_ids', sa.Text(), nullable=False,
                                   server_default=''))
    op.create_table(
        'pos_autonomous_shop_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('config_id', sa.Integer(), nullable=False),
        sa.Column('till_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_shop_member')),
        sa.UniqueConstraint('config_id', name=op.f('uq_pos_autonomous_shop_member_config_id')))


def downgrade():
    op.drop_table('pos_autonomous_shop_member')
    with op.batch_alter_table('pos_autonomous_package_build') as batch:
        batch.drop_column('config_ids')
    with op.batch_alter_table('pos_autonomous_till') as batch:
        batch.drop_column('shop_id')
