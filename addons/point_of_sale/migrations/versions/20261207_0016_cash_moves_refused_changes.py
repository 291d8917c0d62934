"""point_of_sale: the database refuses UPDATE and DELETE of cash moves (the opening float, cash
in and out) as it does for sealed rows: a mistake is corrected by another move

Revision ID: 3e7a9c1b5d42
Revises: 8c4d2a6e0f51
Create Date: 2026-12-07
"""
from alembic import op

from addons.point_of_sale.ledger_guard import drop_seal_guards, install_seal_guards

revision = '3e7a9c1b5d42'
down_revision = '8c4d2a6e0f51'
branch_labels = None
depends_on = None

TABLES = ("point_of_sale_cash_move",)


def upgrade():
    install_seal_guards(op.get_bind(), TABLES)


def downgrade():
    drop_seal_guards(op.get_bind(), TABLES)
