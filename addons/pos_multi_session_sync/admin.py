"""/web/pos_multi_session_sync/unpaid: shared orders left unpaid when their run ended, each
with Restore. Managers and admins, every POST with the page's CSRF token (the kernel's guard,
core.web.guard, as the other admin pages)."""
from flask import flash, redirect, render_template, url_for

from core.web import current_instance
from core.web.admin import moment
from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.guard import requires
from core.web.users import MANAGER

from .unpaid import RestoreError, listing, reference, restore

admin_blueprint = guarded_blueprint("pos_multi_session_sync_admin", __name__,
                                    url_prefix="/web/pos_multi_session_sync",
                                    template_folder="templates")


@admin_blueprint.get("/")
@requires(MANAGER)
def home():
    return redirect(url_for(".index"))


@admin_blueprint.get("/unpaid")
@requires(MANAGER)
def index():
    with current_instance().engine.connect() as connection:
        items = listing(connection)
    for item in items:
        item["updated_at"] = moment(item["updated_at"])
    return render_template("pos_multi_session_sync/unpaid.html", items=items)


@admin_blueprint.post("/unpaid/<int:order_id>/restore")
@requires(MANAGER)
def restore_order(order_id):
    try:
        key, order = restore(current_instance().engine, order_id)
    except RestoreError as exc:
        flash(f"Not restored: {exc}", "error")
    else:
        flash(f"Restored {reference(order.order, order.uid)} as number "
              f"{order.sequence_number} of multi-session {key.multi_session_id} "
              f"({key.dbname}); its tills show it again.")
    return redirect(url_for(".index"))
