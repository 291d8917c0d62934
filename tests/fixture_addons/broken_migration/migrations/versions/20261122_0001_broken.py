"""broken_migration: creates a table, then fails

Revision ID: b40c00000001
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "b40c00000001"
down_revision = None
branch_labels = ("broken_migration",)
depends_on = None


def upgrade():
    op.create_table("broken_migration_half", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO no_such_table VALUES (1)")


def downgrade():
    op.drop_table("broken_migration_half")
