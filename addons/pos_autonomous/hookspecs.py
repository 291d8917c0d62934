"""Hooks pos_autonomous offers to the addons whose tables travel to and from autonomous tills."""
from core import hookspec


@hookspec
def register_syncable_tables():
    """Return the tables this addon owns that may travel between the central instance and its
    autonomous tills, as a list of dicts:

    * ``name``: a stable name, ``"<addon>.<thing>"``;
    * ``table``: the SQLAlchemy ``Table``; ``key``: its single integer primary-key column;
    * ``config_column``: the column holding a POS config id when a till must receive only the
      rows of its own config (``"id"`` for the configs table), else None;
    * ``directions``: a tuple of ``"down"`` (central → till) and/or ``"up"`` (till → central);
    * ``local_columns`` (optional): columns each instance keeps its own, never sent down (a
      counter the till moves itself).

    Only the owner of a table declares it. An owner that does not depend on pos_autonomous marks
    its implementation ``@hookimpl(optionalhook=True)``."""


@hookspec
def check_autonomous_package(connection, config_ids):
    """Return the reasons (a list of sentences, empty when none) why one autonomous instance
    must not serve exactly the POS configs `config_ids` (a till: one config; a shop: several),
    e.g. pos_multi_session: a multi-session whose configs are not all in the package, since its
    tills could not share orders. The package is refused with them. Optional, as above."""
