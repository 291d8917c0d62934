"""Alembic environment shared by the kernel and every addon.

Each addon's revisions form a branch labelled with the addon's name, all recorded in the one
`alembic_version` table. The kernel always hands us an open connection inside its own
transaction (`config.attributes["connection"]`), so a failed revision rolls the whole install
back, on SQLite as on PostgreSQL.
"""
from alembic import context

from core.db import Model

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise SystemExit("run migrations through the `core` command (core install / upgrade)")

context.configure(
    connection=connection,
    target_metadata=Model.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
