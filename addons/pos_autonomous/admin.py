"""/web/pos_autonomous: the admin page of whichever machine this is (asked once, of role.py):
the central instance's (central/admin.py) or the till's (till/admin.py)."""
from flask import jsonify

from core.web import current_instance, current_plugins
from core.web.guard import requires
from core.web.users import MANAGER

from . import role
from .central import admin as central_admin
from .declarations import declared_tables
from .till import admin as till_admin
from .till.status import till_status
from .web import admin_blueprint, central_needs_an_admin


@admin_blueprint.get("/")
@requires(MANAGER)  # a manager of the till, on a till; an admin on the central instance
def index():
    declared = declared_tables(current_plugins())
    with current_instance().engine.begin() as connection:
        state = till_status(connection)
        refused = central_needs_an_admin(state["role"] == role.TILL)
        if refused:
            return refused
        if state["role"] == role.TILL:
            return till_admin.page(connection, state)
        return central_admin.page(connection, declared)


@admin_blueprint.get("/recovery")
@requires(MANAGER)  # a manager of the till
def recovery():
    """This till's last recovery as JSON (running, lines, result, error): the page follows it.
    On the central instance, as its other till pages, an admin's only."""
    instance = current_instance()
    with instance.engine.connect() as connection:
        refused = central_needs_an_admin(role.is_till(connection))
    return refused or jsonify(till_admin.recovery_of(instance))
