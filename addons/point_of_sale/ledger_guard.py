"""Sealed rows are refused UPDATE and DELETE by the database itself: triggers on both engines
(SQLite and PostgreSQL) on the tables that hold what the ledger seals.

The one way through is `unsealed(connection, reason)`, for a migration that must touch sealed
rows: it records why and when in `point_of_sale_ledger_unseal` (a row the triggers look for,
open while the block runs, in the same transaction) and in the journal (`sealed_rows_unlocked`),
then puts the triggers back (a SQLite
migration that rebuilds a table loses them). The central's self-check (ledger_check.py) reads
those rows and the triggers' presence at every pass: an unlocking, or triggers gone, makes it
re-check the whole chain and raise an alarm.

What triggers cannot stop: someone who drops them (SQLite) or turns them off
(PostgreSQL `session_replication_role = replica`, a superuser's) and writes. The chain still
breaks at the ticket changed, and the checks name it.
"""
from contextlib import contextmanager

from sqlalchemy import insert, select, text, update

from core.models import utc_now

from .journal import record_event
from .models import LedgerUnseal

# The tables whose rows are sealed, and so never updated nor deleted.
SEALED_TABLES = ("point_of_sale_order", "point_of_sale_order_line", "point_of_sale_payment",
                 "point_of_sale_closing", "point_of_sale_ledger_entry",
                 "point_of_sale_journal_event")
UNSEAL = LedgerUnseal.__table__
FUNCTION = "point_of_sale_refuse_sealed_change"
MESSAGE = "sealed rows are never changed: a correction is a new ticket"


def _trigger(table, operation):
    return f"{table}_sealed_{operation.lower()}"


def install_seal_guards(connection, tables=SEALED_TABLES):
    """Create (again) the triggers refusing UPDATE and DELETE on `tables` (idempotent). Another
    addon's sealed table (a journal) calls it from its migration."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"""
            CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM point_of_sale_ledger_unseal WHERE closed_at IS NULL) THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
              END IF;
              RAISE EXCEPTION '% of % refused: {MESSAGE}', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
            END $$ LANGUAGE plpgsql"""))
        for table in tables:
            name = _trigger(table, "change")
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
            connection.execute(text(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"))
        return
    for table in tables:
        for operation in ("UPDATE", "DELETE"):
            connection.execute(text(
                f"CREATE TRIGGER IF NOT EXISTS {_trigger(table, operation)} "
                f"BEFORE {operation} ON {table} "
                "WHEN NOT EXISTS (SELECT 1 FROM point_of_sale_ledger_unseal "
                "WHERE closed_at IS NULL) "
                f"BEGIN SELECT RAISE(ABORT, '{operation} of {table} refused: {MESSAGE}'); END"))


def drop_seal_guards(connection, tables=SEALED_TABLES):
    """Remove the triggers (a migration's downgrade)."""
    for table in tables:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"DROP TRIGGER IF EXISTS {_trigger(table, 'change')} "
                                    f"ON {table}"))
        else:
            for operation in ("UPDATE", "DELETE"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {_trigger(table, operation)}"))


def missing_seal_guards(connection, tables=SEALED_TABLES):
    """The tables among `tables` whose refusing triggers are not all there."""
    if connection.dialect.name == "postgresql":
        present = set(connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled != 'D'"
        )).scalars())
        return [table for table in tables if _trigger(table, "change") not in present]
    present = set(connection.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return [table for table in tables
            if not {_trigger(table, "UPDATE"), _trigger(table, "DELETE")} <= present]


@contextmanager
def unsealed(connection, reason, tables=SEALED_TABLES):
    """The explicit path for a migration that must change sealed rows: in this transaction,
    records `reason` and lets UPDATE and DELETE through until the block ends; then puts back the
    triggers of `tables`. Every other transaction stays refused."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("say why sealed rows must change")
    unseal_id = connection.execute(insert(UNSEAL).values(
        reason=reason.strip()[:512], opened_at=utc_now())).inserted_primary_key[0]
    record_event(connection, "sealed_rows_unlocked", None, reason=reason.strip()[:512],
                 unseal=unseal_id)
    try:
        yield unseal_id
    finally:
        connection.execute(update(UNSEAL).where(UNSEAL.c.id == unseal_id).values(
            closed_at=utc_now()))
        install_seal_guards(connection, tables)


def unseals_after(connection, after_id):
    """The unlockings recorded after id `after_id`: [(id, reason, opened_at)]."""
    return [tuple(row) for row in connection.execute(
        select(UNSEAL.c.id, UNSEAL.c.reason, UNSEAL.c.opened_at)
        .where(UNSEAL.c.id > after_id).order_by(UNSEAL.c.id))]
