"""Change tracking on the central instance: row triggers on the declared tables keep one row per
(table, key) in `pos_autonomous_change` with the row's latest version, or its tombstone.

Versions must become visible in increasing order, or a till reading `version > V` could skip one
that committed late. On PostgreSQL the row trigger leaves the version NULL and a deferred
constraint trigger on the change log (created by the migration) draws it at COMMIT under a
transaction-level advisory lock, held until the commit: the bus's rule (pos_longpolling/bus.py).
SQLite has one writer at a time, so its triggers draw the next version at once.
"""
from datetime import timedelta

from sqlalchemy import delete, func, select, text

from core.models import utc_now

from .models import Change, TableState

TRIGGER_PREFIX = "pos_autonomous_track_"
# Any constant of its own (pg_advisory_xact_lock takes a bigint): "posauto" + 1.
ATTACH_LOCK_KEY = 0x706F736175746F01


def _sqlite_triggers(name, table, key):
    change = ("INSERT INTO pos_autonomous_change (table_name, row_key, version, deleted, "
              "changed_at) VALUES ('{name}', {row}.{key}, (SELECT COALESCE(MAX(version), 0) + 1 "
              "FROM pos_autonomous_change), {deleted}, strftime('%Y-%m-%d %H:%M:%f', 'now')) "
              "ON CONFLICT (table_name, row_key) DO UPDATE SET version = excluded.version, "
              "deleted = excluded.deleted, changed_at = excluded.changed_at;")
    stored = change.format(name=name, key=key, row="NEW", deleted=0)
    removed = change.format(name=name, key=key, row="OLD", deleted=1)
    prefix = TRIGGER_PREFIX + table
    return [
        f'CREATE TRIGGER IF NOT EXISTS {prefix}_insert AFTER INSERT ON "{table}" '
        f"BEGIN {stored} END",
        f'CREATE TRIGGER IF NOT EXISTS {prefix}_update AFTER UPDATE ON "{table}" '
        f"BEGIN {stored} END",
        f'CREATE TRIGGER IF NOT EXISTS {prefix}_rekey AFTER UPDATE ON "{table}" '
        f"WHEN OLD.{key} <> NEW.{key} BEGIN {removed} END",
        f'CREATE TRIGGER IF NOT EXISTS {prefix}_delete AFTER DELETE ON "{table}" '
        f"BEGIN {removed} END",
    ]


def _postgresql_triggers(name, table, key):
    upsert = ("INSERT INTO pos_autonomous_change (table_name, row_key, version, deleted, "
              "changed_at) VALUES ('{name}', {row}.{key}, NULL, {deleted}, now()) "
              "ON CONFLICT (table_name, row_key) DO UPDATE SET version = NULL, "
              "deleted = excluded.deleted, changed_at = excluded.changed_at;")
    function = TRIGGER_PREFIX + table
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                {upsert.format(name=name, key=key, row="OLD", deleted="true")}
            ELSE
                IF TG_OP = 'UPDATE' THEN
                    IF OLD.{key} <> NEW.{key} THEN
                        {upsert.format(name=name, key=key, row="OLD", deleted="true")}
                    END IF;
                END IF;
                {upsert.format(name=name, key=key, row="NEW", deleted="false")}
            END IF;
            RETURN NULL;
        END $$""",
        f'CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def _existing_triggers(connection, table):
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:table) "
            "AND NOT tgisinternal"), {"table": f'"{table}"'})
    else:
        rows = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
            {"table": table})
    return {name for (name,) in rows if name.startswith(TRIGGER_PREFIX)}


def is_tracked(connection, declared):
    return bool(_existing_triggers(connection, declared.table.name))


def ensure_tracked(connection, declared_tables):
    """Attach the triggers to every declared table that lacks them. A table that was tracked
    before (it has a TableState row) but lost its triggers (a migration rebuilt it) missed
    changes meanwhile: its purged_version moves to the newest version, so every till reloads it
    (told `checkpoint_expired`) rather than silently missing what changed.

    On PostgreSQL the workers of `core serve --workers N` start together and each attaches:
    two concurrent CREATE OR REPLACE FUNCTION of one name fail (a unique violation in
    pg_proc, and the worker with it). A lock held until the commit makes them take turns; the
    later one then finds the triggers (each statement reads what committed before it)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ATTACH_LOCK_KEY})
    for declared in declared_tables:
        if is_tracked(connection, declared):
            continue
        make = (_postgresql_triggers if connection.dialect.name == "postgresql"
                else _sqlite_triggers)
        for statement in make(declared.name, declared.table.name, declared.key):
            connection.exec_driver_sql(statement)
        state = connection.execute(select(TableState).where(
            TableState.table_name == declared.name)).first()
        if state is None:
            connection.execute(TableState.__table__.insert().values(
                table_name=declared.name, purged_version=0, tracked_since=utc_now()))
        else:
            connection.execute(TableState.__table__.update()
                               .where(TableState.table_name == declared.name)
                               .values(purged_version=newest_version(connection) + 1,
                                       tracked_since=utc_now()))


def drop_all_tracking(connection):
    """Remove every trigger this addon attached (on uninstall)."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
            "WHERE tgname LIKE 'pos\\_autonomous\\_track\\_%' AND NOT tgisinternal")).all()
        for trigger, table in rows:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {trigger}()")
    else:
        rows = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'pos\\_autonomous\\_track\\_%' ESCAPE '\\'")).all()
        for (trigger,) in rows:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")


def newest_version(connection):
    """The largest committed version (0 when nothing changed yet): everything that commits
    later gets a larger one."""
    return connection.scalar(select(func.coalesce(func.max(Change.version), 0)))


def purged_versions(connection):
    """{table name: the largest version whose tombstones were purged}."""
    return dict(connection.execute(select(TableState.table_name, TableState.purged_version)).all())


def purge_tombstones(connection, retention_days, now=None):
    """Delete tombstones older than the retention; remember per table the largest version
    purged, so a till whose checkpoint is below it is told to reload. Return how many."""
    cutoff = (now or utc_now()) - timedelta(days=retention_days)
    old = (Change.deleted.is_(True), Change.changed_at < cutoff, Change.version.is_not(None))
    purged = dict(connection.execute(select(Change.table_name, func.max(Change.version))
                                     .where(*old).group_by(Change.table_name)).all())
    count = 0
    for table_name, version in purged.items():
        count += connection.execute(delete(Change).where(
            Change.table_name == table_name, *old, Change.version <= version)).rowcount
        connection.execute(TableState.__table__.update()
                           .where(TableState.table_name == table_name,
                                  TableState.purged_version < version)
                           .values(purged_version=version))
    return count
