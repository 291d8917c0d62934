"""The till's high-water mark (#24 item 4): a small file beside its SQLite database,
`<database>.high-water`, holding the highest ticket its POS page was answered (config, number,
link), written after each push of sales is committed. A database restored from an older copy (or
whose last tickets were deleted) is then behind the file: the till refuses to sell
(`database_behind`, in words on the POS page, which keeps the orders it could not push), the
admin and `core autonomous status` say so, and the synchroniser journals the lost range once
(`ledger_lost_range`: numbers, and the last lost ticket's printed short link).

What it cannot tell: a file deleted or restored together with the database (keep them apart in
backups: the file is small and only ever grows).
"""
import json
import os
from pathlib import Path

import addons.point_of_sale as point_of_sale
from core.models import utc_now

SUFFIX = ".high-water"


def path_of(connection):
    """The file beside the till's SQLite database, or None (not a file database)."""
    url = connection.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).with_name(Path(url.database).name + SUFFIX)


def read(connection):
    """{"config_id", "number", "link", "at"} from the file, or None when there is none."""
    path = path_of(connection)
    if path is None or not path.exists():
        return None
    try:
        mark = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return mark if isinstance(mark, dict) and isinstance(mark.get("number"), int) else None


def record(connection, config_id):
    """Move the file up to the config's head when the database is ahead of it (never down);
    return the mark now in the file."""
    path = path_of(connection)
    if path is None:
        return None
    number, link = point_of_sale.ledger_head(connection, config_id)
    mark = read(connection)
    if mark is not None and mark["number"] >= number:
        return mark
    mark = {"config_id": config_id, "number": number, "link": link,
            "at": utc_now().isoformat()}
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as file:
        file.write(json.dumps(mark))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return mark


def behind(connection, config_id):
    """None, or {"head", "mark", "link"} when the database's head is behind the file's mark."""
    mark = read(connection)
    if mark is None or mark.get("config_id") != config_id:
        return None
    head, _link = point_of_sale.ledger_head(connection, config_id)
    if head >= mark["number"]:
        return None
    return {"head": head, "mark": mark["number"], "link": mark["link"]}


def words(gap):
    return (f"this till's database ends at ticket {gap['head']} but tickets up to "
            f"{gap['mark']} (last printed short link {point_of_sale.short_link(gap['link'])}) "
            "were sold here: it was restored from an older copy or tickets were deleted. It "
            "sells no more until it is recovered (docs/ledger.md); "
            "the orders waiting on the POS page are kept")


def journal_lost_range(connection, config_id, gap):
    """Record the lost range in the journal once."""
    seen = point_of_sale.journal_events(connection, config_id=config_id,
                                        kinds=["ledger_lost_range"], limit=10**6)
    if any(event["details"].get("first") == gap["head"] + 1 and
           event["details"].get("last") == gap["mark"] for event in seen):
        return False
    point_of_sale.record_event(connection, "ledger_lost_range", config_id,
                               first=gap["head"] + 1, last=gap["mark"],
                               last_short_link=point_of_sale.short_link(gap["link"]),
                               last_link=gap["link"])
    return True
