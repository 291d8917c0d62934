"""Building the answer to one pull (central side): for each switched-on table, an incremental
page (changes after the till's version) or a full page (rows by key), within one page budget.

A till's position per table is {"mode": "incremental", "version": V} or
{"mode": "full", "snapshot": S or None, "after": last key applied or None}.
"""
from sqlalchemy import BigInteger, DateTime, Numeric, String, cast, exists, func, literal, select

from ..wire import DEFAULT_PAGE_SIZE, FULL, INCREMENTAL, NEW_TABLE
from .models import Change
from .tracking import newest_version, purged_versions


def answer_pull(connection, tables, positions, config_id, page_size=DEFAULT_PAGE_SIZE):
    """The answer to a pull: {"version", "more", "tables": {name: part}}. `tables` is
    {name: (DeclaredTable, kind)} in order, `positions` the till's {name: position}."""
    newest = newest_version(connection)
    purged = purged_versions(connection)
    budget, more, parts = page_size, False, {}
    for name, (declared, kind) in tables.items():
        if budget <= 0:
            more = True
            break
        part, done = table_part(connection, declared, kind, positions.get(name) or NEW_TABLE,
                                config_id, budget, newest, purged.get(name, 0))
        budget -= len(part["rows"]) + len(part.get("deleted", ()))
        parts[name] = part
        more = more or not done
    return {"version": newest, "more": more, "tables": parts}


def table_part(connection, declared, kind, position, config_id, budget, newest, purged):
    """(part, done): one table's share of the answer, and whether the till is then up to date."""
    reason = None
    if position["mode"] == INCREMENTAL:
        since = position["version"]
        if since < purged:
            reason = "checkpoint_expired"
        elif kind == FULL and _changed_since(connection, declared.name, since):
            reason = "full_kind"
        elif declared.config_column and _changed_since(connection, declared.name, since):
            # A table of per-config rows comes again whole (the till's rows only) once any of
            # its rows changed: an incremental page would have to list in `deleted` the keys of
            # rows that left the till's config or were deleted, and the change log cannot tell
            # them from other configs' keys, which a till must never see.
            reason = "config_scoped"
        else:
            return _incremental_part(connection, declared, since, config_id, budget)
    return _full_part(connection, declared, None if reason else position, config_id, budget,
                      newest, reason)


def _changed_since(connection, name, version):
    return connection.scalar(select(exists().where(
        Change.table_name == name, Change.version > version)))


def scoped(query, declared, config_id):
    """The rows of the till's config; `config_id` a tuple: of a shop's configs."""
    if declared.config_column:
        column = declared.table.c[declared.config_column]
        query = query.where(column.in_(config_id) if isinstance(config_id, tuple)
                            else column == config_id)
    return query


def _travelling(declared):
    """The table's columns but those each instance keeps its own (`local_columns`)."""
    return [column for column in declared.table.columns
            if column.name not in declared.local_columns]


def _columns(declared):
    return [column.name for column in _travelling(declared)]


def _wire_columns(declared):
    """The table's columns as they travel: exact decimals and times as text (read so by the
    database itself, so the JSON encoder meets only plain types)."""
    return [cast(column, String).label(column.name)
            if isinstance(column.type, (Numeric, DateTime)) else column
            for column in _travelling(declared)]


def _raw_rows(connection, query):
    """The rows as the database driver returns them (tuples: the page's hot path skips
    SQLAlchemy's row objects; the wire columns need no conversion)."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _incremental_part(connection, declared, since, config_id, budget):
    changes = connection.execute(
        select(Change.row_key, Change.version, Change.deleted)
        .where(Change.table_name == declared.name, Change.version > since)
        .order_by(Change.version).limit(budget)).all()
    alive = [change.row_key for change in changes if not change.deleted]
    rows = []
    if alive:
        key = declared.table.c[declared.key]
        rows = _raw_rows(connection, scoped(select(*_wire_columns(declared))
                                             .where(key.in_(alive)), declared, config_id))
    found = {row[_columns(declared).index(declared.key)] for row in rows}
    # A key changed then deleted (its tombstone comes later) or out of this till's scope: the
    # till must not keep it.
    deleted = [change.row_key for change in changes
               if change.deleted or change.row_key not in found]
    version = changes[-1].version if changes else since
    part = {"mode": INCREMENTAL, "columns": _columns(declared), "rows": rows, "deleted": deleted,
            "checkpoint": {"mode": INCREMENTAL, "version": version}}
    return part, len(changes) < budget


def _full_part(connection, declared, position, config_id, budget, newest, reason):
    """A page of a full import. `position` None starts one: its snapshot is the newest version,
    and what commits during the import comes again incrementally from there."""
    key = declared.table.c[declared.key]
    part = {"mode": FULL, "columns": _columns(declared)}
    if position is None or position.get("after") is None:
        snapshot, after = newest, None
        part["total"] = connection.scalar(
            scoped(select(func.count()).select_from(declared.table), declared, config_id))
    else:
        snapshot = position["snapshot"] if position.get("snapshot") is not None else newest
        after = position["after"]  # (a snapshot of 0 is one: nothing had changed yet)
    query = scoped(select(*_wire_columns(declared)), declared, config_id)
    if after is not None:
        # As a bigint: a till may send any 64-bit key (2^31 and beyond bound as the key column's
        # INTEGER was a 500 on PostgreSQL); nothing lies beyond the column's range.
        query = query.where(key > literal(after, BigInteger))
    rows = _raw_rows(connection, query.order_by(key).limit(budget))
    done = len(rows) < budget
    last = rows[-1][_columns(declared).index(declared.key)] if rows else after
    part.update(rows=rows, after=after, last=last, done=done)
    if reason:
        part["reason"] = reason
    part["checkpoint"] = ({"mode": INCREMENTAL, "version": snapshot} if done
                          else {"mode": FULL, "snapshot": snapshot, "after": last})
    # Rows that changed during the import come next, incrementally: not up to date yet.
    return part, done and snapshot >= newest
