"""child_thing: note table

Revision ID: c41d00000001
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "c41d00000001"
down_revision = None
branch_labels = ("child_thing",)
depends_on = ("ba5e00000001",)  # base_thing_item must exist first


def upgrade():
    op.create_table(
        "child_thing_note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer,
                  sa.ForeignKey("base_thing_item.id",
                                name="fk_child_thing_note_item_id_base_thing_item"),
                  nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
    )


def downgrade():
    op.drop_table("child_thing_note")
