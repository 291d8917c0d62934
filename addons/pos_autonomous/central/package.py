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
from ..till.models import Link, ShopMember
from ..wire import MAX_PAGE_SIZE
from . import pages, tills
from .exports import signing_key
from .tracking import ensure_tracked

TILL_ADDONS = ["point_of_sale", "pos_autonomous"]


def make_package(central, config_id, output, server_url, cashiers=(), name=None,
                 page_size=MAX_PAGE_SIZE, say=lambda message: None,
                 progress=lambda done, total: None):
    """Register a till for `config_id` on `central` and write its package to `output`; with a
    list of configs, a shop: one instance serving them all (a till per config on the central
    instance, each its config's one writer, the first pulling for the shop). `progress(rows
    copied, of how many)` is called after each page. Return the (first) till's id."""
    config_ids = _config_list(config_id)
    output = Path(output)
    if output.exists():
        raise CoreError(f"{output} already exists; choose another file or remove it")
    if not server_url:
        raise CoreError("give the address tills reach this server at (--server URL, or the "
                        "parameter pos_autonomous.server_url)")
    manager = central.plugin_manager()
    declared = declared_tables(manager)
    with central.engine.begin() as connection:
        configs = check_configs(connection, manager, config_ids)
        ensure_tracked(connection, declared)
        registered = _register(connection, configs, cashiers, name)
    scope = tuple(config_ids) if len(config_ids) > 1 else config_ids[0]
    building = output.with_name(output.name + ".building")
    building.unlink(missing_ok=True)
    # The package holds the till's credentials: readable by this user only, from the start
    # (SQLite keeps an existing file's mode, and gives its journal the same).
    os.close(os.open(building, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    till = Instance(f"sqlite:///{building}", central.catalog)
    try:
        till.install(till_addons(central, declared))
        _write_links(till, server_url, registered)
        with till.engine.begin() as connection:  # verifies the config's page files
            till.parameters(connection, till.plugin_manager()).set(
                "pos_autonomous.file_verify_key", files.public_key_of(
                    signing_key(central, config_ids[0])))
        _full_import(central, till, registered[0][1], scope, declared, page_size, say,
                     progress)
        _start_chains(till, registered)
    finally:
        till.engine.dispose()
    _fold_into_one_file(building)
    os.chmod(building, 0o600)
    building.rename(output)
    return registered[0][1]


def _config_list(config_id):
    """[config id, ...] of one config or several (each once, in the order given)."""
    config_ids = [config_id] if isinstance(config_id, int) else list(dict.fromkeys(config_id))
    if not config_ids:
        raise CoreError("name the POS config(s) the package serves")
    return config_ids


def check_configs(connection, manager, config_ids):
    """The configs' rows; CoreError when one is unknown or an addon refuses the package (a
    multi-session spanning configs inside and outside it, pos_multi_session)."""
    configs = []
    for config_id in config_ids:
        try:
            configs.append(get_config(connection, config_id))
        except SessionError as exc:
            raise CoreError(str(exc)) from None
    refusals = [reason for reasons in manager.hook.check_autonomous_package(
        connection=connection, config_ids=list(config_ids)) for reason in reasons or ()]
    if refusals:
        raise CoreError("; ".join(refusals))
    return configs


def _register(connection, configs, cashiers, name):
    """A till per config, the first heading the shop when there are several, each made its
    config's one writer; [(config id, till id, secret, last ticket (number, link) there)]."""
    registered, shop_id = [], None
    for config in configs:
        till_name = (name or config.name) if len(configs) == 1 else \
            f"{name or configs[0].name}: {config.name}"
        till_id, token = tills.register_till(connection, config.id, till_name, cashiers,
                                             shop_id=shop_id)
        if len(configs) > 1 and shop_id is None:
            shop_id = till_id
            tills.make_shop(connection, till_id)
        after = tills.take_config(connection, config.id, till_id, till_name)
        registered.append((config.id, till_id, token.split(".", 1)[1], after))
    return registered


def till_addons(central, declared):
    """What the till installs: point_of_sale, pos_autonomous and the owners of the tables it
    receives that the central instance has (a declared name is `<addon>.<thing>`)."""
    installed = central.installed()
    owners = [table.name.split(".", 1)[0] for table in declared if "down" in table.directions]
    return list(dict.fromkeys(TILL_ADDONS + [owner for owner in owners if owner in installed]))


def _write_links(till, server_url, registered):
    """The link (the first config) and a shop's other configs' credentials."""
    (config_id, till_id, secret, _after), *others = registered
    with till.engine.begin() as connection:
        connection.execute(Link.__table__.insert().values(
            id=1, server_url=server_url, till_id=till_id, secret=secret,
            config_id=config_id, cashiers_digest="", last_error="", failures=0,
            last_event=""))
        for number, (member_config, member_till, member_secret, _) in enumerate(others, 2):
            connection.execute(ShopMember.__table__.insert().values(
                id=number, config_id=member_config, till_id=member_till,
                secret=member_secret))


def _start_chains(till, registered):
    """Each config's chain goes on after this server's last ticket of it."""
    with till.engine.begin() as connection:
        for config_id, _till_id, _secret, after in registered:
            if after[0]:
                start_chain_after(connection, config_id, *after)


def _fold_into_one_file(building):
    single_file = sqlite3.connect(building)  # the WAL folded in: one file, no -wal beside it
    try:
        single_file.execute("PRAGMA journal_mode = DELETE")
    finally:
        single_file.close()


def _rows_to_copy(connection, tables, config_id):
    """How many rows the till's full import copies (its config's rows of each table; a
    tuple: a shop's configs)."""
    total = 0
    for declared, _kind in tables.values():
        total += connection.scalar(pages.scoped(select(func.count()).select_from(declared.table),
                                                declared, config_id))
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
