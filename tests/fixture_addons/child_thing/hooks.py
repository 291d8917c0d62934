from core import ConfigField, hookimpl

from .models import Note


@hookimpl
def register_models():
    return [Note]


@hookimpl
def register_config_fields(form):
    if form != "base_thing.item":
        return []
    return [ConfigField("loud", "Say it loudly", type="bool", default=False)]


@hookimpl
def describe_item(label):
    return f"{label} (with notes)"
