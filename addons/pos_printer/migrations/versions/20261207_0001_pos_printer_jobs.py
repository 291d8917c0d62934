"""pos_printer: the print queue

Revision ID: 6b3f0d2e8a11
Revises:
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '6b3f0d2e8a11'
down_revision = None
branch_labels = ('pos_printer',)
depends_on = ('98d44622c40a',)  # point_of_sale: its configs


def upgrade():
    op.create_table('pos_printer_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('what', sa.String(length=16), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error_code', sa.String(length=32), nullable=False),
    sa.Column('error', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['config_id'], ['point_of_sale_config.id'], name=op.f('fk_pos_printer_job_config_id_point_of_sale_config'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_printer_job')),
    sa.UniqueConstraint('key', name=op.f('uq_pos_printer_job_key'))
    )
    with op.batch_alter_table('pos_printer_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pos_printer_job_config_id'), ['config_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pos_printer_job_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('pos_printer_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pos_printer_job_state'))
        batch_op.drop_index(batch_op.f('ix_pos_printer_job_config_id'))

    op.drop_table('pos_printer_job')
