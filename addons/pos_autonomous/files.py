"""Exports as files, for sites that use them (the original's shared folder or FTP modes).

The central instance writes the answers a till would get over HTTP, one page per file, each with
the request it answers: `c<config>-full-v0-00001.json`, ... (a full export) or
`c<config>-incr-v<from>-00001.json`, ... (the changes after version <from>). A till imports a
page only when the page's request is exactly where the till stands, so pages apply in order and
never twice; each page is applied with its checkpoints in one transaction, as over HTTP.

Every page file is signed (Ed25519): `{"config_id", "page": "<the page's JSON>", "signature":
"<hex>"}`, the signature over the page's UTF-8 bytes, with the private key the central instance
made for the config (it never leaves the central instance); the till's package carries the
public half, and the till verifies every page file before it applies anything of any of them:
a file that fails is refused naming the file and why. Credentials never travel in files: the
cashiers' accounts come over HTTP only, and a page file that holds them is refused.

A target is a folder path or `ftp://user:password@host:port/folder`. *Test connection*
downloads `test.txt` from it, as the original does (the file is made by hand).

This module is the targets both machines use (a folder, an FTP server); the central instance
writes exports (central/exports.py), a till imports them (till/imports.py).
"""
import ftplib
import io
import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

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


def new_signing_key():
    """A fresh Ed25519 private key, as 64 hex digits."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption()).hex()


def public_key_of(private_hex):
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex)).public_key(
    ).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def signed_page(private_hex, config_id, page):
    """The bytes of a page file: `page` (a dict) as JSON text, signed."""
    if "cashiers" in page.get("answer", {}):
        raise CoreError("credentials never travel in files: a page with cashiers is not written")
    text = json.dumps(page, separators=(",", ":"), default=str)
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    return json.dumps({"config_id": config_id, "page": text,
                       "signature": key.sign(text.encode()).hex()}).encode()


def opened_page(public_hex, config_id, name, data):
    """The page (a dict) of the page file `name` once its signature is verified with the
    config's public key; CoreError naming the file and why otherwise."""
    if not public_hex:
        raise CoreError(f"{name}: this till has no key to verify page files with (its package "
                        "predates signed files): make a new package, or synchronise over HTTP")
    try:
        wrapper = json.loads(data)
        text, signature = wrapper["page"], bytes.fromhex(wrapper["signature"])
        if not isinstance(text, str) or wrapper.get("config_id") != config_id:
            raise ValueError
    except (ValueError, TypeError, KeyError, AttributeError):
        raise CoreError(f"{name}: not a signed page file of config {config_id} (a page file "
                        "holds config_id, page and signature)") from None
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            signature, text.encode())
    except (InvalidSignature, ValueError):
        raise CoreError(f"{name}: its signature does not verify with this till's key (the file "
                        "was changed, or not made by the central instance of this till)"
                        ) from None
    page = json.loads(text)
    if not isinstance(page, dict) or "cashiers" in page.get("answer", {}):
        raise CoreError(f"{name}: a page file may not carry credentials (cashiers)")
    return page
