"""pos_autonomous: the up direction (#14): acknowledgement journal, alarms, the tills' sessions
and technical events (central); push state, sessions sent, customer outbox, technical events
journal (till)

Revision ID: 7c9e2a3f4d35
Revises: 6b8d1f2e3c24
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '7c9e2a3f4d35'
down_revision = '6b8d1f2e3c24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pos_autonomous_till_push',
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('last_acknowledged', sa.BigInteger(), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('last_push_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('till_id', name=op.f('pk_pos_autonomous_till_push'))
    )
    op.create_table('pos_autonomous_ack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('first_number', sa.BigInteger(), nullable=True),
    sa.Column('last_number', sa.BigInteger(), nullable=True),
    sa.Column('head_number', sa.BigInteger(), nullable=False),
    sa.Column('head_link', sa.String(length=64), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('refused_number', sa.BigInteger(), nullable=True),
    sa.Column('refused_status', sa.String(length=16), nullable=False),
    sa.Column('acknowledged', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_ack'))
    )
    op.create_index('ix_pos_autonomous_ack_till', 'pos_autonomous_ack', ['till_id', 'id'],
                    unique=False)
    op.create_table('pos_autonomous_alarm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('first_number', sa.BigInteger(), nullable=True),
    sa.Column('last_number', sa.BigInteger(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_alarm'))
    )
    op.create_index('ix_pos_autonomous_alarm_open', 'pos_autonomous_alarm',
                    ['till_id', 'resolved_at'], unique=False)
    op.create_table('pos_autonomous_till_session',
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('till_session_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('till_id', 'till_session_id',
                            name=op.f('pk_pos_autonomous_till_session')),
    sa.UniqueConstraint('session_id', name=op.f('uq_pos_autonomous_till_session_session_id'))
    )
    op.create_index('ix_pos_autonomous_till_session_name', 'pos_autonomous_till_session',
                    ['till_id', 'name'], unique=False)
    op.create_table('pos_autonomous_till_event',
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('till_id', 'event_id', name=op.f('pk_pos_autonomous_till_event'))
    )
    op.create_table('pos_autonomous_push_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_acknowledged', sa.BigInteger(), nullable=False),
    sa.Column('serial', sa.BigInteger(), nullable=False),
    sa.Column('events_acknowledged', sa.BigInteger(), nullable=False),
    sa.Column('last_push_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_refusal', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_push_state'))
    )
    op.create_table('pos_autonomous_session_sent',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_pos_autonomous_session_sent'))
    )
    op.create_table('pos_autonomous_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_outbox'))
    )
    op.create_table('pos_autonomous_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_event'))
    )


def downgrade():
    for table in ('pos_autonomous_event', 'pos_autonomous_outbox', 'pos_autonomous_session_sent',
                  'pos_autonomous_push_state', 'pos_autonomous_till_event',
                  'pos_autonomous_till_session', 'pos_autonomous_alarm', 'pos_autonomous_ack',
                  'pos_autonomous_till_push'):
        op.drop_table(table)
