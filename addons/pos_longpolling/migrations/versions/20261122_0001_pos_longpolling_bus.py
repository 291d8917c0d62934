"""pos_longpolling: the bus's messages

Revision ID: 5b1e0c7d2a41
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '5b1e0c7d2a41'
down_revision = None
branch_labels = ('pos_longpolling',)
depends_on = None


def upgrade():
    op.create_table('pos_longpolling_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_longpolling_message'))
    )
    op.create_index('ix_pos_longpolling_message_channel_id', 'pos_longpolling_message',
                    ['channel', 'id'], unique=False)
    op.create_index(op.f('ix_pos_longpolling_message_created_at'), 'pos_longpolling_message',
                    ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_pos_longpolling_message_created_at'),
                  table_name='pos_longpolling_message')
    op.drop_index('ix_pos_longpolling_message_channel_id', table_name='pos_longpolling_message')
    op.drop_table('pos_longpolling_message')
