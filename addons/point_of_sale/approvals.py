"""Manager approvals (#23 item 3): refunds, a discount over the config's limit, a price
override, deleting a non-empty order, cash out and closing need a manager of the till: the
action done by a signed-in manager of that till (or an admin), or a manager's PIN typed at the
till. Each approval is recorded (`point_of_sale_approval`, with the ticket or the session) and
journaled (an `approval` event of the journal of technical events).

The public API, for this addon's routes and others' (cash control's cash out):

    approved = approval_for(config_id, "cash_out", body.get("approval"))   # before writing
    with engine.begin() as connection:
        ...do it...
        record_approval(connection, config_id, "cash_out", approved, session_id=..., details=...)

`approval_for` answers the JSON refusal itself: 403 `approval_required` (saying who may), or
the PIN's refusal (`wrong_pin` counted, `pin_locked`, ...).
"""
import json
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model, autocommit_read
from core.i18n import N_, _
from core.models import utc_now
from core.web import current_instance
from core.web.errors import ApiError
from core.web.sessions import signed_in_account
from core.web.users import MANAGER, role_allows

from .pin_check import verify_till_pin
from .staff import may_use_config

ACTIONS = ("refund", "discount", "price_override", "delete_order", "cash_out", "cash_in",
           "closing")
WORDS = {"refund": N_("a refund"), "discount": N_("this discount"),
         "price_override": N_("a price change"),
         "delete_order": N_("deleting an order that has lines"), "cash_out": N_("a cash out"),
         "cash_in": N_("a cash in"),
         "closing": N_("closing the session")}
APPROVAL_EVENT = "approval"


class Approval(Model):
    """A manager's yes to an action at a till, kept with its ticket or session."""
    __tablename__ = "point_of_sale_approval"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    config_id: Mapped[int] = mapped_column(Integer, index=True)
    session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    order_uuid: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    approver: Mapped[str] = mapped_column(String(64))  # the manager's login
    via: Mapped[str] = mapped_column(String(16))  # "signed_in" | "pin"
    details: Mapped[str] = mapped_column(Text, default="{}")
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


@dataclass(frozen=True)
class Approved:
    approver: str
    via: str


def approval_for(config_id, action, approval=None):
    """Who approves `action` on `config_id`'s till: the signed-in user when they are a manager
    of it, else the manager whose PIN `approval` ({"user_id", "pin"}) carries. Raises the JSON
    refusal (403 approval_required, or the PIN's)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    with autocommit_read(current_instance().engine) as connection:
        account = signed_in_account(connection)
        if account is not None and role_allows(account.role, MANAGER) \
                and may_use_config(connection, account, config_id):
            return Approved(account.login, "signed_in")
    if isinstance(approval, dict) and "pin" in approval:
        user = verify_till_pin(config_id, approval, needed=MANAGER)
        return Approved(user.login, "pin")
    if approval is not None and not isinstance(approval, dict):
        raise ApiError(400, "invalid_approval", _('send "approval": {"user_id": <a manager\'s id>, '
                                                  '"pin": "1234"}'))
    raise ApiError(403, "approval_required", _("A manager of this till must approve %(what)s: "
                                               "their PIN, or do it signed in.",
                                               what=_(WORDS[action])))


def record_approval(connection, config_id, action, approved, session_id=None, order_uuid=None,
                    details=None, approval_uuid=None):
    """Keep `approved` (from `approval_for`) with the session or ticket, and journal it, in
    `connection`'s transaction. Returns the approval's uuid."""
    from .journal import record_event
    approval_uuid = approval_uuid or str(uuid_module.uuid4())
    text = json.dumps(details or {}, sort_keys=True, default=str)
    connection.execute(Approval.__table__.insert().values(
        uuid=approval_uuid, config_id=config_id, session_id=session_id, order_uuid=order_uuid,
        action=action, approver=approved.approver, via=approved.via, details=text,
        approved_at=utc_now()))
    record_event(connection, APPROVAL_EVENT, config_id, action=action,
                 approver=approved.approver, via=approved.via, session_id=session_id,
                 order_uuid=order_uuid, approval=approval_uuid,
                 details=details or {})
    return approval_uuid


def approvals_of(connection, session_id=None, order_uuid=None):
    """The approvals kept with a session or a ticket, oldest first, as dicts."""
    from sqlalchemy import select
    query = select(Approval).order_by(Approval.id)
    if session_id is not None:
        query = query.where(Approval.session_id == session_id)
    if order_uuid is not None:
        query = query.where(Approval.order_uuid == order_uuid)
    return [{"uuid": row.uuid, "action": row.action, "approver": row.approver, "via": row.via,
             "order_uuid": row.order_uuid, "details": json.loads(row.details),
             "approved_at": row.approved_at.isoformat()} for row in connection.execute(query)]
