"""kernel tables: addon states, system parameters, users, record settings

Revision ID: c0de00000001
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "c0de00000001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade():
    op.create_table(
        "core_addon",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "core_parameter",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "core_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.UniqueConstraint("login", name="uq_core_user_login"),
    )
    op.create_table(
        "core_record_setting",
        sa.Column("form", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.Integer, primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("addon", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_core_record_setting_addon", "core_record_setting", ["addon"])


def downgrade():
    op.drop_table("core_record_setting")
    op.drop_table("core_user")
    op.drop_table("core_parameter")
    op.drop_table("core_addon")
