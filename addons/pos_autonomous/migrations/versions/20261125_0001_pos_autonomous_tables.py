"""pos_autonomous: change log, tables to synchronise, tills (central); link, checkpoints (till)

Revision ID: 5a7c0e1d2b13
Revises:
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '5a7c0e1d2b13'
down_revision = None
branch_labels = ('pos_autonomous',)
depends_on = None  # declared tables are reached through the hook, not by foreign key

# PostgreSQL: versions come from one sequence, drawn at COMMIT under an advisory lock (see
# tracking.py); the function is what the deferred trigger on the change log runs.
ASSIGN_VERSIONS = """
CREATE FUNCTION pos_autonomous_assign_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(8101969746531669);
    UPDATE pos_autonomous_change SET version = nextval('pos_autonomous_version_seq')
     WHERE table_name = NEW.table_name AND row_key = NEW.row_key AND version IS NULL;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER pos_autonomous_change_version
    AFTER INSERT OR UPDATE ON pos_autonomous_change DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.version IS NULL) EXECUTE FUNCTION pos_autonomous_assign_version();
"""


def upgrade():
    op.create_table('pos_autonomous_change',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_key', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'row_key', name=op.f('pk_pos_autonomous_change'))
    )
    op.create_index('ix_pos_autonomous_change_table_version', 'pos_autonomous_change',
                    ['table_name', 'version'], unique=False)
    op.create_index('ix_pos_autonomous_change_version', 'pos_autonomous_change',
                    ['version'], unique=False)
    op.create_index('ix_pos_autonomous_change_tombstones', 'pos_autonomous_change',
                    ['deleted', 'changed_at'], unique=False)
    op.create_table('pos_autonomous_sync_table',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'direction', name=op.f('pk_pos_autonomous_sync_table'))
    )
    op.create_table('pos_autonomous_table',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('purged_version', sa.BigInteger(), nullable=False),
    sa.Column('tracked_since', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_pos_autonomous_table'))
    )
    op.create_table('pos_autonomous_till',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_contact_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_till'))
    )
    op.create_index(op.f('ix_pos_autonomous_till_config_id'), 'pos_autonomous_till',
                    ['config_id'], unique=False)
    op.create_table('pos_autonomous_till_cashier',
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('till_id', 'user_id', name=op.f('pk_pos_autonomous_till_cashier'))
    )
    op.create_table('pos_autonomous_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_url', sa.String(length=255), nullable=False),
    sa.Column('till_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('cashiers_digest', sa.String(length=64), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_event', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pos_autonomous_link'))
    )
    op.create_table('pos_autonomous_checkpoint',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('snapshot', sa.BigInteger(), nullable=True),
    sa.Column('after', sa.BigInteger(), nullable=True),
    sa.Column('columns', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('rows_done', sa.BigInteger(), nullable=False),
    sa.Column('rows_total', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_pos_autonomous_checkpoint'))
    )
    op.create_table('pos_autonomous_cashier',
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('login', name=op.f('pk_pos_autonomous_cashier'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE SEQUENCE pos_autonomous_version_seq')
        op.execute(ASSIGN_VERSIONS)


def downgrade():
    # The triggers on declared tables are dropped by the pre_uninstall hook (tracking.py).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS pos_autonomous_change_version ON pos_autonomous_change')
        op.execute('DROP FUNCTION IF EXISTS pos_autonomous_assign_version()')
        op.execute('DROP SEQUENCE IF EXISTS pos_autonomous_version_seq')
    for table in ('pos_autonomous_cashier', 'pos_autonomous_checkpoint', 'pos_autonomous_link',
                  'pos_autonomous_till_cashier', 'pos_autonomous_till', 'pos_autonomous_table',
                  'pos_autonomous_sync_table', 'pos_autonomous_change'):
        op.drop_table(table)
