"""pos_check_session_state: orders refused for a session that was not opened

Revision ID: 0ac0a04b1f11
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0ac0a04b1f11'
down_revision = None
branch_labels = ('pos_check_session_state',)
depends_on = ('98d44622c40a',)  # point_of_sale: its sessions, configs, orders


def upgrade():
    op.create_table('pos_check_session_state_rejected_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attached_order_id', sa.Integer(), nullable=True),
    sa.Column('attached_to_session_id', sa.Integer(), nullable=True),
    sa.Column('attached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attached_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['attached_order_id'], ['point_of_sale_order.id'], name=op.f('fk_pos_check_session_state_rejected_order_attached_order_id_point_of_sale_order')),
    sa.ForeignKeyConstraint(['attached_to_session_id'], ['point_of_sale_session.id'], name=op.f('fk_pos_check_session_state_rejected_order_attached_to_session_id_point_of_sale_session')),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_pos_check_session_state_rejected_order_config_id_point_of_sale_config')),
    sa.ForeignKeyConstraint(['session_id'], ['point_of_sale_session.id'], name=op.f('fk_pos_check_session_state_rejected_order_session_id_point_of_sale_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_check_session_state_rejected_order')),
    sa.UniqueConstraint('uuid', name=op.f('uq_pos_check_session_state_rejected_order_uuid'))
    )
    with op.batch_alter_table('pos_check_session_state_rejected_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pos_check_session_state_rejected_order_config_id'), ['config_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pos_check_session_state_rejected_order_session_id'), ['session_id'], unique=False)



def downgrade():
    with op.batch_alter_table('pos_check_session_state_rejected_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pos_check_session_state_rejected_order_session_id'))
        batch_op.drop_index(batch_op.f('ix_pos_check_session_state_rejected_order_config_id'))

    op.drop_table('pos_check_session_state_rejected_order')
