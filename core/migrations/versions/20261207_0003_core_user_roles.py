"""kernel: users have a role (cashier, manager, admin); the users there were become admins

Revision ID: c0de00000003
Revises: c0de00000002
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "c0de00000003"
down_revision = "c0de00000002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_user") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False,
                                   server_default="admin"))


def downgrade():
    with op.batch_alter_table("core_user") as batch:
        batch.drop_column("role")
