"""pos_multi_session: multi-sessions

Revision ID: 7d3f9a2c5e18
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '7d3f9a2c5e18'
down_revision = None
branch_labels = ('pos_multi_session',)
depends_on = None


def upgrade():
    op.create_table('pos_multi_session_multi_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('sync_server', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_multi_session_multi_session'))
    )


def downgrade():
    op.drop_table('pos_multi_session_multi_session')
