"""Wires point_of_sale into the kernel."""
import os

from core import ConfigForm, hookimpl
from core.i18n import N_, _

from .models import MODELS
from .routes import CONFIG_FORM
from .web import blueprint


@hookimpl
def register_models():
    from .approvals import Approval
    from .cash_control import CashMove
    from .payment_methods import PaymentMethod
    from .staff import PosConfigUser, PosUserPin
    return [*MODELS, PaymentMethod, CashMove, PosConfigUser, PosUserPin, Approval]


@hookimpl
def authenticate_user(connection, login, secret):
    """On an autonomous till, its cashiers sign in with their PIN (they have no password)."""
    from core.web import current_instance, current_plugins

    from .staff import LOCK_SECONDS, MAX_FAILURES, sign_in_with_pin
    parameters = current_instance().parameters(connection, current_plugins())
    return sign_in_with_pin(connection, login, secret or "", parameters.get(MAX_FAILURES),
                            parameters.get(LOCK_SECONDS))


@hookimpl
def register_user_scopes():
    """The POS configs a cashier or manager may use (the Users page, `core user add --pos`)."""
    from .staff import POS_SCOPE
    return [POS_SCOPE]


@hookimpl
def register_routes():
    from . import customer_routes, duplicates, routes  # noqa: F401 - their routes join the blueprints
    from .admin import admin_blueprint
    from .cancellations import cancellations_blueprint
    from .cash_routes import cash_blueprint
    from .closing_routes import closing_blueprint
    from .fiscal_admin import fiscal_blueprint
    from .past_orders import blueprint as past_orders_blueprint
    from .staff_routes import staff_admin, staff_blueprint
    from .training import training_blueprint
    return [blueprint, admin_blueprint, past_orders_blueprint, closing_blueprint, cash_blueprint,
            staff_blueprint, staff_admin, fiscal_blueprint, training_blueprint,
            cancellations_blueprint]


@hookimpl
def register_config_fields(form):
    """Cash control's limit (cash_control.py) and the scanner's label prefixes
    (static/src/barcodes.js) on the POS config's form."""
    if form != CONFIG_FORM:
        return []
    from core import ConfigField

    from .cash_control import APPROVAL_LIMIT_FIELD, DEFAULT_APPROVAL_LIMIT
    return [
        ConfigField(
            APPROVAL_LIMIT_FIELD, N_("Cash in/out without a manager up to"), type="int",
            default=DEFAULT_APPROVAL_LIMIT, min=0, max=1000000,
            help=N_("A cash in or cash out of more than this amount (whole units of the currency) "
                 "needs a manager's approval at the till. 0: every cash in or out needs one.")),
        ConfigField(
            "barcode_weight_prefixes", N_("Barcode prefixes of weight labels"), default="",
            max_length=64,
            help=N_("Two-digit prefixes (e.g. 21 22) of the EAN-13 labels a scale prints with a "
                 "weight: PP IIIII WWWWW C, the weight in grams. The product is the one whose "
                 "barcode is PP IIIII 00000 C (or PP IIIII).")),
        ConfigField(
            "barcode_price_prefixes", N_("Barcode prefixes of price labels"), default="",
            max_length=64,
            help=N_("Two-digit prefixes (e.g. 23) of the EAN-13 labels printed with a price: "
                 "PP IIIII PPPPP C, the price in cents.")),
    ]


@hookimpl
def configure_app(app):
    """Keep the token lifetime and the token keys with the app, for access.caller_credentials,
    and the discount that needs a manager's approval, for the push (order_approvals.py): read
    once here rather than at every push."""
    from .access import TOKEN_KEYS, TOKEN_MAX_AGE
    from .order_approvals import APP_LIMIT, LIMIT
    from .tokens import trusted_keys
    instance = app.extensions["core"]
    with instance.engine.connect() as connection:
        parameters = instance.parameters(connection, app.extensions["core.plugins"])
        app.extensions[TOKEN_MAX_AGE] = parameters.get(TOKEN_MAX_AGE)
        app.extensions[TOKEN_KEYS] = trusted_keys(parameters, instance.db_name)
        app.extensions[APP_LIMIT] = parameters.get(LIMIT)
    from .journal import record_start
    process = (instance.url, os.getpid())
    with instance.engine.begin() as connection:
        record_start(connection, instance.installed(), process not in _STARTED)
    _STARTED.add(process)


_STARTED = set()  # (database, process id) whose start is journaled


@hookimpl
def audit_event(connection, kind, details):
    """Sign-ins, sign-outs and system parameter changes go in the journal of events."""
    from .journal import record_event
    record_event(connection, kind, None, **details)


@hookimpl
def register_config_forms():
    """The POS config form: its own keys are also the POS page's `config` keys."""
    from .shop_settings import FIELD_NAMES
    return [ConfigForm(CONFIG_FORM, own_keys=("id", "name", "active", *FIELD_NAMES))]


@hookimpl
def register_menu_links():
    return [(_("Point of Sale"), "point_of_sale_admin.index")]


@hookimpl
def register_start_links(connection):
    """Each till's page, for the start page `/` and what `core serve` prints."""
    from sqlalchemy import select

    from .models import PosConfig
    configs = connection.execute(select(PosConfig.id, PosConfig.name).order_by(PosConfig.id))
    return [(f"Till {name}", f"/pos/ui/{config_id}") for config_id, name in configs]


@hookimpl
def register_commands(cli):
    from .commands import pos, token
    cli.add_command(pos)
    cli.add_command(token)



@hookimpl(optionalhook=True)
def register_syncable_tables():
    """What autonomous tills (pos_autonomous) receive from the central instance: a till gets its
    own config and its payment methods only; products and partners go to every till (partners
    come back up, #14)."""
    from .models import Partner, PosConfig, Product
    from .payment_methods import PaymentMethod
    return [
        {"name": "point_of_sale.config", "table": PosConfig.__table__, "key": "id",
         "config_column": "id", "directions": ("down",)},
        {"name": "point_of_sale.payment_method", "table": PaymentMethod.__table__, "key": "id",
         "config_column": "config_id", "directions": ("down",)},
        {"name": "point_of_sale.product", "table": Product.__table__, "key": "id",
         "config_column": None, "directions": ("down",)},
        {"name": "point_of_sale.partner", "table": Partner.__table__, "key": "id",
         "config_column": None, "directions": ("down", "up")},
    ]


@hookimpl
def load_demo_data(connection):
    """The demo's manager signs in as admin / admin123 (8 characters, as `core user add`
    requires)."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from core.models import User
    if connection.scalar(select(User.id).where(User.login == "admin")) is None:
        connection.execute(User.__table__.insert().values(
            login="admin", password_hash=generate_password_hash("admin123")))
