"""Wires pos_check_session_state into the kernel and into point_of_sale."""
from core import ConfigField, hookimpl
from core.i18n import N_, _

from .models import MODELS

FREQUENCY_FIELD = "check_session_frequency"
SCRIPT_URL = "/pos_check_session_state/static/session_state.js?v=1"


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_config_fields(form):
    if form != "pos.config":
        return []
    return [ConfigField(
        FREQUENCY_FIELD, N_("Check frequency (seconds)"), type="int", default=60, min=0, max=86400,
        help=N_("How often the till asks the server whether its session is still opened, and "
             "blocks itself if not. 0 turns the periodic check off and leaves only the "
             "server-side check (an order pushed for a session that is not opened is refused "
             "and kept for a manager)."))]


@hookimpl
def register_routes():
    from .admin import admin_blueprint
    from .routes import blueprint
    return [blueprint, admin_blueprint]


@hookimpl
def register_assets(page):
    return [SCRIPT_URL] if page == "pos" else []


@hookimpl
def register_menu_links():
    return [(_("Rejected orders"), "pos_check_session_state_admin.index")]


@hookimpl
def check_pos_order(connection, order, session):
    """Refuse an order whose session is not opened (this order only) and keep it."""
    from .rejected import refuse_if_not_opened
    return refuse_if_not_opened(connection, order, session)


@hookimpl
def pos_session_closed_committed(engine, manager, session_id, config_id):
    """Tell the config's tills on the bus (pos_longpolling installed) that the session closed."""
    from .announce import announce_closed
    announce_closed(engine, manager, session_id, config_id)


@hookimpl(optionalhook=True)
def longpolling_pos_channels():
    """A till holding a POS token (not only the page's cookie) may read its session's closing."""
    from .announce import CHANNEL
    return [CHANNEL]
