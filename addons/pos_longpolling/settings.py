"""The bus's system parameters, read once when the app is built: the app is rebuilt within
seconds when one of them changes (core.web.reloader), so requests never read them again."""
from dataclasses import dataclass

from flask import current_app

from core.plugins import flatten

EXTENSION_KEY = "pos_longpolling.settings"


@dataclass(frozen=True)
class BusSettings:
    poll_timeout: int
    allow_public: bool
    cors_origins: tuple
    retention_seconds: int
    pos_channel_names: frozenset  # the names a POS token may read (longpolling_pos_channels)


def load_settings(app):
    instance, manager = app.extensions["core"], app.extensions["core.plugins"]
    with instance.engine.connect() as connection:
        parameters = instance.parameters(connection, manager)
        origins = parameters.get("pos_longpolling.cors_origins")
        settings = BusSettings(
            poll_timeout=parameters.get("pos_longpolling.poll_timeout"),
            allow_public=parameters.get("pos_longpolling.allow_public"),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            retention_seconds=parameters.get("pos_longpolling.retention_seconds"),
            pos_channel_names=frozenset(flatten(manager, "longpolling_pos_channels")))
    app.extensions[EXTENSION_KEY] = settings
    return settings


def current_settings() -> BusSettings:
    return current_app.extensions[EXTENSION_KEY]
