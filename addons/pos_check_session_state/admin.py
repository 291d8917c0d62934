"""/web/pos/rejected: orders refused because their session was no longer opened, each with
"Attach to the open session". Managers and admins, every POST with the page's CSRF token (the
kernel's own guard, as point_of_sale's admin pages)."""
import json

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy import select

from addons.point_of_sale import PosConfig, PosSession
from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.admin import moment
from core.web.guard import admin_blueprint as guarded_blueprint
from core.web.guard import requires
from core.web.users import MANAGER

from .rejected import AttachError, attach, pending, state_words

admin_blueprint = guarded_blueprint("pos_check_session_state_admin", __name__,
                                    url_prefix="/web/pos/rejected", template_folder="templates")


@admin_blueprint.get("/")
@requires(MANAGER)
def index():
    engine = current_instance().engine
    with engine.connect() as connection:
        rows = pending(connection)
        session_rows = {s.id: s for s in connection.execute(select(
            PosSession.id, PosSession.name, PosSession.state, PosSession.config_id))}
        configs = dict(connection.execute(select(PosConfig.id, PosConfig.name)).all())
    items = []
    for row in rows:
        payload = json.loads(row.payload)
        session = session_rows.get(row.session_id)
        total = payload.get("amount_total")
        items.append({
            "id": row.id, "uuid": row.uuid, "reference": payload.get("reference") or row.uuid,
            "config": configs.get(row.config_id, row.config_id),
            "session": session.name if session else row.session_id,
            "state": state_words(session.state) if session else "",
            "created_at": payload.get("created_at", ""), "lines": len(payload.get("lines", [])),
            "total": total if total is not None else "", "rejected_at": moment(row.rejected_at)})
    return render_template("pos_check_session_state/rejected.html", items=items)


@admin_blueprint.post("/<int:rejected_id>/attach")
@requires(MANAGER)
def attach_order(rejected_id):
    try:
        with current_instance().engine.begin() as connection:
            order_id, target = attach(connection, rejected_id, g.login,
                                      check_order=current_plugins().hook.check_pos_order)
    except AttachError as exc:
        flash(_('Not attached: %(exc)s', exc=exc), "error")
    else:
        flash(_('Attached to session %(name)s as order %(order_id)s. The till clears it at its next '
                'send.', name=target.name, order_id=order_id))
    return redirect(url_for(".index"))
