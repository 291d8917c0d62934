"""pos_multi_session_sync: multi-sessions, their tills and their shared orders

Revision ID: 8376b9768087
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '8376b9768087'
down_revision = None
branch_labels = ('pos_multi_session_sync',)
depends_on = None  # no table of another addon is referred to (the bus is used through code)


def upgrade():
    op.create_table('pos_multi_session_sync_multi_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dbname', sa.String(length=128), nullable=False),
    sa.Column('multi_session_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_multi_session_sync_multi_session')),
    sa.UniqueConstraint('dbname', 'multi_session_id',
                        name=op.f('uq_pos_multi_session_sync_multi_session_dbname'))
    )
    op.create_table('pos_multi_session_sync_pos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dbname', sa.String(length=128), nullable=False),
    sa.Column('multi_session_id', sa.Integer(), nullable=False),
    sa.Column('pos_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_multi_session_sync_pos')),
    sa.UniqueConstraint('dbname', 'multi_session_id', 'pos_id',
                        name=op.f('uq_pos_multi_session_sync_pos_dbname'))
    )
    op.create_table('pos_multi_session_sync_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dbname', sa.String(length=128), nullable=False),
    sa.Column('multi_session_id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('order_json', sa.Text(), nullable=False),
    sa.Column('sequence_number', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('line_stamps', sa.Text(), nullable=False),
    sa.Column('tombstones', sa.Text(), nullable=False),
    sa.Column('header_stamp', sa.Integer(), nullable=False),
    sa.Column('versions', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_multi_session_sync_order')),
    sa.UniqueConstraint('dbname', 'multi_session_id', 'uid',
                        name=op.f('uq_pos_multi_session_sync_order_dbname'))
    )
    op.create_index(op.f('ix_pos_multi_session_sync_order_state'),
                    'pos_multi_session_sync_order', ['state'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_pos_multi_session_sync_order_state'),
                  table_name='pos_multi_session_sync_order')
    op.drop_table('pos_multi_session_sync_order')
    op.drop_table('pos_multi_session_sync_pos')
    op.drop_table('pos_multi_session_sync_multi_session')
