"""The POS's HTTP endpoints: the page tills run, the data it loads, and the order push."""
import contextlib
import json
from pathlib import Path

import orjson
from flask import (
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.config_fields import declared_fields, read_values
from core.i18n import _, js_catalog, use_locale
from core.plugins import flatten
from core.web import current_instance, current_plugins
from core.web.errors import ApiError, json_items
from core.web.sessions import signed_in_account

from . import sessions, shop_settings
from .access import (
    caller_config_scope,
    config_or_404,
    require_config_access,
    require_manager,
    require_session_access,
    session_to_look_up,
    staff_config_ids,
)
from .customers import partner_json
from .models import Partner, PosSession, Product
from .offline import offline_manifest
from .order_approvals import APP_LIMIT, UNREAD, PushApprovals
from .orders import push_orders, refused_in_place
from .payment_methods import payment_methods
from .staff import is_till_cashier, may_use_config, till_cashiers
from .training import in_training
from .web import blueprint

CONFIG_FORM = "pos.config"
MAX_ORDERS_PER_PUSH = 200



@blueprint.get("/ui/<int:config_id>")
def pos_page(config_id):
    """The till's page. Staff sign in first (a cashier or manager allowed on this till, or an
    admin); the page then works offline."""
    with current_instance().engine.connect() as connection:
        account = signed_in_account(connection)
        if account is None:
            return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
        if not may_use_config(connection, account, config_id):
            return render_template("point_of_sale/no_session.html", message=(
                f"{account.login} is not allowed on till {config_id}: an admin can allow "
                f"them on the Users page.")), 403
        try:
            config = sessions.get_config(connection, config_id)
        except sessions.SessionError as exc:
            return render_template("point_of_sale/no_session.html", message=str(exc)), 404
    # The till speaks its config's language, whoever signed in on it (no locale: en-US, as
    # its amounts).
    use_locale(config.locale or "en-US")
    assets = flatten(current_plugins(), "register_assets", page="pos")
    return render_template("point_of_sale/ui.html", config=config, assets=assets,
                           pos_catalog=js_catalog())


@blueprint.get("/sw.js")
def service_worker():
    """The POS page's service worker, served from /pos/ so that its scope covers /pos/ui/: it
    lets a till reload its page while the server is unreachable. Its first line names what it
    keeps (offline.py): a new addon or a changed file makes it a new worker."""
    manifest = offline_manifest(current_plugins(), current_instance().installed())
    source = (Path(blueprint.static_folder) / "sw.js").read_text()
    response = current_app.response_class(
        f"self.COMPTOIR_POS_OFFLINE = {json.dumps(manifest)};\n{source}",
        mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/config/<int:config_id>/data")
def pos_data(config_id):
    """Everything the POS page loads: config (with addon fields), session, products, partners."""
    require_config_access(config_id)
    manager = current_plugins()
    with current_instance().engine.connect() as connection:
        config = config_or_404(connection, config_id)
        fields = declared_fields(manager, CONFIG_FORM)
        open_session = sessions.current_session(connection, config_id)
        data = {
            "config": {"id": config.id, "name": config.name,
                       **shop_settings.settings_of(config),
                       **read_values(connection, CONFIG_FORM, config.id, fields)},
            "session": _session_json(open_session) if open_session else None,
            "products": [_product_json(p) for p in connection.execute(
                select(Product).where(Product.active).order_by(Product.category, Product.name))],
            "partners": [_partner_json(p) for p in connection.execute(
                select(Partner).where(Partner.active).order_by(Partner.name))],
            "payment_methods": [m for m in payment_methods(connection, config_id)
                                if m["active"]],
            # Who may switch in at this till with their PIN, and who opened the page.
            "cashiers": till_cashiers(connection, config_id),
            "signed_in": _account_json(g.get("pos_account")),
            "pin_policy": _pin_policy(connection),
            # Training mode (training.py): orders go to /pos/config/<id>/training/orders.
            "training": in_training(connection, config_id),
        }
        manager.hook.extend_pos_data(connection=connection, config_id=config_id, data=data)
    return jsonify(data)


@blueprint.post("/config/<int:config_id>/open-session")
def pos_open_session(config_id):
    """A signed-in manager of this till opens the config's session from the till's page (a
    till's bearer token or a cashier may not: opening is a manager's decision)."""
    require_manager(config_id, "open a session")
    try:
        with current_instance().engine.begin() as connection:
            session_id = sessions.open_session(connection, config_id)
    except sessions.SessionError as exc:
        raise ApiError(404, "unknown_config", str(exc)) from None
    except IntegrityError:
        raise ApiError(409, "session_conflict", _('Another session of this config was opened at the '
                                                  'same moment: reload the page.')) from None
    return jsonify(session_id=session_id)


@blueprint.post("/session/<int:session_id>/login")
def pos_login(session_id):
    """A POS page starts on this session: returns the login number its order references use."""
    scope = caller_config_scope()  # before anything is looked up
    instance = current_instance()
    with instance.engine.begin() as connection:
        row = connection.execute(select(PosSession).where(PosSession.id == session_id)).first()
        require_session_access(scope, row, session_id)
        login_number = sessions.log_in(connection, session_id)
    return jsonify(session_id=session_id, login_number=login_number)


@blueprint.post("/orders")
def push():
    """Store pushed orders: `[order, ...]` or `{"orders": [...]}`; one result per order."""
    with _push_transaction() as (connection, scope):
        orders, refusals = _pushed_orders()
        staff_configs = staff_config_ids()
        approvals = PushApprovals(orders, g.get("pos_account"),  # order_approvals.py
                                  current_app.extensions.get(APP_LIMIT, UNREAD))
        results = push_orders(connection, refused_in_place(orders, refusals),
                              allowed_config_id=scope,
                              check_order=_order_check(staff_configs, approvals),
                              prices_read=approvals.use_prices)
        approvals.record(connection, results)
    return _json_answer({"results": results})


@contextlib.contextmanager
def _push_transaction():
    """(the push's write transaction, the caller's config scope), the caller checked before
    the body is read. A signed-in caller's session is looked up in that transaction (one
    connection and one BEGIN per push, not two); a token, or no signed cookie of this
    instance, is answered first, without the database: a caller without credentials never
    takes the write lock."""
    engine = current_instance().engine
    if not session_to_look_up():
        scope = caller_config_scope()
        with engine.begin() as connection:
            yield connection, scope
        return
    with engine.begin() as connection:
        yield connection, caller_config_scope(connection)


def _pushed_orders():
    """(the pushed orders, {index: JsonRefused} of those whose content is refused alone)."""
    _body, orders, refusals = json_items("orders")  # an order's content refuses it alone
    if not isinstance(orders, list):
        raise ApiError(400, "invalid_body", _('send a JSON array of orders, or {"orders": [...]}'))
    if len(orders) > MAX_ORDERS_PER_PUSH:
        raise ApiError(413, "too_many_orders",
                       _('send at most %(max_orders_per_push)s orders per push, then the rest'
                         , max_orders_per_push=MAX_ORDERS_PER_PUSH))
    return orders, refusals


def _order_check(staff_configs, approvals):
    """The push's `check_order`: the caller's tills, the cashier, the addons' rules
    (`check_pos_order`) and the managers' approvals."""
    manager = current_plugins()

    def check_order(connection, order, session):
        if staff_configs is not None and session.config_id not in staff_configs:
            return ("forbidden_session", f"session {session.id} is of a till you are not "
                                         "allowed on")
        if order.cashier is not None and not is_till_cashier(connection, session.config_id,
                                                             order.cashier):
            return ("unknown_cashier", f"{order.cashier!r} is not a cashier of this till")
        return manager.hook.check_pos_order(connection=connection, order=order,
                                            session=session) \
            or approvals.check(connection, order, session)
    return check_order


def _json_answer(value):
    """`value` as compact JSON written by orjson (tills push often: jsonify's sorted, escaped
    text cost several times more); by jsonify where orjson cannot write it."""
    try:
        return current_app.response_class(orjson.dumps(value), mimetype="application/json")
    except TypeError:
        return jsonify(value)


def _pin_policy(connection):
    from .staff import LOCK_SECONDS, MAX_FAILURES
    parameters = current_instance().parameters(connection, current_plugins())
    return {"max_failures": parameters.get(MAX_FAILURES),
            "lock_seconds": parameters.get(LOCK_SECONDS),
            "discount_approval_percent": parameters.get("point_of_sale.discount_approval_percent")}


def _account_json(account):
    return {"id": account.id, "login": account.login, "role": account.role} if account else None


def _session_json(row):
    return {"id": row.id, "name": row.name, "state": row.state, "config_id": row.config_id,
            "login_number": row.login_number, "sequence_number": row.sequence_number}


def _product_json(row):
    return {"id": row.id, "name": row.name, "price": str(row.price), "barcode": row.barcode,
            "tax_rate": str(row.tax_rate), "category": row.category}


def _partner_json(row):
    return partner_json(row)
