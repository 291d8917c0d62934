"""point_of_sale: the shop header, currency and locale of a config; customers' address and
retirement

Revision ID: 5c1e0a7d2b44
Revises: 98d44622c40a
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '5c1e0a7d2b44'
down_revision = '98d44622c40a'
branch_labels = None
depends_on = None

CONFIG_COLUMNS = [
    ('shop_name', sa.String(length=128)),
    ('shop_address', sa.String(length=512)),
    ('vat_number', sa.String(length=32)),
    ('currency_code', sa.String(length=3)),
    ('locale', sa.String(length=35)),
]
PARTNER_COLUMNS = [
    ('street', sa.String(length=128)),
    ('zip', sa.String(length=16)),
    ('city', sa.String(length=64)),
    ('country_code', sa.String(length=2)),
]


def upgrade():
    with op.batch_alter_table('point_of_sale_config') as batch:
        for name, type_ in CONFIG_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))
        batch.add_column(sa.Column('prices_include_tax', sa.Boolean(), nullable=False,
                                   server_default=sa.text('true')))
    with op.batch_alter_table('point_of_sale_partner') as batch:
        for name, type_ in PARTNER_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                   server_default=sa.text('true')))


def downgrade():
    with op.batch_alter_table('point_of_sale_partner') as batch:
        for name in ['active', *(name for name, _ in reversed(PARTNER_COLUMNS))]:
            batch.drop_column(name)
    with op.batch_alter_table('point_of_sale_config') as batch:
        for name in ['prices_include_tax', *(name for name, _ in reversed(CONFIG_COLUMNS))]:
            batch.drop_column(name)
