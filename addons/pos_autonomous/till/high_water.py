"""The till's high-water mark (#24 item 4): a small file beside its SQLite database,
`<database>.high-water`, holding per config the highest ticket ever issued here (number, link).

It is written with the sale's commit: point_of_sale notes in the connection the configs it
sealed tickets of, and at the commit of that transaction (SQLAlchemy's `commit` event, just
before the database's own commit, while the transaction still holds the database's write lock)
the file is written beside it: a temporary file, fsync, rename, fsync of the folder. So no sale
is ever committed without the mark having followed it; a commit that fails after the file was
written leaves the mark one sale ahead (the till then asks for a recovery: that number is
skipped, never reused). The central instance's answer to each push says what it acknowledged:
the mark follows that too (`raise_to`), so a database behind either is caught.

A database restored from an older copy (or whose last tickets were deleted) is then behind the
file: the till refuses to sell (`database_behind`, in words on the POS page, which keeps the
orders it could not push), the admin and `core autonomous status` say so, the synchroniser
journals the lost range once (`ledger_lost_range`: numbers, and the last lost ticket's printed
short link) and `core autonomous recover` (recover.py) puts it right.

What it cannot tell: a file deleted or restored together with the database (keep them apart in
backups: the file is small and only ever grows).
"""
import json
import os
import weakref
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine

import addons.point_of_sale as point_of_sale
from core.errors import CoreError
from core.models import utc_now

from .. import role
from .models import Link

SUFFIX = ".high-water"


def path_of(connection):
    """The file beside the till's SQLite database, or None (not a file database)."""
    url = connection.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + SUFFIX)


def _marks(path):
    """{config id (text): {"number", "link", "at"}} from the file (an older file held one
    config: {"config_id", "number", "link", "at"})."""
    if path is None or not path.exists():
        return {}
    try:
        held = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(held, dict):
        return {}
    if "config_id" in held:
        held = {"configs": {str(held["config_id"]): held}}
    marks = held.get("configs")
    return {key: mark for key, mark in marks.items()
            if isinstance(mark, dict) and isinstance(mark.get("number"), int)} \
        if isinstance(marks, dict) else {}


def read(connection, config_id):
    """{"config_id", "number", "link", "at"} of the config's mark, or None when there is none
    (`link` None when only the central instance's acknowledgement raised it)."""
    mark = _marks(path_of(connection)).get(str(config_id))
    return None if mark is None else {**mark, "config_id": config_id}


def _write(path, marks):
    """Durably: a temporary file, fsync, rename over the file, fsync of its folder."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w") as file:
        file.write(json.dumps({"configs": marks}, sort_keys=True))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _raise(connection, wanted):
    """Move the marks of `wanted` ({config id: (number, link)}) up, never down; write the file
    when one moved. Return the marks now held."""
    path = path_of(connection)
    if path is None:
        return {}
    marks = _marks(path)
    moved = False
    for config_id, (number, link) in wanted.items():
        mark = marks.get(str(config_id))
        if mark is None or mark["number"] < number:
            marks[str(config_id)] = {"number": number, "link": link,
                                     "at": utc_now().isoformat()}
            moved = True
    if moved:
        _write(path, marks)
    return marks


def record(connection, config_ids):
    """Move the marks of `config_ids` (one id or several) up to their heads in this database
    (never down); return the mark of the first."""
    ids = [config_ids] if isinstance(config_ids, int) else sorted(config_ids)
    marks = _raise(connection, {config_id: point_of_sale.ledger_head(connection, config_id)
                                for config_id in ids})
    mark = marks.get(str(ids[0])) if ids else None
    return None if mark is None else {**mark, "config_id": ids[0]}


def raise_to(connection, config_id, number, link=None):
    """The central instance acknowledged the config's tickets up to `number`: the mark is at
    least that (the link is known when this database holds that ticket)."""
    _raise(connection, {config_id: (number, link)})


_TILLS = weakref.WeakSet()  # engines found to be a till's (a till stays one)


def _is_till(connection):
    """Whether this is a till's database; the listener sees every engine of the process, some
    without pos_autonomous's tables (asked of SQLite's schema first: no failing statement)."""
    if connection.engine in _TILLS:
        return True
    if not inspect(connection).has_table(Link.__tablename__) or not role.is_till(connection):
        return False
    _TILLS.add(connection.engine)
    return True


class DatabaseBehind(CoreError):
    """A transaction sealed numbers this till had already issued: refused at its commit."""


def at_commit(connection):
    """SQLAlchemy `commit` listener: on a till, the marks follow the configs this transaction
    sealed tickets of, before the database commits. A transaction that sealed numbers already
    issued (a database behind its mark: a closing, a command, anything but a sale, which is
    refused earlier in words) raises DatabaseBehind, and the database rolls it back: a number
    is never given twice."""
    configs = point_of_sale.take_sealed_configs(connection)
    if configs and path_of(connection) is not None and _is_till(connection):
        for config_id in sorted(configs):
            _refuse_numbers_issued_before(connection, config_id)
        record(connection, configs)


def _link_at(connection, config_id, number):
    """The link of ticket `number` in this database's chain: its entry's, or the link a skip of
    lost numbers ends at (a recovery, point_of_sale.skip_numbers)."""
    link = point_of_sale.ledger_links(connection, config_id, [number]).get(number)
    if link is None:
        link = next((end_link for upto, end_link in point_of_sale.skips_of(
            connection, config_id).values() if upto == number), None)
    return link


def _refuse_numbers_issued_before(connection, config_id):
    mark = read(connection, config_id)
    if mark is None:
        return
    number, _link = point_of_sale.ledger_head(connection, config_id)
    reused = number <= mark["number"] or (
        mark.get("link") and _link_at(connection, config_id, mark["number"]) != mark["link"])
    if reused:
        raise DatabaseBehind(
            f"refused: tickets up to {mark['number']} of config {config_id} were already "
            "issued on this till and its database is behind them (restored from an older "
            "copy, or tickets deleted): nothing is sealed here until it is recovered (core "
            "autonomous recover, or Recover on this till's admin page: docs/ledger.md)")


def at_rollback(connection):
    point_of_sale.take_sealed_configs(connection)  # what was sealed is gone with it


def listen():
    """Attach the listeners (once per process: every engine; they act on a till's only)."""
    if not event.contains(Engine, "commit", at_commit):
        event.listen(Engine, "commit", at_commit)
        event.listen(Engine, "rollback", at_rollback)


def behind(connection, config_id):
    """None, or {"head", "mark", "link"} when the database's head is behind the file's mark."""
    mark = read(connection, config_id)
    if mark is None:
        return None
    head, _link = point_of_sale.ledger_head(connection, config_id)
    if head >= mark["number"]:
        return None
    return {"head": head, "mark": mark["number"], "link": mark.get("link")}


def _last_printed(gap):
    return f" (last printed short link {point_of_sale.short_link(gap['link'])})" \
        if gap.get("link") else ""


def words(gap):
    return (f"this till's database ends at ticket {gap['head']} but tickets up to "
            f"{gap['mark']}{_last_printed(gap)} were sold here: it was restored from an older "
            "copy or tickets were deleted. It sells no more until it is recovered (core "
            "autonomous recover, or Recover on this till's admin page: docs/ledger.md); the "
            "orders waiting on the POS page are kept")


def journal_lost_range(connection, config_id, gap):
    """Record the lost range in the journal once."""
    seen = point_of_sale.journal_events(connection, config_id=config_id,
                                        kinds=["ledger_lost_range"], limit=10**6)
    if any(event["details"].get("first") == gap["head"] + 1 and
           event["details"].get("last") == gap["mark"] for event in seen):
        return False
    point_of_sale.record_event(connection, "ledger_lost_range", config_id,
                               first=gap["head"] + 1, last=gap["mark"],
                               last_short_link=point_of_sale.short_link(gap["link"])
                               if gap.get("link") else None,
                               last_link=gap.get("link"))
    return True
