"""Comptoir's kernel: addons, migrations, system parameters, the web app and the `core` command.

The kernel knows nothing about point of sale; everything POS lives in `addons/`.
"""
from core.config_fields import ConfigField, ConfigForm
from core.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec", "ConfigField", "ConfigForm"]
