"""base_thing: item table

Revision ID: ba5e00000001
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "ba5e00000001"
down_revision = None
branch_labels = ("base_thing",)
depends_on = None


def upgrade():
    op.create_table(
        "base_thing_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(64), nullable=False),
    )


def downgrade():
    op.drop_table("base_thing_item")
