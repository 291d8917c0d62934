"""point_of_sale: users' PINs for switching cashiers at a till (PBKDF2 only), with wrong tries

Revision ID: 9f1b2c3d4e07
Revises: 9d3f6a2e8b17
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '9f1b2c3d4e07'
down_revision = '9d3f6a2e8b17'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_user_pin',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('iterations', sa.Integer(), nullable=False),
    sa.Column('pin_key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_point_of_sale_user_pin'))
    )


def downgrade():
    op.drop_table('point_of_sale_user_pin')
