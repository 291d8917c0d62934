"""point_of_sale: configs, sessions, products, partners, orders

Revision ID: 98d44622c40a
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '98d44622c40a'
down_revision = None
branch_labels = ('point_of_sale',)
depends_on = None


def upgrade():
    op.create_table('point_of_sale_config',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_config'))
    )
    op.create_table('point_of_sale_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=128), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('is_customer_template', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_partner'))
    )
    op.create_index('uq_point_of_sale_partner_one_template', 'point_of_sale_partner',
                    ['is_customer_template'], unique=True,
                    sqlite_where=sa.text('is_customer_template'),
                    postgresql_where=sa.text('is_customer_template'))
    op.create_table('point_of_sale_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('barcode', sa.String(length=32), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_product')),
    sa.UniqueConstraint('barcode', name=op.f('uq_point_of_sale_product_barcode'))
    )
    op.create_table('point_of_sale_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('login_number', sa.Integer(), nullable=False),
    sa.Column('sequence_number', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_point_of_sale_session_config_id_point_of_sale_config')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_session'))
    )
    with op.batch_alter_table('point_of_sale_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_session_config_id'), ['config_id'], unique=False)
        batch_op.create_index('uq_point_of_sale_session_one_open_per_config', ['config_id'], unique=True, sqlite_where=sa.text("state != 'closed'"), postgresql_where=sa.text("state != 'closed'"))

    op.create_table('point_of_sale_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('amount_untaxed', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_tax', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_paid', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_return', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['point_of_sale_partner.id'], name=op.f('fk_point_of_sale_order_partner_id_point_of_sale_partner')),
    sa.ForeignKeyConstraint(['session_id'], ['point_of_sale_session.id'], name=op.f('fk_point_of_sale_order_session_id_point_of_sale_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_order')),
    sa.UniqueConstraint('uuid', name=op.f('uq_point_of_sale_order_uuid'))
    )
    with op.batch_alter_table('point_of_sale_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_order_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_of_sale_order_created_at'), ['created_at'], unique=False)

    op.create_table('point_of_sale_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('price_unit', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('discount', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('price_subtotal', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('price_subtotal_incl', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['point_of_sale_order.id'], name=op.f('fk_point_of_sale_order_line_order_id_point_of_sale_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['point_of_sale_product.id'], name=op.f('fk_point_of_sale_order_line_product_id_point_of_sale_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_order_line'))
    )
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_order_line_order_id'), ['order_id'], unique=False)

    op.create_table('point_of_sale_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['point_of_sale_order.id'], name=op.f('fk_point_of_sale_payment_order_id_point_of_sale_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_payment'))
    )
    with op.batch_alter_table('point_of_sale_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_payment_order_id'), ['order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('point_of_sale_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_payment_order_id'))

    op.drop_table('point_of_sale_payment')
    with op.batch_alter_table('point_of_sale_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_order_line_order_id'))

    op.drop_table('point_of_sale_order_line')
    with op.batch_alter_table('point_of_sale_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_order_session_id'))
        batch_op.drop_index(batch_op.f('ix_point_of_sale_order_created_at'))

    op.drop_table('point_of_sale_order')
    with op.batch_alter_table('point_of_sale_session', schema=None) as batch_op:
        batch_op.drop_index('uq_point_of_sale_session_one_open_per_config', sqlite_where=sa.text("state != 'closed'"), postgresql_where=sa.text("state != 'closed'"))
        batch_op.drop_index(batch_op.f('ix_point_of_sale_session_config_id'))

    op.drop_table('point_of_sale_session')
    op.drop_table('point_of_sale_product')
    op.drop_index('uq_point_of_sale_partner_one_template', table_name='point_of_sale_partner')
    op.drop_table('point_of_sale_partner')
    op.drop_table('point_of_sale_config')
