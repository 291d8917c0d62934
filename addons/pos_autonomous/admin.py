"""/web/pos_autonomous: on the central instance, *Tables to synchronise* (kind, switch) and the
tills (revoke); on a till, its synchronisation status. Signed-in admins, CSRF on every POST."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from core.errors import CoreError
from core.web import current_instance, current_plugins
from core.web.admin import moment, require_login_and_csrf

from . import admin_forms, files, tills
from .declarations import declared_tables, set_row, sync_rows
from .models import KINDS
from .status import till_status

admin_blueprint = Blueprint("pos_autonomous_admin", __name__, url_prefix="/web/pos_autonomous",
                            template_folder="templates")
admin_blueprint.before_request(require_login_and_csrf)


@admin_blueprint.get("/")
def index():
    declared = declared_tables(current_plugins())
    with current_instance().engine.begin() as connection:
        state = till_status(connection)
        rows = sync_rows(connection, declared) if state["role"] == "central" else []
        till_rows = tills.tills(connection) if state["role"] == "central" else []
        forms = (admin_forms.central_context(connection) if state["role"] == "central"
                 else {"timings": admin_forms.timings(connection)})
        up = admin_up.context(connection, state)  # the up direction's sections (#14)
    if state["role"] == "till":
        return render_template("pos_autonomous/till.html", state=state, moment=moment,
                               up=up, **forms)
    return render_template("pos_autonomous/central.html", rows=rows, kinds=KINDS,
                           tills=till_rows, moment=moment, up=up, **forms)


@admin_blueprint.post("/tables/<table_name>/<direction>")
def update_table(table_name, direction):
    try:
        with current_instance().engine.begin() as connection:
            set_row(connection, table_name, direction, kind=request.form.get("kind"),
                    active=request.form.get("active") == "1")
    except CoreError as exc:
        flash(f"Not saved: {exc}", "error")
    else:
        flash(f"Saved {table_name} ({direction}).")
    return redirect(url_for(".index"))


@admin_blueprint.post("/test-connection")
def test_connection():
    """Download test.txt from a folder or FTP server (the original's *Tester la connexion*)."""
    location = (request.form.get("location") or "").strip()
    try:
        if not location:
            raise CoreError("give a folder or an ftp://user:password@host/folder address")
        size = files.test_connection(location)
    except CoreError as exc:
        flash(f"Connection failed: {exc}", "error")
    else:
        flash(f"Connection works: {files.TEST_FILE} downloaded ({size} bytes).")
    return redirect(url_for(".index"))


@admin_blueprint.post("/tills/<int:till_id>/revoke")
def revoke_till(till_id):
    try:
        with current_instance().engine.begin() as connection:
            tills.revoke(connection, till_id)
    except CoreError as exc:
        flash(f"Not revoked: {exc}", "error")
    else:
        flash(f"Till {till_id} is revoked: its synchroniser is refused from now on.")
    return redirect(url_for(".index"))


from . import admin_up  # noqa: E402 - its routes join this blueprint; it imports admin_blueprint
