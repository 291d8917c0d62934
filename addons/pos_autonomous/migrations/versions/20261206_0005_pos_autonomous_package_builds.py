"""pos_autonomous: packages made in the background for the central admin's New till, with
their progress (any worker answers for them)

Revision ID: 9e1a4c5b6f57
Revises: 8d0f3b4a5e46
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '9e1a4c5b6f57'
down_revision = '8d0f3b4a5e46'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pos_autonomous_package_build',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('building_config', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('server_url', sa.String(length=255), nullable=False),
    sa.Column('cashiers', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('till_id', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.BigInteger(), nullable=False),
    sa.Column('rows_total', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('file_path', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('downloaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_package_build')),
    sa.UniqueConstraint('building_config', name=op.f('uq_pos_autonomous_package_build_building_config'))
    )


def downgrade():
    op.drop_table('pos_autonomous_package_build')
