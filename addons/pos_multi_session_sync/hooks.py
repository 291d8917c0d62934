"""Wires pos_multi_session_sync into the kernel and into pos_longpolling."""
from core import hookimpl

from .models import MODELS

SYNC_PATHS = [r"/pos_multi_session_sync/.*"]


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_routes():
    from .admin import admin_blueprint
    from .routes import blueprint
    return [blueprint, admin_blueprint]


@hookimpl
def register_menu_links():
    return [("Unpaid shared orders", "pos_multi_session_sync_admin.index")]


@hookimpl
def longpolling_cors_paths():
    """A POS page served by the main instance calls this server's sync route across origins."""
    return SYNC_PATHS


@hookimpl
def longpolling_pos_channels():
    from .protocol import CHANNEL
    return [CHANNEL]
