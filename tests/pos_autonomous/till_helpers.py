"""Helpers of the pos_autonomous tests: the real `core` command and reading tills."""
import hashlib
import subprocess

import pytest
from sqlalchemy import select

from tests.support import BUILT_IN_ADDONS_ONLY, CORE_COMMAND

FAST_SYNC = {"pos_autonomous.retry_wait_ms": "50", "pos_autonomous.max_retry_wait_ms": "200",
             "pos_autonomous.sync_interval_ms": "50", "pos_autonomous.request_timeout_ms": "5000"}


def core(*args, check=True, timeout=120):
    """Run the real `core` command (built-in addons); return the CompletedProcess."""
    result = subprocess.run([CORE_COMMAND, *args], env=BUILT_IN_ADDONS_ONLY, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"core {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n"
                    f"{result.stderr}")
    return result


def set_parameters(url, values):
    from core.addons import AddonCatalog
    from core.instance import Instance
    instance = Instance(url, AddonCatalog())
    with instance.engine.begin() as connection:
        parameters = instance.parameters(connection)
        for key, value in values.items():
            parameters.set(key, value)
    instance.engine.dispose()


def till_state(url):
    """The till's status, as `core autonomous status --json` prints it."""
    from sqlalchemy import create_engine

    from addons.pos_autonomous import till_status
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return till_status(connection)
    finally:
        engine.dispose()


def table_digest(engine, table, where=None):
    """SHA-256 of a table's rows read through SQLAlchemy (Decimals, ordered by id)."""
    query = select(*table.columns).order_by(table.c.id)
    if where is not None:
        query = query.where(where)
    with engine.connect() as connection:
        rows = [tuple(str(value) for value in row) for row in connection.execute(query)]
    return hashlib.sha256(repr(rows).encode()).hexdigest(), len(rows)
