"""Wires pos_customer_display into the kernel, the POS page and the bus."""
from core import hookimpl

from .models import MODELS

SCRIPT_URL = "/pos_customer_display/static/feed.js?v=1"


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_routes():
    from .routes import assets, blueprint
    return [blueprint, assets]


@hookimpl
def register_assets(page):
    return [SCRIPT_URL] if page == "pos" else []


@hookimpl(optionalhook=True)
def longpolling_pos_channels():
    """A till or display holding the config's POS token may read its display's channel."""
    from .routes import CHANNEL
    return [CHANNEL]
