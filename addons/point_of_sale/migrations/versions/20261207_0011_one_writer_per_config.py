"""point_of_sale: one writer per config (point_of_sale_config_writer: the configs an autonomous
till serves, which this instance then refuses to open, sell or close on); a chain may start
after the tickets its previous writer sealed (ledger head's origin)

Revision ID: 2b8e5f1c7d39
Revises: 9f1b2c3d4e07
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '2b8e5f1c7d39'
down_revision = '9f1b2c3d4e07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_config_writer',
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('writer', sa.String(length=128), nullable=False),
    sa.Column('writer_key', sa.String(length=64), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_config_writer_config_id_point_of_sale_config')),
    sa.PrimaryKeyConstraint('config_id', name=op.f('pk_point_of_sale_config_writer'))
    )
    with op.batch_alter_table('point_of_sale_ledger_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_number', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.add_column(sa.Column('origin_link', sa.String(length=64),
                                      server_default='0' * 64, nullable=False))


def downgrade():
    with op.batch_alter_table('point_of_sale_ledger_head', schema=None) as batch_op:
        batch_op.drop_column('origin_link')
        batch_op.drop_column('origin_number')
    op.drop_table('point_of_sale_config_writer')
