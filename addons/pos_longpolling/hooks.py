"""Wires pos_longpolling into the kernel and into point_of_sale."""
from core import ConfigField, hookimpl
from core.i18n import N_

from .models import MODELS

SCRIPT_URL = "/pos_longpolling/static/longpolling.js?v=2"
STYLE_URL = "/pos_longpolling/static/longpolling.css?v=1"


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_config_fields(form):
    if form != "pos.config":
        return []
    return [
        ConfigField("longpolling_max_silence_timeout", N_("Silence before a PING (seconds)"),
                    type="int", default=60, min=1, max=86400,
                    help=N_("When the bus has brought nothing for this long, the till sends a PING "
                         "to check that the connection is still alive.")),
        ConfigField("longpolling_pong_timeout", N_("PONG timeout (seconds)"), type="int",
                    default=10, min=1, max=3600,
                    help=N_("How long the till waits for the PONG before it shows the bus offline "
                         "(red icon).")),
        ConfigField("autostart_longpolling", N_("Start the bus when the till loads"), type="bool",
                    default=True,
                    help=N_("Off: the till does not poll until another addon starts the bus.")),
    ]


@hookimpl
def register_routes():
    from .routes import blueprint, poll_blueprint
    return [poll_blueprint, blueprint]


@hookimpl
def configure_app(app):
    from .cors import enable_cors
    from .lean_poll import LeanPoll
    from .settings import load_settings
    settings = load_settings(app)
    enable_cors(app, settings)
    app.wsgi_app = LeanPoll(app, settings)


@hookimpl
def check_health(instance):
    """GET /web/health: tills wait in vain on a worker whose bus listener is down."""
    from .wakeup import listener_problem
    return [("bus listener", listener_problem(instance.engine))]


@hookimpl
def longpolling_pos_channels():
    from .routes import HEARTBEAT_CHANNEL
    return [HEARTBEAT_CHANNEL]


@hookimpl
def register_assets(page):
    return [SCRIPT_URL, STYLE_URL] if page == "pos" else []


@hookimpl
def extend_pos_data(connection, config_id, data):
    """What the page's bus client needs beside the config fields: the channel's db name."""
    from core.web import current_instance
    data["longpolling"] = {"db_name": current_instance().db_name}
