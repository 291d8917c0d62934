"""Wires pos_printer into the kernel and the POS page."""
from core import hookimpl

from .models import MODELS

SCRIPT_URL = "/pos_printer/static/printer.js?v=1"


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_routes():
    from .routes import assets, blueprint
    return [blueprint, assets]


@hookimpl
def register_config_fields(form):
    if form != "pos.config":
        return []
    from .settings import config_fields
    return config_fields()


@hookimpl
def register_assets(page):
    return [SCRIPT_URL] if page == "pos" else []
