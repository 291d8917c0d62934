"""Alembic glue: one revision tree, one branch per addon (labelled with its name), plus `core`.

Installing an addon is `upgrade <addon>@head`, uninstalling it `downgrade <addon>@base`, and
`core upgrade` is `upgrade <addon>@head` for each installed addon. Only the kernel and the
installed addons' branches are ever touched; `upgrade heads` would install everything.
"""
import os
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import Model

KERNEL_BRANCH = "core"
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def alembic_config(catalog, connection=None):
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    locations = [SCRIPT_LOCATION / "versions"] + [
        addon.migrations_dir for addon in catalog.addons.values() if addon.migrations_dir
    ]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    config.attributes["connection"] = connection
    return config


def script_directory(catalog):
    return ScriptDirectory.from_config(alembic_config(catalog))


def has_branch(script, name):
    return any(name in revision.branch_labels for revision in script.walk_revisions())


def upgrade_branch(connection, catalog, name):
    """Apply branch `name` up to its head; an addon without migrations has nothing to do."""
    config = alembic_config(catalog, connection)
    if has_branch(ScriptDirectory.from_config(config), name):
        command.upgrade(config, f"{name}@head")


def downgrade_branch(connection, catalog, name):
    """Revert branch `name` down to nothing, dropping what its revisions created."""
    config = alembic_config(catalog, connection)
    if has_branch(ScriptDirectory.from_config(config), name):
        command.downgrade(config, f"{name}@base")


def pending_revisions(connection, script, name):
    """Revisions of branch `name` not yet applied to this database, oldest first."""
    applied = set()
    for head in MigrationContext.configure(connection).get_current_heads():
        applied.update(r.revision for r in script.revision_map.iterate_revisions(head, "base"))
    branch = script.revision_map.iterate_revisions(f"{name}@head", "base")
    return [r.revision for r in reversed(list(branch)) if r.revision not in applied]


def model_differences(connection, tables):
    """How the database differs from the models' `tables` (Alembic autogenerate's diff, limited
    to those tables): an empty list means the addon's migrations build exactly its models."""
    names = {table.name for table in tables}

    def name_filter(name, type_, _parent_names):
        return type_ != "table" or name in names

    def object_filter(_object, name, type_, _reflected, _compare_to):
        return type_ != "table" or name in names

    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_name": name_filter, "include_object": object_filter})
    return compare_metadata(context, Model.metadata)
