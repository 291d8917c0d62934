"""pos_autonomous: a till remembers what the central instance holds back (a till → server
table switched off in Tables to synchronise), to say it in its status

Revision ID: 8d0f3b4a5e46
Revises: 7c9e2a3f4d35
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '8d0f3b4a5e46'
down_revision = '7c9e2a3f4d35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pos_autonomous_link') as batch:
        batch.add_column(sa.Column('up_held', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('pos_autonomous_link') as batch:
        batch.drop_column('up_held')
