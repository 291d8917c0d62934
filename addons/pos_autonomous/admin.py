"""/web/pos_autonomous: the admin page of whichever machine this is (asked once, of role.py):
the central instance's (central/admin.py) or the till's (till/admin.py)."""
from core.web import current_instance, current_plugins

from . import role
from .central import admin as central_admin
from .declarations import declared_tables
from .till import admin as till_admin
from .till.status import till_status
from .web import admin_blueprint


@admin_blueprint.get("/")
def index():
    declared = declared_tables(current_plugins())
    with current_instance().engine.begin() as connection:
        state = till_status(connection)
        if state["role"] == role.TILL:
            return till_admin.page(connection, state)
        return central_admin.page(connection, declared)
