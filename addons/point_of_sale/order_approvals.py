"""The server's side of managers' approvals of a pushed order (#23): an order holding a refund,
a line discount above `point_of_sale.discount_approval_percent` or a line price other than its
product's is refused (`approval_required`, naming what needs approving) unless it carries the
approval. How an approval travels with the order (its `"approvals"`, a list):

- `{"action", "uuid"}`: an approval recorded by `POST /pos/config/<id>/approval` for this
  order (its `order_uuid`) and action on the order's config: the till was online when the
  manager approved (kept and journaled then);
- `{"action", "user_id", "proof", "approved_at"?}`: approved while the till could not reach
  the server, with the PIN of the manager `user_id`, which the page checked against what the
  till holds. `proof` is HMAC-SHA256 of "comptoir-approval:<config id>:<order uuid>:<action>"
  (staff.approval_message) keyed with PBKDF2-SHA256 of the PIN: the server, which keeps that
  key, checks that this manager's PIN was typed for this order and action (a wrong proof
  counts as a wrong PIN, and a locked PIN refuses it). Kept with the ticket (`pin_offline`)
  and journaled when the order is stored;
- nothing, when the push comes from a signed-in manager of the till (kept, `signed_in`).

The rule runs in the push's `check_order` (routes.py), one order at a time: a refused order
never takes the others of its push with it. The limit is the app's, read when it was built
(`APP_LIMIT`: the app is rebuilt when a parameter changes); the products' prices are read once
per push. An autonomous till runs the same route for its page, so its tickets obey
the rule there; its approvals reach the central with its journal (`received_approvals`).
"""
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from core.db import insert_or_ignore
from core.i18n import _
from core.web import current_instance, current_plugins
from core.web.users import MANAGER, role_allows

from .approvals import WORDS, Approval, Approved, record_approval
from .fields import Rejection
from .models import Product
from .pin_check import MAX_USER_ID, pin_limits, till_user
from .staff import PinRefused, approval_message, check_pin_proof, may_use_config
from .totals import CENT

ORDER_ACTIONS = ("refund", "discount", "price_override")
LIMIT = "point_of_sale.discount_approval_percent"
MAX_APPROVALS = 8
UUID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PROOF = re.compile(r"[0-9a-f]{64}")
OFFLINE = "pin_offline"
UNREAD = object()  # the limit, until the first order of a push reads it
APP_LIMIT = "point_of_sale.discount_approval_limit"  # app.extensions key (hooks.configure_app)
PRICES = select(Product.__table__.c.id, Product.__table__.c.price).where(
    Product.__table__.c.id.in_(bindparam("ids", expanding=True)))  # built once (orders.py)


@dataclass(frozen=True)
class OrderApproval:
    """One approval an order carries: recorded already (`uuid`), or given offline (`user_id`,
    `proof`, `approved_at` as the till said it)."""
    action: str
    uuid: str | None = None
    user_id: int | None = None
    proof: str | None = None
    approved_at: str | None = None

    def to_wire(self):
        return {key: value for key, value in (
            ("action", self.action), ("uuid", self.uuid), ("user_id", self.user_id),
            ("proof", self.proof), ("approved_at", self.approved_at)) if value is not None}


def parse_approvals(raw):
    """An order's `approvals` as OrderApprovals (a tuple); Rejection `invalid_approval`."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_APPROVALS:
        raise Rejection("invalid_approval", _("'approvals' must be a list of at most %(count)s "
                                              "approvals", count=MAX_APPROVALS))
    return tuple(_approval(item, index) for index, item in enumerate(raw))


def _approval(raw, index):
    where = f"approvals[{index}]"
    if not isinstance(raw, dict) or raw.get("action") not in ORDER_ACTIONS:
        raise Rejection("invalid_approval", _("%(where)s must be an object whose action is one "
                                              "of %(actions)s", where=where,
                                              actions=", ".join(ORDER_ACTIONS)))
    uuid = raw.get("uuid")
    if uuid is not None:
        if not isinstance(uuid, str) or not UUID.fullmatch(uuid):
            raise Rejection("invalid_approval", _("%(where)s.uuid must be the uuid of an "
                                                  "approval the server gave", where=where))
        return OrderApproval(raw["action"], uuid=uuid)
    return _offline_approval(raw, where)


def _offline_approval(raw, where):
    user_id, proof, at = raw.get("user_id"), raw.get("proof"), raw.get("approved_at")
    if isinstance(user_id, bool) or not isinstance(user_id, int) \
            or not 1 <= user_id <= MAX_USER_ID or not isinstance(proof, str) \
            or not PROOF.fullmatch(proof):
        raise Rejection("invalid_approval", _(
            '%(where)s needs "uuid" (an approval the server gave), or "user_id" (the manager) '
            'and "proof" (64 hexadecimal digits the till computed with their PIN)',
            where=where))
    if at is not None and not _is_time(at):
        raise Rejection("invalid_approval", _("%(where)s.approved_at must be an ISO 8601 date "
                                              "and time", where=where))
    return OrderApproval(raw["action"], user_id=user_id, proof=proof, approved_at=at)


def _is_time(value):
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def actions_needed(order, prices, limit):
    """What of `order` needs a manager: a refund, a line discount above `limit` percent, a
    line price other than its product's (`prices`: product id -> price; a refund's lines take
    the refunded order's prices)."""
    actions = []
    if order.refunded_order_uuid is not None:
        actions.append("refund")
    if any(line.discount > limit for line in order.lines):
        actions.append("discount")
    if order.refunded_order_uuid is None and any(
            line.product_id in prices and line.price_unit != prices[line.product_id]
            for line in order.lines):
        actions.append("price_override")
    return actions


def product_ids_of(raw_orders):
    """The product ids a push's raw orders name (whatever else is wrong with them)."""
    ids = set()
    for raw in raw_orders:
        lines = raw.get("lines") if isinstance(raw, dict) else None
        for line in lines if isinstance(lines, list) else ():
            product_id = line.get("product_id") if isinstance(line, dict) else None
            if isinstance(product_id, int) and not isinstance(product_id, bool) \
                    and 0 < product_id < 2**31:
                ids.add(product_id)
    return ids


class PushApprovals:
    """The rule for one push: `check(connection, order, session)` is a `check_order` (None, or
    (code, message)); `record(connection, results)` keeps the approvals of the orders stored."""

    def __init__(self, raw_orders, account=None, limit=UNREAD):
        self.raw_orders = raw_orders  # their products' prices are read unless given (use_prices)
        self.account = account  # the signed-in caller (id, login, role), None for a token
        self.prices = None
        self.limit = limit  # the app's (APP_LIMIT); else read by the first order checked
        self.managers = {}  # config id -> whether the caller is a manager of its till
        self.to_record = {}  # order uuid -> (config id, session id, [(action, Approved, at)])

    def use_prices(self, prices):
        """The products' prices {id: price}, as the push read them with its products
        (push_orders' `prices_read`): the rule then reads none itself."""
        self.prices = {**(self.prices or {}),
                       **{product_id: _cents(price) for product_id, price in prices.items()}}

    def _load(self, connection):
        if self.limit is UNREAD:
            self.limit = current_instance().parameters(connection, current_plugins()).get(LIMIT)
        if self.prices is None:
            product_ids = product_ids_of(self.raw_orders)
            rows = connection.execute(PRICES, {"ids": list(product_ids)}).all() \
                if product_ids else []
            self.prices = {row.id: _cents(row.price) for row in rows}

    def _caller_manages(self, connection, config_id):
        if config_id not in self.managers:
            account = self.account
            self.managers[config_id] = account is not None and role_allows(
                account.role, MANAGER) and may_use_config(connection, account, config_id)
        return self.managers[config_id]

    def check(self, connection, order, session):
        self._load(connection)
        needed = actions_needed(order, self.prices, self.limit)
        if not needed:
            return None
        try:
            approved = [(action, *self._approved(connection, order, session, action))
                        for action in needed]
        except Rejection as rejection:
            return rejection.code, rejection.message
        self.to_record[order.uuid] = (session.config_id, session.id, approved)
        return None

    def _approved(self, connection, order, session, action):
        """(Approved to record now or None when recorded already, the till's time or None)."""
        carried = next((a for a in order.approvals if a.action == action), None)
        if carried is not None and carried.uuid is not None:
            _recorded(connection, session.config_id, order.uuid, carried)
            return None, None
        if carried is not None:
            return _offline(connection, session.config_id, order.uuid, carried), \
                carried.approved_at
        if self._caller_manages(connection, session.config_id):
            return Approved(self.account.login, "signed_in"), None
        raise Rejection("approval_required", _(
            "A manager of this till must approve %(what)s: their PIN at the till, or the order "
            "pushed signed in as one; send the approval with the order in \"approvals\".",
            what=_(WORDS[action])))

    def record(self, connection, results):
        """Keep and journal the approvals of each order of `results` stored now (created)."""
        for result in results:
            kept = self.to_record.get(result.get("uuid")) if result["status"] == "created" \
                else None
            for action, approved, at in (kept[2] if kept else ()):
                if approved is not None:
                    record_approval(connection, kept[0], action, approved, session_id=kept[1],
                                    order_uuid=result["uuid"],
                                    details={"approved_at": at} if at else None)


def _cents(value):
    return value.quantize(CENT) if value is not None else None


def _recorded(connection, config_id, order_uuid, carried):
    """An approval recorded already must be this till's, for this order and action."""
    found = connection.scalar(select(Approval.id).where(
        Approval.uuid == carried.uuid, Approval.config_id == config_id,
        Approval.order_uuid == order_uuid, Approval.action == carried.action))
    if found is None:
        raise Rejection("unknown_approval", _(
            "approval %(uuid)s is not one of %(what)s for this order on this till",
            uuid=carried.uuid, what=_(WORDS[carried.action])))


def _offline(connection, config_id, order_uuid, carried):
    """The Approved of a manager's PIN typed offline, once its proof checks; else Rejection
    (a wrong proof counted as a wrong PIN, committed with the push)."""
    user = till_user(connection, config_id, carried.user_id)
    if user is None:
        raise Rejection("not_on_this_till", _("user %(id)s is not allowed on this till",
                                               id=carried.user_id))
    if not role_allows(user.role, MANAGER):
        raise Rejection("manager_only", _("%(login)s is a %(role)s: a manager's PIN is needed",
                                          login=user.login, role=user.role))
    try:
        check_pin_proof(connection, user.id, approval_message(config_id, order_uuid,
                                                              carried.action),
                        carried.proof, *pin_limits(connection))
    except PinRefused as refused:
        code = "wrong_approval" if refused.code == "wrong_pin" else refused.code
        raise Rejection(code, _("The approval of %(what)s by %(login)s does not hold: "
                                "%(reason)s", what=_(WORDS[carried.action]), login=user.login,
                                reason=refused.message)) from None
    return Approved(user.login, OFFLINE)


# -- an autonomous till's approvals, received at the central with its journal ----------------

def received_approvals(connection, config_id, events, till_name):
    """Keep, with their tickets, the approvals of an autonomous till's journal events (point_of
    _sale's wire form) received by the central: each once (by its uuid), as the till recorded
    it; the event itself is kept with the till's journal. An event that does not read as an
    approval is left there alone (never a refusal of the push). Return how many were new."""
    rows = [row for row in (_received_row(event, config_id, till_name) for event in events)
            if row is not None]
    return sum(1 for row in rows if insert_or_ignore(connection, Approval.__table__, row))


def _received_row(event, config_id, till_name):
    """The approval row an `approval` event of a till's journal stands for, or None."""
    details = event.get("details") if event.get("kind") == "approval" else None
    if not isinstance(details, dict) or not _short_text(details.get("approval"), 64):
        return None
    extra = details.get("details")
    order_uuid = details.get("order_uuid")
    return {"uuid": details["approval"], "config_id": config_id, "session_id": None,
            "order_uuid": order_uuid if _short_text(order_uuid, 64) else None,
            "action": str(details.get("action"))[:32],
            "approver": str(details.get("approver"))[:64], "via": str(details.get("via"))[:16],
            "details": json.dumps({**(extra if isinstance(extra, dict) else {}),
                                   "till": till_name}, sort_keys=True, default=str),
            "approved_at": datetime.fromisoformat(event["at"].replace("Z", "+00:00"))}


def _short_text(value, longest):
    return isinstance(value, str) and 0 < len(value) <= longest
