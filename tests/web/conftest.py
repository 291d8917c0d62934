"""Fixtures of the web tests: apps built on the `instance` fixture, a signed-in test client, and
a real `core serve` process for the server and browser tests."""
import os
import subprocess
import time

import pytest
import requests

from core.web import create_app
from core.web.users import set_password
from web_helpers import (ADMIN_LOGIN, ADMIN_PASSWORD, CORE_COMMAND, Server, free_port, scalar,
                         stop_process_group)

SERVER_START_TIMEOUT = 20  # seconds


@pytest.fixture
def admin_user(instance):
    """The login and password of an admin of `instance`."""
    with instance.engine.begin() as connection:
        set_password(connection, ADMIN_LOGIN, ADMIN_PASSWORD)
    return ADMIN_LOGIN, ADMIN_PASSWORD


@pytest.fixture
def signed_in(instance, admin_user):
    """Mark a Flask test client as signed in as the admin, through its session cookie.

    The sign-in form itself is tested in test_admin_http.py; checking the scrypt hash again for
    every other test would cost a fifth of a second each."""
    user_id = scalar(instance, "SELECT id FROM core_user WHERE login = :login", login=ADMIN_LOGIN)

    def sign(client):
        with client.session_transaction() as session:
            session["user_id"] = user_id
        return client
    return sign


@pytest.fixture
def make_app(instance):
    """Build the app of `instance` as it is now (after the installs the test made)."""
    def make():
        app = create_app(instance=instance)
        app.testing = True  # errors raise in the test instead of becoming a bare 500
        return app
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_client(app, signed_in):
    """A test client signed in as the admin."""
    return signed_in(app.test_client())


# -- a real server process ----------------------------------------------------------------

@pytest.fixture
def start_server(db_url, tmp_path):
    """Start `core --db <db_url> serve --port <free port> *args` in a session of its own, wait
    until it answers, and SIGTERM its process group at teardown."""
    processes = []

    def start(*args, env=None):
        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block it
            process = subprocess.Popen(
                [CORE_COMMAND, "--db", db_url, "serve", "--port", str(port), *args],
                env=env or os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        processes.append(process)
        server = Server(f"http://127.0.0.1:{port}", process, log_path)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{server.log()}")
            try:
                requests.get(server.url + "/web/login", timeout=1)
                return server
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer within {SERVER_START_TIMEOUT} s:\n"
                                f"{server.log()}")
                time.sleep(0.1)

    yield start
    for process in processes:
        stop_process_group(process)
