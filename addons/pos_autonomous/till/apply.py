"""Applying one pull answer on a till: every table part and its new checkpoint in one transaction,
so a page is applied whole or not at all, and never twice.

The till applies the columns both sides have. When that set differs from the one a table's
checkpoint was built with (an addon upgrade added a column on either side), the part is not
applied: the table alone restarts a full import (`schema_changed`)."""
from datetime import datetime

from sqlalchemy import DateTime, select
from sqlalchemy.exc import IntegrityError

import addons.point_of_sale as point_of_sale
from core.models import utc_now

from ..wire import FULL, INCREMENTAL
from .models import Checkpoint, Link, TillCashierLogin

DELETE_CHUNK = 500


def positions(connection):
    """{table name: position} as the pull request sends it."""
    result = {}
    for row in connection.execute(select(Checkpoint)):
        if row.mode == INCREMENTAL:
            result[row.table_name] = {"mode": INCREMENTAL, "version": row.version}
        else:
            result[row.table_name] = {"mode": FULL, "snapshot": row.snapshot, "after": row.after}
    return result


def restart_full(connection, table_name, reason):
    """Make `table_name` start a full import at the next pull (rows stay until replaced)."""
    _save_checkpoint(connection, table_name, {"mode": FULL, "snapshot": None, "after": None},
                     reason=reason, columns="", rows_done=0, rows_total=0, started_at=None)


def apply_answer(connection, answer, declared_by_name):
    """Apply `answer` inside `connection`'s transaction. Return a list of events in words
    (full imports started and why), for the synchroniser's status. A table whose columns
    changed is not applied but restarts a full import: `answer["more"]` then becomes true, so
    the caller asks again at once."""
    events = []
    held = {row.table_name: row for row in connection.execute(select(Checkpoint))}
    for name, part in answer["tables"].items():
        declared = declared_by_name.get(name)
        if declared is None:  # the till lacks the addon that owns this table
            continue
        restarted = _apply_part(connection, declared, part, held.get(name))
        if restarted is None:  # the full import's first page will say why
            answer["more"] = True
        else:
            events += restarted
    if "accounts" in answer.get("cashiers", {}):
        _apply_cashiers(connection, answer["cashiers"]["accounts"])
    return events


def _apply_part(connection, declared, part, held):
    """Apply one table's part (`held`: the table's checkpoint row, or None); return its events,
    or None when the table must restart a full import instead (its shared columns changed)."""
    local = [column.name for column in declared.table.columns]
    shared = [column for column in part["columns"] if column in local]
    starting = part["mode"] == FULL and part.get("after") is None
    if not starting and held is not None and held.columns != ",".join(shared):
        restart_full(connection, declared.name, "schema_changed")
        return None
    if _nothing_new(part, held):
        return []  # nothing new for this table: its checkpoint stands (no write)
    rows = _shared_rows(part, shared)
    _write_rows(connection, declared, part, shared, rows)
    events, extra = _full_import_progress(declared, part, held, starting, len(rows))
    _save_checkpoint(connection, declared.name, part["checkpoint"], columns=",".join(shared),
                     **extra)
    return events


def _nothing_new(part, held):
    return (part["mode"] == INCREMENTAL and not part["rows"] and not part["deleted"]
            and held is not None and held.mode == INCREMENTAL
            and held.version == part["checkpoint"]["version"])


def _shared_rows(part, shared):
    """The part's rows, cut to the columns this till has too (in `shared`'s order)."""
    indexes = [part["columns"].index(column) for column in shared]
    if indexes == list(range(len(part["columns"]))):
        return part["rows"]
    return [[row[i] for i in indexes] for row in part["rows"]]  # the server has more columns


def _write_rows(connection, declared, part, shared, rows):
    """Deletions first: a unique value (a barcode) may have moved to a row of this page."""
    if part["mode"] == INCREMENTAL:
        _delete_keys(connection, declared, part["deleted"])
        _insert(connection, declared, shared, rows, upsert=True)
        return
    key_index = shared.index(declared.key)
    held_any = _delete_missing(connection, declared, part["after"], part["last"],
                               part["done"], [row[key_index] for row in rows])
    _insert(connection, declared, shared, rows, upsert=held_any)


def _full_import_progress(declared, part, held, starting, count):
    """(events, checkpoint values) of a full import's page: its start said in words, rows done."""
    if part["mode"] != FULL:
        return [], {}
    events, extra = [], {}
    if starting:
        reason = part.get("reason") or (held.reason if held is not None else "") or "new"
        events.append(f"{declared.name}: full import ({_REASONS.get(reason, reason)})")
        extra = {"reason": reason, "rows_done": 0, "rows_total": part.get("total", 0),
                 "started_at": utc_now()}
    extra["rows_done"] = extra.get("rows_done", held.rows_done if held else 0) + count
    return events, extra


_REASONS = {"new": "a table new to this till", "checkpoint_expired":
            "its checkpoint is older than the server's tombstone retention",
            "schema_changed": "its columns changed", "full_kind": "a full-only table changed",
            "config_scoped": "a table of per-config rows changed", "requested": "asked for"}


def _converters(connection, declared, columns):
    """Per column, a function turning the JSON value into what the database takes, or None
    when it takes it as it is. Decimals travel as text, which both databases read exactly into
    their numeric columns (SQLite's NUMERIC affinity, PostgreSQL's numeric input)."""
    dialect = connection.dialect
    result = []
    for name in columns:
        column_type = declared.table.c[name].type
        if isinstance(column_type, DateTime):
            process = column_type.bind_processor(dialect) or (lambda v: v)
            result.append(lambda v, p=process: None if v is None
                          else p(datetime.fromisoformat(v)))
        else:
            result.append(None)
    return result


def _placeholders(connection, count):
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * count)


def _insert(connection, declared, columns, rows, upsert):
    """Insert `rows`; with `upsert`, a row whose key the till holds replaces it. A full page
    whose key range the till holds nothing of takes the plain INSERT (the first import)."""
    if not rows:
        return
    rows = _converted(connection, declared, columns, rows)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != declared.key)
    columns, rows = _with_own_defaults(declared, columns, rows)
    quoted = ", ".join(f'"{c}"' for c in columns)
    statement = (f'INSERT INTO "{declared.table.name}" ({quoted}) VALUES '
                 f"({_placeholders(connection, len(columns))})")
    if upsert:
        statement += (f' ON CONFLICT ("{declared.key}") DO '
                      + (f"UPDATE SET {updates}" if updates else "NOTHING"))
    cursor = connection.connection.cursor()  # the DB-API's executemany, in this transaction
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()


def _converted(connection, declared, columns, rows):
    """The rows with each value the database cannot take as it is (a time) converted."""
    converters = _converters(connection, declared, columns)
    if not any(converters):
        return rows
    return [tuple(value if convert is None else convert(value)
                  for convert, value in zip(converters, row)) for row in rows]


def _with_own_defaults(declared, columns, rows):
    """(columns, rows) with the till's own columns the server does not send (its
    `local_columns`, or one only the till has) at their defaults, for the rows inserted; an
    upsert never overwrites them (`updates` names the sent columns only)."""
    own = [(column.name, column.default.arg) for column in declared.table.columns
           if column.name not in columns and column.default is not None
           and column.default.is_scalar]
    if not own:
        return columns, rows
    values = tuple(value for _name, value in own)
    return ([*columns, *(name for name, _value in own)],
            [(*row, *values) for row in rows])


def _delete_keys(connection, declared, keys):
    key = declared.table.c[declared.key]
    for start in range(0, len(keys), DELETE_CHUNK):
        chunk = keys[start:start + DELETE_CHUNK]
        try:
            with connection.begin_nested():
                connection.execute(declared.table.delete().where(key.in_(chunk)))
        except IntegrityError:
            _delete_one_by_one(connection, declared, chunk)


def _delete_one_by_one(connection, declared, keys):
    """A row this till's own records refer to (an order's product) stays; the others go."""
    key = declared.table.c[declared.key]
    for value in keys:
        try:
            with connection.begin_nested():
                connection.execute(declared.table.delete().where(key == value))
        except IntegrityError:
            pass


def _delete_missing(connection, declared, after, last, done, kept):
    """A full page holds every row of its key range (after, last]: the till's other rows in that
    range are gone on the server; on the last page, so is everything past it. Return whether
    the till held any row in that range."""
    key = declared.table.c[declared.key]
    query = select(key)
    if after is not None:
        query = query.where(key > after)
    if not done:
        query = query.where(key <= last)
    held = [value for (value,) in connection.execute(query)]
    kept = set(kept)
    _delete_keys(connection, declared, [value for value in held if value not in kept])
    return bool(held)


def _save_checkpoint(connection, name, checkpoint, **values):
    table = Checkpoint.__table__
    values = {"mode": checkpoint["mode"], "version": checkpoint.get("version") or 0,
              "snapshot": checkpoint.get("snapshot"), "after": checkpoint.get("after"),
              "updated_at": utc_now(), **values}
    if checkpoint["mode"] == INCREMENTAL:
        values["reason"] = ""
    done = connection.execute(table.update().where(table.c.table_name == name).values(**values))
    if not done.rowcount:
        values.setdefault("columns", "")
        values.setdefault("reason", "")
        values.setdefault("rows_done", 0)
        values.setdefault("rows_total", 0)
        connection.execute(table.insert().values(table_name=name, **values))


def _apply_cashiers(connection, accounts):
    """The cashiers and managers the central instance allows on this till's config, with
    their PIN verifiers for this till (no password: they sign in here with their PIN); the
    ones it no longer allows are removed (only those that came down this way)."""
    logins = TillCashierLogin.__table__
    previous = {login for (login,) in connection.execute(select(logins.c.login))}
    config_id = connection.scalar(select(Link.config_id))
    kept = point_of_sale.store_till_cashiers(connection, config_id, accounts, previous)
    connection.execute(logins.delete())
    if kept:
        connection.execute(logins.insert(), [{"login": login} for login in kept])
