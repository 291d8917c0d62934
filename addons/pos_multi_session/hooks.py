"""Wires pos_multi_session into the kernel, point_of_sale and the sync server addon."""
from core import ConfigField, hookimpl
from core.i18n import N_, _

from .models import MODELS

SCRIPT_URL = "/pos_multi_session/static/multi_session.js?v=1"
STYLE_URL = "/pos_multi_session/static/multi_session.css?v=1"


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_config_fields(form):
    if form != "pos.config":
        return []
    return [
        ConfigField("multi_session_accept_incoming_orders", N_("Accept orders of other tills"),
                    type="bool", default=True,
                    help=N_("Off: this till shows only the orders it created or edited.")),
        ConfigField("multi_session_replace_empty_order", N_("Replace an empty order"),
                    type="bool", default=True,
                    help=N_("An order arriving from another till takes the place of this till's "
                         "empty order on screen.")),
        ConfigField("multi_session_deactivate_empty_order", N_("Keep own empty orders private"),
                    type="bool", default=False,
                    help=N_("This till's empty orders are not shared until a line is added.")),
    ]


@hookimpl
def register_routes():
    from flask import Blueprint

    from .admin import admin_blueprint
    page_files = Blueprint("pos_multi_session", __name__, url_prefix="/pos_multi_session",
                           static_folder="static")
    return [page_files, admin_blueprint]


@hookimpl
def register_menu_links():
    return [(_("Multi-sessions"), "pos_multi_session_admin.index")]


@hookimpl
def register_assets(page):
    return [SCRIPT_URL, STYLE_URL] if page == "pos" else []


@hookimpl
def extend_pos_data(connection, config_id, data):
    from .page_data import multi_session_data
    found = multi_session_data(connection, config_id)
    if found is not None:
        data["multi_session"] = found


@hookimpl
def extend_pos_token(connection, config_id, claims):
    """The multi-session the config belongs to, with its run: what a sync server lets the
    token's till touch, and how far it lets the till move the run."""
    from .membership import multi_session_of
    multi_session = multi_session_of(connection, config_id)
    if multi_session is not None and multi_session.active:
        claims["multi_sessions"][multi_session.id] = multi_session.run_id


@hookimpl
def pos_session_closed(connection, session_id, config_id):
    from .runs import end_run_if_last
    end_run_if_last(connection, config_id)


@hookimpl
def load_demo_data(connection):
    from .demo import load_demo
    load_demo(connection)


@hookimpl
def pos_config_form_links(connection, config_id):
    """The config form links to the multi-session the config belongs to (edited there)."""
    from flask import url_for

    from .membership import multi_session_of
    row = multi_session_of(connection, config_id)
    if row is None:
        return []
    return [("Multi-session", row.name,
             url_for("pos_multi_session_admin.form", multi_session_id=row.id))]


@hookimpl
def pos_session_open_tills(connection, session_id, config_id):
    """Closing one session of a multi-session while its other configs' sessions stay open: the
    manager is told which, since their tills share orders with this one."""
    from sqlalchemy import select

    from addons.point_of_sale import CLOSED, PosConfig, PosSession

    from .membership import member_config_ids, multi_session_of
    multi_session = multi_session_of(connection, config_id)
    if multi_session is None:
        return []
    others = [c for c in member_config_ids(connection, multi_session.id) if c != config_id]
    rows = connection.execute(
        select(PosSession.name, PosConfig.name.label("config_name"))
        .join(PosConfig, PosConfig.id == PosSession.config_id)
        .where(PosSession.config_id.in_(others), PosSession.state != CLOSED)
        .order_by(PosSession.id)).all() if others else []
    return [f"{row.name} ({row.config_name}) is still open in multi-session "
            f"{multi_session.name}: its tills share orders with this one." for row in rows]


@hookimpl(optionalhook=True)
def register_syncable_tables():
    """Multi-sessions come down to autonomous instances (pos_autonomous): a shop serving
    several configs shares their orders itself, its sync server being the shop. The
    memberships of the instance's own configs only; the run counter is each instance's own (a
    shop ends its runs as its sessions close, the central instance never sees them close)."""
    from .models import MultiSession, MultiSessionMember
    return [
        {"name": "pos_multi_session.multi_session", "table": MultiSession.__table__, "key": "id",
         "config_column": None, "directions": ("down",), "local_columns": ("run_id",)},
        {"name": "pos_multi_session.member", "table": MultiSessionMember.__table__,
         "key": "config_id", "config_column": "config_id", "directions": ("down",)},
    ]


@hookimpl(optionalhook=True)
def check_autonomous_package(connection, config_ids):
    """An autonomous instance serves every config of each multi-session it holds, or none of
    them: its tills share orders through it, and tills elsewhere could not reach them offline."""
    from .membership import refusals_for_package
    return refusals_for_package(connection, config_ids)
