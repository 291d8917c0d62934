"""The deployment package, made on the central instance (`core autonomous package`).

A package is one SQLite database file: `point_of_sale` and `pos_autonomous` installed, the full
import of the till's data applied with its checkpoints (by the till's own apply.py, as its
synchroniser would), the link to the central instance (its address, the till's own
credentials), the till's cashier accounts and a `core.secret_key` of its own. The till copies it
into place with till/install.py.
"""
import os
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from addons.point_of_sale import SessionError, get_config, start_chain_after
from core.errors import CoreError
from core.instance import Instance

from .. import files
from ..declarations import active_down_tables, declared_tables
from ..till import apply
from ..till.models import Link
from ..wire import MAX_PAGE_SIZE
from . import pages, tills
from .exports import signing_key
from .tracking import ensure_tracked

TILL_ADDONS = ["point_of_sale", "pos_autonomous"]


def make_package(central, config_id, output, server_url, cashiers=(), name=None,
                 page_size=MAX_PAGE_SIZE, say=lambda message: None,
                 progress=lambda done, total: None):
    """Register a till for `config_id` on `central` and write its package to `output`.
    `progress(rows copied, of how many)` is called after each page. Return the till's id."""
    output = Path(output)
    if output.exists():
        raise CoreError(f"{output} already exists; choose another file or remove it")
    if not server_url:
        raise CoreError("give the address tills reach this server at (--server URL, or the "
                        "parameter pos_autonomous.server_url)")
    manager = central.plugin_manager()
    declared = declared_tables(manager)
    with central.engine.begin() as connection:
        try:
            config = get_config(connection, config_id)
        except SessionError as exc:
            raise CoreError(str(exc)) from None
        ensure_tracked(connection, declared)
        till_id, token = tills.register_till(connection, config_id, name or config.name,
                                             cashiers)
        after = tills.take_config(connection, config_id, till_id, name or config.name)
    building = output.with_name(output.name + ".building")
    building.unlink(missing_ok=True)
    # The package holds the till's credentials: readable by this user only, from the start
    # (SQLite keeps an existing file's mode, and gives its journal the same).
    os.close(os.open(building, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    till = Instance(f"sqlite:///{building}", central.catalog)
    try:
        till.install(TILL_ADDONS)
        _, secret = token.split(".", 1)
        with till.engine.begin() as connection:
            connection.execute(Link.__table__.insert().values(
                id=1, server_url=server_url, till_id=till_id, secret=secret,
                config_id=config_id, cashiers_digest="", last_error="", failures=0,
                last_event=""))
        with till.engine.begin() as connection:  # verifies the config's page files
            till.parameters(connection, till.plugin_manager()).set(
                "pos_autonomous.file_verify_key", files.public_key_of(
                    signing_key(central, config_id)))
        _full_import(central, till, till_id, config_id, declared, page_size, say, progress)
        if after[0]:  # the till's chain goes on after this server's last ticket of the config
            with till.engine.begin() as connection:
                start_chain_after(connection, config_id, *after)
    finally:
        till.engine.dispose()
    single_file = sqlite3.connect(building)  # the WAL folded in: one file, no -wal beside it
    try:
        single_file.execute("PRAGMA journal_mode = DELETE")
    finally:
        single_file.close()
    os.chmod(building, 0o600)
    building.rename(output)
    return till_id


def _rows_to_copy(connection, tables, config_id):
    """How many rows the till's full import copies (its config's rows of each table)."""
    total = 0
    for declared, _kind in tables.values():
        query = select(func.count()).select_from(declared.table)
        if declared.config_column:
            query = query.where(declared.table.c[declared.config_column] == config_id)
        total += connection.scalar(query)
    return total


def _full_import(central, till, till_id, config_id, declared, page_size, say, progress):
    """The till's first import, page by page, straight from the central database."""
    by_name = {table.name: table for table in declared}
    with central.engine.connect() as connection:
        total = _rows_to_copy(connection, active_down_tables(connection, declared), config_id)
    done = 0
    while True:
        with till.engine.connect() as connection:
            positions = apply.positions(connection)
            digest = connection.scalar(Link.__table__.select().with_only_columns(
                Link.cashiers_digest))
        with central.engine.connect() as connection:
            tables = active_down_tables(connection, declared)
            answer = pages.answer_pull(connection, tables, positions, config_id, page_size)
            answer["cashiers"] = tills.cashiers_part(connection, till_id, digest)
            connection.commit()
        with till.engine.begin() as connection:
            for event in apply.apply_answer(connection, answer, by_name):
                say(event)
            connection.execute(Link.__table__.update().values(
                cashiers_digest=answer["cashiers"]["digest"]))
        done += sum(len(part["rows"]) for part in answer["tables"].values())
        progress(done, max(done, total))  # rows changed meanwhile come again: never above 100%
        if not answer["more"]:
            return
