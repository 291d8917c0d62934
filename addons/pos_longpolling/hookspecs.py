"""Hooks pos_longpolling offers to the addons that build on it (with `from core import hookimpl`)."""
from core import hookspec


@hookspec
def longpolling_cors_paths():
    """URL path patterns (regular expressions, as flask-cors takes them) that browsers may call
    from the origins of `pos_longpolling.cors_origins`, besides the bus's own routes. An addon
    whose routes a POS page calls on a separate server (a sync server) returns them here."""


@hookspec
def longpolling_pos_channels():
    """Names of the POS channels (`["<db>", "<name>", "<config id>"]`) an addon sends on, e.g.
    `["pos.multi_session"]`: a POS token may read those of its own instance and config only,
    and no channel of a name no installed addon declares."""
