"""pos_autonomous: a finished package's bytes are kept in the database until downloaded (not on
the disk of the machine that built it), so any server in front of the database hands it out

Revision ID: 4d0f6b2a8e57
Revises: 3c9e5a1f7d46
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '4d0f6b2a8e57'
down_revision = '3c9e5a1f7d46'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pos_autonomous_package_part',
        sa.Column('build_id', sa.Integer(), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('build_id', 'part', name=op.f('pk_pos_autonomous_package_part')),
    )


def downgrade():
    op.drop_table('pos_autonomous_package_part')
