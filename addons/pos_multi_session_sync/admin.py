"""/web/pos_multi_session_sync/unpaid: shared orders left unpaid when their run ended, each
with Restore. Signed-in admins only, every POST with the page's CSRF token (the kernel's own
guard, as the other admin pages)."""
from flask import Blueprint, flash, redirect, render_template, url_for

from core.web import current_instance
from core.web.admin import moment, require_login_and_csrf

from .unpaid import RestoreError, listing, reference, restore

admin_blueprint = Blueprint("pos_multi_session_sync_admin", __name__,
                            url_prefix="/web/pos_multi_session_sync",
                            template_folder="templates")
admin_blueprint.before_request(require_login_and_csrf)


@admin_blueprint.get("/")
def home():
    return redirect(url_for(".index"))


@admin_blueprint.get("/unpaid")
def index():
    with current_instance().engine.connect() as connection:
        items = listing(connection)
    for item in items:
        item["updated_at"] = moment(item["updated_at"])
    return render_template("pos_multi_session_sync/unpaid.html", items=items)


@admin_blueprint.post("/unpaid/<int:order_id>/restore")
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
