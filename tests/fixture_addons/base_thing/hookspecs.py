"""Hooks base_thing offers to the addons that extend it."""
from core import hookspec


@hookspec
def describe_item(label):
    """Return words to add to an item's description."""
