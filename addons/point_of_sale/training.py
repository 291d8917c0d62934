"""Training mode (#25 item 5): a manager puts a config's tills in training; while it lasts,
the tills send their orders here instead of `POST /pos/orders`. A training ticket is checked as a
sale is (products, totals, payments) and sealed in the config's own training chain (journal
chain `training/<config_id>`, numbered from 1, checked by `core pos verify` with the other
chains), never stored as an order: it is in no total, closing or archive of real sales. Its
receipt says FORMATION in large letters. Switching on and off is journaled (`training_on`,
`training_off`, who) in the instance's journal.

Routes: `POST /pos/config/<id>/training` `{"on": true|false}` (a signed-in manager),
`POST /pos/config/<id>/training/orders` `{"orders": [...]}` (the POS credentials; 409
`not_in_training` when the config is not in training).
"""
from flask import Blueprint, jsonify, request
from sqlalchemy import select

from core.i18n import _
from core.web import current_instance
from core.web.errors import ApiError

from .access import config_or_404, require_config_access, require_manager
from .journal import EVENT, LOCAL, lock_journal, record_event, record_in_chain
from .models import Product
from .orders import Rejection, compute_totals, parse_order
from .payment_methods import methods_by_config

TRAINING_ON, TRAINING_OFF, TRAINING_TICKET = "training_on", "training_off", "training_ticket"
MAX_TRAINING_ORDERS = 50

training_blueprint = Blueprint("point_of_sale_training", __name__, url_prefix="/pos")


def training_chain(config_id):
    return f"training/{config_id}"


def in_training(connection, config_id):
    """Whether the config's last training switch put it in training."""
    last = connection.scalar(select(EVENT.c.kind).where(
        EVENT.c.chain == LOCAL, EVENT.c.config_id == config_id,
        EVENT.c.kind.in_([TRAINING_ON, TRAINING_OFF])).order_by(EVENT.c.number.desc()).limit(1))
    return last == TRAINING_ON


def set_training(connection, config_id, on, by=None):
    """Switch training on or off (journaled when it changes); return whether it changed."""
    lock_journal(connection)
    if in_training(connection, config_id) == bool(on):
        return False
    record_event(connection, TRAINING_ON if on else TRAINING_OFF, config_id, by=by)
    return True


def record_training_orders(connection, config_id, raw_orders):
    """Check each training order as a sale and seal it in the config's training chain; return
    one answer per order (`status` "sealed" with `number` and `link`, or "rejected" with its
    error)."""
    methods = methods_by_config(connection, [config_id])[config_id]
    results = []
    for index, raw in enumerate(raw_orders):
        try:
            order = parse_order(raw)
            ids = sorted({line.product_id for line in order.lines})
            rates = dict(connection.execute(select(Product.id, Product.tax_rate)
                                            .where(Product.id.in_(ids))).all())
            unknown = [i for i in ids if i not in rates]
            if unknown:
                raise Rejection("unknown_product", _("unknown product ids: %(ids)s", ids=unknown))
            totals = compute_totals(order, rates, methods)
        except Rejection as rejection:
            results.append({"index": index, "status": "rejected",
                            "error": {"code": rejection.code, "message": rejection.message}})
            continue
        wire = order.to_wire()
        figures = {"untaxed": totals.untaxed, "tax": totals.tax, "total": totals.total,
                   "paid": totals.paid, "change": totals.change}
        sealed = record_in_chain(connection, training_chain(config_id), TRAINING_TICKET,
                                 config_id, {"order": wire, "totals": _texts(figures)},
                                 max_details=64000)
        results.append({"index": index, "uuid": order.uuid, "status": "sealed",
                        "number": sealed.number, "link": sealed.link, "training": True})
    return results


def _texts(value):
    if isinstance(value, dict):
        return {k: _texts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_texts(v) for v in value]
    if isinstance(value, (int, str, bool)) or value is None:
        return value
    return str(value)


@training_blueprint.post("/config/<int:config_id>/training")
def switch_training(config_id):
    account = require_manager(config_id, "switch training mode")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
        raise ApiError(400, "invalid_body", _('send {"on": true} or {"on": false}'))
    with current_instance().engine.begin() as connection:
        config_or_404(connection, config_id)
        changed = set_training(connection, config_id, body["on"], by=account.login)
    return jsonify(training=body["on"], changed=changed)


@training_blueprint.post("/config/<int:config_id>/training/orders")
def push_training_orders(config_id):
    require_config_access(config_id)
    body = request.get_json(silent=True)
    orders = body.get("orders") if isinstance(body, dict) else None
    if not isinstance(orders, list) or not 0 < len(orders) <= MAX_TRAINING_ORDERS:
        raise ApiError(400, "invalid_body", _('send {"orders": [...]} with 1 to %(max_training_orders)s '
                                              'orders', max_training_orders=MAX_TRAINING_ORDERS))
    with current_instance().engine.begin() as connection:
        config_or_404(connection, config_id)
        lock_journal(connection)
        if not in_training(connection, config_id):
            raise ApiError(409, "not_in_training", _('this till is not in training mode: its orders go '
                                                     'to /pos/orders'))
        results = record_training_orders(connection, config_id, orders)
    return jsonify(results=results, training=True)
