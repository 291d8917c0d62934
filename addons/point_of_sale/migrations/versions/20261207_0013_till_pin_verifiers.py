"""point_of_sale: on an autonomous till, a PIN row holds the till's verifier (no PBKDF2 key)

Revision ID: 9f1b2c3d4e08
Revises: 6b2e4f8a1c93
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '9f1b2c3d4e08'
down_revision = '6b2e4f8a1c93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('point_of_sale_user_pin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verifier_config_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('point_of_sale_user_pin', schema=None) as batch_op:
        batch_op.drop_column('verifier_config_id')
