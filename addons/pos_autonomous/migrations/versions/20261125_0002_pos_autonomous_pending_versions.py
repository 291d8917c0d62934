"""pos_autonomous: versions drawn once per transaction at COMMIT (PostgreSQL), pending rows
indexed

Revision ID: 6b8d1f2e3c24
Revises: 5a7c0e1d2b13
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '6b8d1f2e3c24'
down_revision = '5a7c0e1d2b13'
branch_labels = None
depends_on = None

# The deferred trigger fires once per changed row at COMMIT; the first firing of a transaction
# gives every pending row of that transaction its version in one statement (found through the
# small index of pending rows: only rows of running transactions have no version), and marks the
# transaction done, so a transaction that changed 100,000 rows does not run 100,000 updates.
ASSIGN_VERSIONS_ONCE = """
CREATE OR REPLACE FUNCTION pos_autonomous_assign_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('pos_autonomous.versions_given', true) = txid_current()::text THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(8101969746531669);
    UPDATE pos_autonomous_change SET version = nextval('pos_autonomous_version_seq')
     WHERE version IS NULL;
    PERFORM set_config('pos_autonomous.versions_given', txid_current()::text, true);
    RETURN NULL;
END $$;
"""

ASSIGN_VERSIONS_PER_ROW = """
CREATE OR REPLACE FUNCTION pos_autonomous_assign_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(8101969746531669);
    UPDATE pos_autonomous_change SET version = nextval('pos_autonomous_version_seq')
     WHERE table_name = NEW.table_name AND row_key = NEW.row_key AND version IS NULL;
    RETURN NULL;
END $$;
"""


def upgrade():
    op.create_index('ix_pos_autonomous_change_pending', 'pos_autonomous_change',
                    ['table_name'], unique=False,
                    postgresql_where=sa.text('version IS NULL'),
                    sqlite_where=sa.text('version IS NULL'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(ASSIGN_VERSIONS_ONCE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(ASSIGN_VERSIONS_PER_ROW)
    op.drop_index('ix_pos_autonomous_change_pending', table_name='pos_autonomous_change')
