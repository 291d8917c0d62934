"""/web/pos_multi_session_sync/unpaid: shared orders left unpaid when their run ended, each
with Restore. Managers and admins, every POST with the page's CSRF token (the kernel's guard,
core.web.guard, as the other admin pages)."""
from flask import flash, redirect, render_template, url_for

from core.i18n import _
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
        flash(_('Not restored: %(exc)s', exc=exc), "error")
    else:
        flash(_('Restored %(uid)s as number %(sequence_number)s of multi-session %(multi_session_id)s '
                '(%(dbname)s); its tills show it again.'
                , uid=reference(order.order, order.uid), sequence_number=order.sequence_number,
                multi_session_id=key.multi_session_id, dbname=key.dbname))
    return redirect(url_for(".index"))
