"""Comptoir's built-in addons: one package per addon, each with a `__manifest__.py`."""
