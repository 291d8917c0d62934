"""The till's cashier switch (`POST /pos/config/<id>/cashier`: a PIN says who is at the till) and
the managers' Staff page (`/web/pos/staff`: who may use which till, and their PINs)."""
import json

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from core.errors import CoreError
from core.i18n import _
from core.models import User
from core.web import current_instance
from core.web.errors import ApiError, json_object
from core.web.guard import admin_blueprint, requires
from core.web.users import ADMIN, MANAGER, role_allows

from .access import require_config_access
from .models import PosConfig
from .pin_check import PIN_STATUS, pin_limits, till_user, verify_till_pin  # noqa: F401
from .staff import (
    PosConfigUser,
    PosUserPin,
    set_pin,
)

staff_blueprint = Blueprint("point_of_sale_staff", __name__, url_prefix="/pos")
staff_admin = admin_blueprint("point_of_sale_staff_admin", __name__, url_prefix="/web/pos/staff",
                              template_folder="templates")


@staff_blueprint.post("/config/<int:config_id>/cashier")
def switch_cashier(config_id):
    """`{"user_id", "pin"}` -> `{"cashier": {id, login, role}}`: who is at the till now. It
    signs nobody in: the till's page stays the session it was."""
    require_config_access(config_id)
    user = verify_till_pin(config_id, json_object())
    return jsonify(cashier={"id": user.id, "login": user.login, "role": user.role})


@staff_blueprint.post("/config/<int:config_id>/approval")
def approve(config_id):
    """`{"action", "approval": {"user_id", "pin"}, "order_uuid"?, "session_id"?, "details"?}`
    -> `{"approval": {uuid, action, approver, via}}`: a manager of this till approves an action
    at it (a refund, a discount, a price change, deleting an order with lines), kept with the
    ticket and journaled. A signed-in manager of the till needs no PIN."""
    from .approvals import ACTIONS, approval_for, record_approval
    require_config_access(config_id)
    body = json_object()
    action = body.get("action")
    if action not in ACTIONS:
        raise ApiError(400, "invalid_action", _('action must be one of %(actions)s'
                                                , actions=', '.join(ACTIONS)))
    order_uuid, session_id = body.get("order_uuid"), body.get("session_id")
    details = body.get("details", {})
    if order_uuid is not None and (not isinstance(order_uuid, str) or len(order_uuid) > 64):
        raise ApiError(400, "invalid_order_uuid", _('order_uuid: the uuid of the order it is for'))
    if session_id is not None and (not isinstance(session_id, int) or isinstance(session_id,
                                                                                 bool)):
        raise ApiError(400, "invalid_session_id", _("session_id: the session's id, a number"))
    if not isinstance(details, dict) or len(json_text(details)) > 2000:
        raise ApiError(400, "invalid_details", _('details: a JSON object of at most 2000 characters'))
    approved = approval_for(config_id, action, body.get("approval"))
    with current_instance().engine.begin() as connection:
        approval_uuid = record_approval(connection, config_id, action, approved,
                                        session_id=session_id, order_uuid=order_uuid,
                                        details=details)
    return jsonify(approval={"uuid": approval_uuid, "action": action,
                             "approver": approved.approver, "via": approved.via})


def json_text(value):
    return json.dumps(value, default=str)


# -- the managers' Staff page ------------------------------------------------------------------

@staff_admin.get("/")
@requires(MANAGER)
def index():
    with current_instance().engine.connect() as connection:
        configs = connection.execute(select(PosConfig.id, PosConfig.name)
                                     .order_by(PosConfig.id)).all()
        users = connection.execute(select(User.id, User.login, User.role).order_by(User.login)).all()
        allowed = {}
        for config_id, user_id in connection.execute(select(PosConfigUser.config_id,
                                                            PosConfigUser.user_id)):
            allowed.setdefault(user_id, []).append(config_id)
        pins = {row.user_id: row for row in connection.execute(select(PosUserPin))}
    names = {config.id: config.name for config in configs}
    rows = [{"user": user, "tills": [names[c] for c in sorted(allowed.get(user.id, []))],
             "pin": pins.get(user.id), "may_set": may_set_pin_of(user.role)} for user in users]
    return render_template("point_of_sale/admin/staff.html", rows=rows)


def may_set_pin_of(role):
    """A manager sets the PINs of cashiers and managers; an admin's, only an admin."""
    return role_allows(g.role, ADMIN) or not role_allows(role, ADMIN)


@staff_admin.post("/<int:user_id>/pin")
@requires(MANAGER)
def save_pin(user_id):
    engine = current_instance().engine
    with engine.connect() as connection:
        user = connection.execute(select(User.id, User.login, User.role)
                                  .where(User.id == user_id)).first()
    if user is None:
        flash(_('There is no user %(user_id)s.', user_id=user_id), "error")
    elif not may_set_pin_of(user.role):
        return render_template("forbidden.html", needed=ADMIN), 403
    else:
        try:
            with engine.begin() as connection:
                set_pin(connection, user_id, request.form.get("pin", "").strip())
            flash(_('New PIN saved for %(login)s.', login=user.login))
        except CoreError as exc:
            flash(_('%(login)s: %(exc)s.', login=user.login, exc=exc), "error")
    return redirect(url_for(".index"))
