"""pos_autonomous: tills installed with the old default page size (2,000 rows) take the new one
(10,000: an import in a fifth of the round trips and commits, bench/autonomous.py (a)); a size
someone chose stays as it is.

Revision ID: 1a7c3e9d5b24
Revises: 0f2b5d6c7a68
Create Date: 2026-12-06
"""
from alembic import op


revision = '1a7c3e9d5b24'
down_revision = '0f2b5d6c7a68'
branch_labels = None
depends_on = None

# The row of this addon's own parameter (declared in system_parameters.yaml), not another's.
_SET = ("UPDATE core_parameter SET value = '{new}' "
        "WHERE key = 'pos_autonomous.page_size' AND value = '{old}'")


def upgrade():
    op.execute(_SET.format(old=2000, new=10000))


def downgrade():
    op.execute(_SET.format(old=10000, new=2000))
