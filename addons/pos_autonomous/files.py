"""Exports as files, for sites that use them (the original's shared folder or FTP modes).

The central instance writes the answers a till would get over HTTP, one page per file, each with
the request it answers: `c<config>-full-v0-00001.json`, ... (a full export) or
`c<config>-incr-v<from>-00001.json`, ... (the changes after version <from>). A till imports a
page only when the page's request is exactly where the till stands, so pages apply in order and
never twice; each page is applied with its checkpoints in one transaction, as over HTTP.

A target is a folder path or `ftp://user:password@host:port/folder`. *Test connection*
downloads `test.txt` from it, as the original does (the file is made by hand).
"""
import ftplib
import io
import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

from core.errors import CoreError

from . import apply, pages
from .declarations import active_down_tables, declared_tables
from .models import Link

TEST_FILE = "test.txt"
FTP_TIMEOUT = 20  # seconds


class Folder:
    def __init__(self, path):
        self.path = Path(path)
        self.label = str(self.path)

    def prepare(self):
        self.path.mkdir(parents=True, exist_ok=True)

    def names(self):
        if not self.path.is_dir():
            raise CoreError(f"{self.path} is not a folder")
        return sorted(p.name for p in self.path.iterdir() if p.is_file())

    def read(self, name):
        try:
            return (self.path / name).read_bytes()
        except OSError as exc:
            raise CoreError(f"cannot read {name} in {self.path}: {exc.strerror}") from None

    def write(self, name, data):
        self.path.mkdir(parents=True, exist_ok=True)
        partial = self.path / (name + ".part")
        partial.write_bytes(data)
        partial.rename(self.path / name)  # a reader never sees half a file


class Ftp:
    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 21
        self.user, self.password = unquote(parts.username or "anonymous"), unquote(
            parts.password or "")
        self.folder = parts.path or "/"
        self.label = f"ftp://{self.host}:{self.port}{self.folder}"

    def _session(self):
        try:
            session = ftplib.FTP(timeout=FTP_TIMEOUT)
            session.connect(self.host, self.port)
            session.login(self.user, self.password)
            session.cwd(self.folder)
            return session
        except ftplib.error_perm as exc:
            raise CoreError(f"the FTP server {self.label} refused: {exc}") from None
        except OSError as exc:
            raise CoreError(f"cannot reach the FTP server {self.label}: {exc}") from None

    def prepare(self):
        pass

    def names(self):
        with self._session() as session:
            return sorted(name.rsplit("/", 1)[-1] for name in session.nlst())

    def read(self, name):
        buffer = io.BytesIO()
        with self._session() as session:
            try:
                session.retrbinary(f"RETR {name}", buffer.write)
            except ftplib.error_perm as exc:
                raise CoreError(f"cannot download {name} from {self.label}: {exc}") from None
        return buffer.getvalue()

    def write(self, name, data):
        with self._session() as session:
            session.storbinary(f"STOR {name}.part", io.BytesIO(data))
            session.rename(f"{name}.part", name)


def target(location):
    if location.startswith("ftp://"):
        return Ftp(location)
    if "://" in location:
        raise CoreError(f"{location!r}: give a folder or an ftp://user:password@host/folder URL")
    return Folder(location)


def test_connection(location):
    """Download test.txt from the target; return its size, or a CoreError saying what to do."""
    store = target(location)
    if TEST_FILE not in store.names():
        raise CoreError(f"{store.label} has no {TEST_FILE}: create it there by hand (any "
                        "content), then test again")
    return len(store.read(TEST_FILE))


def export(central, config_id, location, full=False, page_size=pages.MAX_PAGE_SIZE,
           skip_unchanged=False):
    """Write the next export for the tills of `config_id`: the changes since the previous export
    to this target (its state file remembers where that one ended), or a full export (`full`,
    or the first time). Return (the files written, full or not). `skip_unchanged` (the export
    loop): changes that are none write no file."""
    store = target(location)
    store.prepare()
    declared = declared_tables(central.plugin_manager())
    state_name = f"c{config_id}-state.json"
    state = (json.loads(store.read(state_name)) if state_name in store.names() and not full
             else None)
    number = (state["exports"] + 1) if state else _next_number(store, config_id)
    kind = "incr" if state else "full"
    positions = dict(state["positions"]) if state else {}
    written, page = [], 0
    while True:
        with central.engine.begin() as connection:
            tables = active_down_tables(connection, declared)
            request = {name: positions.get(name, pages.NEW_TABLE) for name in tables}
            answer = pages.answer_pull(connection, tables, request, config_id, page_size)
        if skip_unchanged and kind == "incr" and page == 0 and not answer["more"] and not any(
                part.get("rows") or part.get("deleted") for part in answer["tables"].values()):
            return [], False
        page += 1
        name = f"c{config_id}-{number:04d}-{kind}-{page:05d}.json"
        store.write(name, _dumps({"request": request, "answer": answer}))
        written.append(name)
        positions = {**request,
                     **{table: part["checkpoint"] for table, part in answer["tables"].items()}}
        if not answer["more"]:
            break
    store.write(state_name, _dumps({"exports": number, "positions": positions}))
    return written, kind == "full"


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), default=str).encode()


def _next_number(store, config_id):
    numbers = [int(n.split("-")[1]) for n in store.names()
               if n.startswith(f"c{config_id}-") and n.split("-")[1].isdigit()]
    return max(numbers, default=0) + 1


def import_from(till, location, say=lambda message: None):
    """Apply, in order, each exported page whose request is exactly where this till stands
    (pages already applied no longer match). Return the number of pages applied."""
    store = target(location)
    by_name = {table.name: table for table in declared_tables(till.plugin_manager())}
    with till.engine.connect() as connection:
        config_id = connection.scalar(Link.__table__.select().with_only_columns(
            Link.config_id))
    if config_id is None:
        raise CoreError("this database is not an autonomous till")
    exported = [json.loads(store.read(name)) for name in store.names()
                if name.startswith(f"c{config_id}-") and name.endswith(".json")
                and not name.endswith("-state.json")]
    applied, progressing, done = 0, True, set()
    while progressing:
        progressing = False
        for index, page in enumerate(exported):
            if index in done:  # an export with no change leaves the till where it was
                continue
            with till.engine.begin() as connection:
                held = apply.positions(connection)
                if any(held.get(name, pages.NEW_TABLE) != position
                       for name, position in page["request"].items()):
                    continue
                for event in apply.apply_answer(connection, page["answer"], by_name):
                    say(event)
            done.add(index)
            applied += 1
            progressing = True
    if not applied:
        raise CoreError(f"no exported page in {store.label} starts where this till stands; "
                        "ask the central instance for a full export, or synchronise over HTTP")
    return applied
