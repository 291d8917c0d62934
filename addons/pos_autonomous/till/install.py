"""Creating a till from its package (`core --db sqlite:///till.db autonomous init FILE`): the
package (central/package.py) is copied into place with SQLite's backup API, refusing a database
that already holds data."""
import shlex
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from core.errors import CoreError

from .. import role


def init_till(instance, package):
    """Create the till database of `instance` (a SQLite URL) from `package`."""
    package = Path(package)
    url = make_url(instance.url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise CoreError("an autonomous till runs on a SQLite file: use --db sqlite:///till.db")
    target = Path(url.database)
    if target.exists() and _has_tables(target):
        raise CoreError(f"{target} already holds a database; an autonomous till starts from an "
                        "empty one")
    try:
        source = sqlite3.connect(f"file:{package}?mode=ro", uri=True)
        with source:
            source.execute("SELECT 1 FROM pos_autonomous_link")
    except sqlite3.Error:
        raise CoreError(f"{package} is not a till package (made by `core autonomous "
                        "package`)") from None
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    instance.engine.dispose()
    with instance.engine.connect() as connection:
        row = role.link(connection)
    return row


def _has_tables(path):
    database = sqlite3.connect(path)
    try:
        return database.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    finally:
        database.close()


def next_steps(url, row, config_ids):
    """What `autonomous init` prints: the till (or shop) made, then the exact commands that
    serve it and synchronise it (its database as an absolute path: they work from any folder,
    or in a service), and where the POS page of each of its configs is."""
    database = Path(make_url(url).database).resolve()
    db = shlex.quote(f"sqlite:///{database}")
    configs = ", ".join(str(config_id) for config_id in config_ids)
    pages = " ".join(f"http://127.0.0.1:8069/pos/ui/{config_id}" for config_id in config_ids)
    named = f"POS config{'s' if len(config_ids) > 1 else ''} {configs}"
    return [f"Till {row.till_id} ({named}) is ready; it synchronises with "
            f"{row.server_url}.",
            "Next, run these two, each in its own terminal (or as a service, docs/deploy.md):",
            f"  core --db {db} serve",
            f"  core --db {db} autonomous sync",
            f"then open {pages} and sign in with a cashier's PIN."]
