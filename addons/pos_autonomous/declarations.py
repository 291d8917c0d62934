"""The syncable tables installed addons declare (hook `register_syncable_tables`) and the rows of
*Tables to synchronise* (direction, kind, switch) the central admin keeps for them."""
from dataclasses import dataclass

from sqlalchemy import select

from core.db import insert_or_ignore
from core.errors import CoreError
from core.plugins import flatten

from .central.models import SyncTable
from .wire import INCREMENTAL, KINDS

DOWN, UP = "down", "up"

DIRECTIONS = (DOWN, UP)
# The central instance's answer (409) to what a till sends of a till → server table that is
# switched off: the till holds the changes, it does not drop them.
SWITCHED_OFF = "table_switched_off"


@dataclass(frozen=True)
class DeclaredTable:
    name: str
    table: object  # sqlalchemy.Table
    key: str
    config_column: str | None
    directions: tuple
    # columns each instance keeps its own (not sent down: a till's run counter, say)
    local_columns: tuple = ()


def declared_tables(manager):
    """Every declared table, in the order the addons load (dependencies first)."""
    tables, seen = [], set()
    for entry in flatten(manager, "register_syncable_tables"):
        table = getattr(entry["table"], "__table__", entry["table"])
        declared = DeclaredTable(entry["name"], table, entry.get("key", "id"),
                                 entry.get("config_column"),
                                 tuple(entry.get("directions", (DOWN,))),
                                 tuple(entry.get("local_columns", ())))
        if declared.name in seen:
            raise CoreError(f"syncable table {declared.name!r} is declared twice")
        if not set(declared.directions) <= set(DIRECTIONS):
            raise CoreError(f"syncable table {declared.name!r}: directions must be among "
                            f"{DIRECTIONS}, not {declared.directions}")
        seen.add(declared.name)
        tables.append(declared)
    return tables


def sync_rows(connection, declared):
    """[(declared table, direction, kind, active)] for every declared (table, direction), adding
    the missing rows of *Tables to synchronise* (incremental, active)."""
    stored = {(row.table_name, row.direction): row
              for row in connection.execute(select(SyncTable))}
    result = []
    for table in declared:
        for direction in table.directions:
            row = stored.get((table.name, direction))
            if row is None:
                _insert_missing(connection, table.name, direction)
                result.append((table, direction, INCREMENTAL, True))
            else:
                result.append((table, direction, row.kind, row.active))
    return result


def _insert_missing(connection, table_name, direction):
    """Insert a default row, unless another worker just did."""
    insert_or_ignore(connection, SyncTable.__table__, {
        "table_name": table_name, "direction": direction, "kind": INCREMENTAL, "active": True})


def active_down_tables(connection, declared):
    """{name: (declared table, kind)} of the switched-on server → till tables, in order."""
    return {table.name: (table, kind) for table, direction, kind, active
            in sync_rows(connection, declared) if direction == DOWN and active}


def up_active(connection, table_name):
    """Whether the central instance takes what tills send of `table_name` (its till → server
    row is switched on; a row not stored yet is on, as the admin would add it)."""
    active = connection.scalar(select(SyncTable.active).where(
        SyncTable.table_name == table_name, SyncTable.direction == UP))
    return active is None or bool(active)


def set_row(connection, table_name, direction, kind=None, active=None):
    if kind is not None and kind not in KINDS:
        raise CoreError(f"kind must be one of {KINDS}, not {kind!r}")
    values = {k: v for k, v in (("kind", kind), ("active", active)) if v is not None}
    done = connection.execute(SyncTable.__table__.update().where(
        SyncTable.table_name == table_name, SyncTable.direction == direction).values(**values))
    if not done.rowcount:
        raise CoreError(f"no table to synchronise {table_name!r} ({direction})")
