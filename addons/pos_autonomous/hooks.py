"""Wires pos_autonomous into the kernel."""
from core import hookimpl
from core.i18n import _

from .central.models import MODELS as CENTRAL_MODELS
from .till import high_water
from .till.models import MODELS as TILL_MODELS
from .till.outbox import (  # noqa: F401 - hookimpls: a till's customers (#14)
    pos_abandon_customer,
    pos_create_customer,
    pos_update_customer,
)

# A till's high-water mark follows every commit that sealed tickets (till/high_water.py), in
# whatever process seals them: core serve, a core command, a script.
high_water.listen()


@hookimpl
def register_models():
    return CENTRAL_MODELS + TILL_MODELS  # both machines have every table (one schema)


@hookimpl
def register_routes():
    from . import admin  # noqa: F401 - the admin page of either machine
    from .central import admin as central_admin  # noqa: F401 - routes on the blueprints
    from .central import hello as central_hello  # noqa: F401
    from .central import routes as central_routes  # noqa: F401
    from .till import admin as till_admin  # noqa: F401
    from .till import routes as till_routes  # noqa: F401
    from .web import admin_blueprint, blueprint, forms_blueprint
    return [blueprint, admin_blueprint, forms_blueprint]


@hookimpl
def configure_app(app):
    """Attach change tracking to the declared tables (central instance only: a till's tables
    are written by its imports). Apps are rebuilt when addons are installed or upgraded, so a
    newly declared table, or one a migration rebuilt, is tracked within seconds. The push
    gate's size and wait are read here too (central/push_gate.py)."""

    from . import role
    from .central import push_gate
    from .central.tracking import ensure_tracked
    from .declarations import declared_tables
    instance = app.extensions["core"]
    manager = app.extensions["core.plugins"]
    with instance.engine.begin() as connection:
        till = role.link(connection)
        if till is None:
            ensure_tracked(connection, declared_tables(manager))
        push_gate.configure(app, instance.url, instance.parameters(connection, manager))


@hookimpl
def check_pos_order(connection, order, session):
    """On a till whose database is behind its high-water mark: no sale (till/high_water.py)."""
    from . import role
    if not role.is_till(connection):
        return None
    gap = high_water.behind(connection, session.config_id)
    return None if gap is None else ("database_behind", high_water.words(gap))


@hookimpl
def pre_uninstall(connection):
    from .central.tracking import drop_all_tracking
    drop_all_tracking(connection)


@hookimpl
def register_menu_links():
    return [(_("Autonomous tills"), "pos_autonomous_admin.index")]


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
