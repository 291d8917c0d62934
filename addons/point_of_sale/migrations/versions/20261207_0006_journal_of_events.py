"""point_of_sale: the journal of technical events (JET), one hash chain per instance

Revision ID: 4a1d7c3e9b06
Revises: 7e2b9d4c1a05
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '4a1d7c3e9b06'
down_revision = '7e2b9d4c1a05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('point_of_sale_journal_head',
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_point_of_sale_journal_head'))
    )
    op.create_table('point_of_sale_journal_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('previous_link', sa.String(length=64), nullable=False),
    sa.Column('link', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_of_sale_journal_event')),
    sa.UniqueConstraint('chain', 'number', name='uq_point_of_sale_journal_event_number')
    )
    with op.batch_alter_table('point_of_sale_journal_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_point_of_sale_journal_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_point_of_sale_journal_event_config_id'), ['config_id'], unique=False)


def downgrade():
    with op.batch_alter_table('point_of_sale_journal_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_point_of_sale_journal_event_config_id'))
        batch_op.drop_index(batch_op.f('ix_point_of_sale_journal_event_at'))

    op.drop_table('point_of_sale_journal_event')
    op.drop_table('point_of_sale_journal_head')
