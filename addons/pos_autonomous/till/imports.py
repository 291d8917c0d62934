"""Importing exported pages from a folder or FTP server (`core autonomous import --from`), for
sites that use files (files.py: the format): each page is applied with its checkpoints in one
transaction, as over HTTP, only when its request is exactly where the till stands."""

from core.errors import CoreError

from .. import files, role
from ..declarations import declared_tables
from ..wire import NEW_TABLE
from . import apply


def import_from(till, location, say=lambda message: None):
    """Apply, in order, each exported page whose request is exactly where this till stands
    (pages already applied no longer match). Return the number of pages applied."""
    store = files.target(location)
    by_name = {table.name: table for table in declared_tables(till.plugin_manager())}
    with till.engine.connect() as connection:
        link = role.link(connection)
    if link is None or link.config_id is None:
        raise CoreError("this database is not an autonomous till")
    with till.engine.connect() as connection:
        public_key = till.parameters(connection, till.plugin_manager()).get(
            "pos_autonomous.file_verify_key")
    exported = _exported_pages(store, link.config_id, public_key)  # all verified first
    applied, done = 0, set()
    while True:  # rounds until none applies a page (pages may be listed out of order)
        applied_now = [index for index, page in enumerate(exported) if index not in done
                       and _apply_if_it_starts_here(till, page, by_name, say)]
        if not applied_now:
            break
        done.update(applied_now)  # an export with no change leaves the till where it was
        applied += len(applied_now)
    if not applied:
        raise CoreError(f"no exported page in {store.label} starts where this till stands; "
                        "ask the central instance for a full export, or synchronise over HTTP")
    return applied


def _exported_pages(store, config_id, public_key):
    """The pages exported for `config_id` in `store` (the state file left out), each verified
    (files.opened_page) before any is applied: one that fails refuses the import, naming it."""
    return [files.opened_page(public_key, config_id, name, store.read(name))
            for name in store.names()
            if name.startswith(f"c{config_id}-") and name.endswith(".json")
            and not name.endswith("-state.json")]


def _apply_if_it_starts_here(till, page, by_name, say):
    """Apply `page` (with its checkpoints, one transaction) when its request is exactly where
    the till stands; whether it did."""
    with till.engine.begin() as connection:
        held = apply.positions(connection)
        if any(held.get(name, NEW_TABLE) != position
               for name, position in page["request"].items()):
            return False
        for event in apply.apply_answer(connection, page["answer"], by_name):
            say(event)
    return True
