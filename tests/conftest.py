"""Shared fixtures. Tests run on SQLite by default; set CORE_TEST_DB to a PostgreSQL URL
(e.g. postgresql://postgres@127.0.0.1:5432/test) to run the same suite there: each test then
gets a database of its own, created from that server and dropped afterwards."""
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.addons import AddonCatalog
from core.db import resolve_url
from core.instance import Instance

TESTS = Path(__file__).resolve().parent
FIXTURE_ADDONS = TESTS / "fixture_addons"

# Never load third-party addons from installed packages, and only the throwaway test addons.
os.environ["CORE_LOAD_ENTRY_POINTS"] = "0"
os.environ["CORE_ADDONS_PATH"] = str(FIXTURE_ADDONS)


def fixture_catalog():
    return AddonCatalog([FIXTURE_ADDONS], entry_points=False)


def fresh_database(tmp_path, stem):
    """Yield the URL of a fresh, empty database (a SQLite file under tmp_path, or a PostgreSQL
    database of its own when CORE_TEST_DB is set, dropped afterwards)."""
    server = os.environ.get("CORE_TEST_DB")
    if not server:
        yield f"sqlite:///{tmp_path / (stem + '.db')}"
        return
    server_url = make_url(resolve_url(server))
    name = f"core_{stem}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(tmp_path):
    """A fresh, empty database URL for one test."""
    yield from fresh_database(tmp_path, "test")


@pytest.fixture
def other_db_url(tmp_path):
    """A second fresh database, for a second instance (say, a separate sync server)."""
    yield from fresh_database(tmp_path, "other")


@pytest.fixture
def instance(db_url):
    """An initialised instance whose available addons are the test addons."""
    inst = Instance(db_url, fixture_catalog())
    inst.init()
    yield inst
    inst.engine.dispose()
