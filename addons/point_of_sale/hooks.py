"""Wires point_of_sale into the kernel."""

from core import hookimpl

from .models import MODELS
from .routes import blueprint


@hookimpl
def register_models():
    return MODELS


@hookimpl
def register_routes():
    return [blueprint]


@hookimpl
def register_commands(cli):
    from .commands import pos, token
    cli.add_command(pos)
    cli.add_command(token)


