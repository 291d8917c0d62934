"""point_of_sale: the database refuses UPDATE and DELETE of sealed rows (orders, lines, payments,
closings, ledger entries, journal events) with triggers; point_of_sale_ledger_unseal records the
one way through

Revision ID: 9d3f6a2e8b17
Revises: 57aff0c0f16e
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

from addons.point_of_sale.ledger_guard import drop_seal_guards, install_seal_guards

revision = '9d3f6a2e8b17'
down_revision = '57aff0c0f16e'
branch_labels = None
depends_on = None

TABLES = ("point_of_sale_order", "point_of_sale_order_line", "point_of_sale_payment",
          "point_of_sale_closing", "point_of_sale_ledger_entry",
                 "point_of_sale_journal_event")


def upgrade():
    op.create_table('point_of_sale_ledger_unseal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=512), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_ledger_unseal'))
    )
    with op.batch_alter_table('point_of_sale_ledger_checkpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unseal_seen', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
    install_seal_guards(op.get_bind(), TABLES)


def downgrade():
    bind = op.get_bind()
    drop_seal_guards(bind, TABLES)
    with op.batch_alter_table('point_of_sale_ledger_checkpoint', schema=None) as batch_op:
        batch_op.drop_column('unseal_seen')
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS point_of_sale_refuse_sealed_change()")
    op.drop_table('point_of_sale_ledger_unseal')
