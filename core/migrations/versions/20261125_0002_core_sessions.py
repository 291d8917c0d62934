"""kernel: server-side admin sessions (signing out ends them; cookies of other instances fail)

Revision ID: c0de00000002
Revises: c0de00000001
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "c0de00000002"
down_revision = "c0de00000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "core_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_core_session_user_id", "core_session", ["user_id"])


def downgrade():
    op.drop_table("core_session")
