"""pos_autonomous: the latest file export per (config, target), for the central admin

Revision ID: 0f2b5d6c7a68
Revises: 9e1a4c5b6f57
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0f2b5d6c7a68'
down_revision = '9e1a4c5b6f57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pos_autonomous_export_run',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('interval_s', sa.Integer(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_files', sa.Integer(), nullable=False),
    sa.Column('last_full', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('config_id', 'target', name=op.f('pk_pos_autonomous_export_run'))
    )


def downgrade():
    op.drop_table('pos_autonomous_export_run')
