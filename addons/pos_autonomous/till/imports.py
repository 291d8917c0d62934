"""Importing exported pages from a folder or FTP server (`core autonomous import --from`), for
sites that use files (files.py: the format): each page is applied with its checkpoints in one
transaction, as over HTTP, only when its request is exactly where the till stands.

Once (`import_from`), every page file is verified before any is applied, and one that fails
refuses the import. In a loop (`import_loop`, `--loop`: sites that move files on a schedule),
each round applies the pages that arrived since; a file that fails (not a signed page of this
till, a page that cannot be applied) is said once and skipped for the rest of the loop, the
others go on."""
import time

from core.errors import CoreError
from core.models import utc_now
from core.times import utc_iso

from .. import files, role
from ..declarations import declared_tables
from ..wire import NEW_TABLE
from . import apply


def import_from(till, location, say=lambda message: None):
    """Apply, in order, each exported page whose request is exactly where this till stands
    (pages already applied no longer match). Return the number of pages applied."""
    source = _Source(till, location)
    exported = [(name, source.opened(name)) for name in source.names()]  # all verified first
    applied = _apply_in_order(till, exported, source.by_name, say, done=set())
    if not applied:
        raise CoreError(f"no exported page in {source.store.label} starts where this till "
                        "stands; ask the central instance for a full export, or synchronise "
                        "over HTTP")
    return applied


def import_loop(till, location, interval_s, say, should_stop=lambda: False, sleep=time.sleep):
    """Import the pages that arrived, wait `interval_s` seconds, again, until `should_stop()`
    (SIGTERM, Ctrl-C): a line per round; an unreachable target is said and tried again; a bad
    file is said once and skipped."""
    source = _Source(till, location)  # not a till: refused at once
    done, bad = set(), {}
    while not should_stop():
        try:
            count = _import_round(till, source, done, bad, say)
        except CoreError as exc:
            say(f"{utc_iso(utc_now())}: import failed (next try in {interval_s} s): {exc}")
        else:
            say(f"{utc_iso(utc_now())}: " + (f"{count} page(s) applied" if count
                                              else "nothing new"))
        _wait(interval_s, should_stop, sleep)


def _import_round(till, source, done, bad, say):
    """One round of the loop: the new files opened (a bad one said, recorded in `bad`,
    skipped), the pages that start where the till stands applied; how many."""
    exported = []
    for name in source.names():
        if name in done or name in bad:
            continue
        try:
            exported.append((name, source.opened(name)))
        except CoreError as exc:
            bad[name] = str(exc)
            say(f"skipped {exc}")
    return _apply_in_order(till, exported, source.by_name, say, done, bad)


def _wait(seconds, should_stop, sleep):
    """Wait `seconds`, in short steps: a stop ends the wait at once."""
    waited = 0.0
    while waited < seconds and not should_stop():
        step = min(0.2, seconds - waited)
        sleep(step)
        waited += step


class _Source:
    """The exported pages of this till's config in a target, and what applying them needs."""

    def __init__(self, till, location):
        self.store = files.target(location)
        self.by_name = {table.name: table for table in declared_tables(till.plugin_manager())}
        with till.engine.connect() as connection:
            link = role.link(connection)
            if link is None or link.config_id is None:
                raise CoreError("this database is not an autonomous till")
            self.public_key = till.parameters(connection, till.plugin_manager()).get(
                "pos_autonomous.file_verify_key")
        self.config_id = link.config_id

    def names(self):
        """The page files of the config (the state file left out), in name order."""
        return [name for name in self.store.names()
                if name.startswith(f"c{self.config_id}-") and name.endswith(".json")
                and not name.endswith("-state.json")]

    def opened(self, name):
        """The page of file `name`, verified (files.opened_page: CoreError naming it)."""
        return files.opened_page(self.public_key, self.config_id, name, self.store.read(name))


def _apply_in_order(till, exported, by_name, say, done, bad=None):
    """Apply the pages of `exported` [(name, page)] that start where the till stands, in rounds
    until none does (pages may be listed out of order); add their names to `done`; return
    how many. With `bad` (the loop), a page that cannot be applied is said and put there
    instead of ending the import."""
    applied = 0
    while True:
        applied_now = [name for name, page in exported
                       if name not in done and (bad is None or name not in bad)
                       and _apply_if_it_starts_here(till, name, page, by_name, say, bad)]
        if not applied_now:
            return applied
        done.update(applied_now)  # an export with no change leaves the till where it was
        applied += len(applied_now)


def _apply_if_it_starts_here(till, name, page, by_name, say, bad):
    """Apply `page` (with its checkpoints, one transaction) when its request is exactly where
    the till stands; whether it did."""
    try:
        with till.engine.begin() as connection:
            held = apply.positions(connection)
            if any(held.get(table, NEW_TABLE) != position
                   for table, position in page["request"].items()):
                return False
            for event in apply.apply_answer(connection, page["answer"], by_name):
                say(event)
    except Exception as exc:  # noqa: BLE001 - in the loop, one bad file does not stop it
        if bad is None:
            raise
        bad[name] = f"{type(exc).__name__}: {exc}"
        say(f"skipped {name}: it cannot be applied ({bad[name]})")
        return False
    return True
