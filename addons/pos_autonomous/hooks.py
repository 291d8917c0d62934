"""Wires pos_autonomous into the kernel."""
from core import hookimpl

from .models import MODELS
from .outbox import (  # noqa: F401 - hookimpls (#14)
    pos_abandon_customer,
    pos_create_customer,
    pos_update_customer,
)


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_routes():
    from . import routes_up  # noqa: F401 - the up direction's routes, on the same blueprint
    from .admin import admin_blueprint
    from .admin_forms import forms_blueprint
    from .routes import blueprint
    return [blueprint, admin_blueprint, forms_blueprint]


@hookimpl
def configure_app(app):
    """Attach change tracking to the declared tables (central instance only: a till's tables
    are written by its imports). Apps are rebuilt when addons are installed or upgraded, so a
    newly declared table, or one a migration rebuilt, is tracked within seconds."""

    from .declarations import declared_tables
    from .status import link
    from .tracking import ensure_tracked
    instance = app.extensions["core"]
    manager = app.extensions["core.plugins"]
    with instance.engine.begin() as connection:
        if link(connection) is None:
            ensure_tracked(connection, declared_tables(manager))


@hookimpl
def pre_uninstall(connection):
    from .tracking import drop_all_tracking
    drop_all_tracking(connection)


@hookimpl
def register_menu_links():
    return [("Autonomous tills", "pos_autonomous_admin.index")]


@hookimpl
def register_assets(page):
    if page == "pos":
        return ["/pos_autonomous/static/autonomous.js"]
    return []


@hookimpl
def register_commands(cli):
    from .commands import autonomous
    cli.add_command(autonomous)


@hookimpl
def register_setup_commands(cli):
    """`core --db sqlite:///till.db autonomous init PACKAGE` runs on an empty database."""
    from .commands import setup_group
    cli.add_command(setup_group)
