"""pos_autonomous: the tills' chained journals of technical events go up (a central instance
keeps each till's events as sealed, a till remembers the last one acknowledged), and a till
keeps the last jump of its clock as an alarm

Revision ID: 2b8d4f0e6c35
Revises: 1a7c3e9d5b24
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '2b8d4f0e6c35'
down_revision = '1a7c3e9d5b24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pos_autonomous_till_journal',
        sa.Column('till_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('config_id', sa.Integer(), nullable=True),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('previous_link', sa.String(length=64), nullable=False),
        sa.Column('link', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('till_id', 'number',
                                name=op.f('pk_pos_autonomous_till_journal')))
    with op.batch_alter_table('pos_autonomous_push_state') as batch:
        batch.add_column(sa.Column('journal_acknowledged', sa.BigInteger(), nullable=False,
                                   server_default='0'))
    with op.batch_alter_table('pos_autonomous_link') as batch:
        batch.add_column(sa.Column('clock_alarm', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('pos_autonomous_link') as batch:
        batch.drop_column('clock_alarm')
    with op.batch_alter_table('pos_autonomous_push_state') as batch:
        batch.drop_column('journal_acknowledged')
    op.drop_table('pos_autonomous_till_journal')
