"""Exports as files, for sites that use them (the original's shared folder or FTP modes).

The central instance writes the answers a till would get over HTTP, one page per file, each with
the request it answers: `c<config>-full-v0-00001.json`, ... (a full export) or
`c<config>-incr-v<from>-00001.json`, ... (the changes after version <from>). A till imports a
page only when the page's request is exactly where the till stands, so pages apply in order and
never twice; each page is applied with its checkpoints in one transaction, as over HTTP.

A target is a folder path or `ftp://user:password@host:port/folder`. *Test connection*
downloads `test.txt` from it, as the original does (the file is made by hand).

This module is the targets both machines use (a folder, an FTP server); the central instance
writes exports (central/exports.py), a till imports them (till/imports.py).
"""
import ftplib
import io
from pathlib import Path
from urllib.parse import unquote, urlsplit

from core.errors import CoreError

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
