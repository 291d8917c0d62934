"""`core serve` as it runs in production: a real process answering real HTTP requests."""
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from core.addons import AddonCatalog
from core.instance import Instance
from tests.support import CORE_COMMAND, free_port

pytestmark = pytest.mark.server

WEB_ADDONS = Path(__file__).resolve().parent / "web_addons"
CONCURRENT = 50
PAUSE = 1.0  # seconds each slow request takes


def is_sqlite(db_url):
    return make_url(db_url).get_backend_name() == "sqlite"


def assert_json_error(response, status, code):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]


def process_group(leader_pid):
    """The command lines of the processes in the group `leader_pid` leads."""
    commands = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == leader_pid:
                    commands.append((entry / "cmdline").read_bytes().replace(b"\0", b" "))
            except (ProcessLookupError, FileNotFoundError, PermissionError):
                pass
    return [c.decode(errors="replace") for c in commands]


def test_the_server_serves_the_login_page_and_json_errors(start_server):
    server = start_server()
    login = requests.get(server.url + "/web/login", timeout=5)
    assert login.status_code == 200
    assert login.headers["Content-Type"].startswith("text/html")
    assert "<h1>Sign in</h1>" in login.text
    assert_json_error(requests.get(server.url + "/nope", timeout=5), 404, "not_found")
    assert requests.get(server.url + "/web/apps", timeout=5, allow_redirects=False
                        ).status_code == 302


def test_the_server_serves_an_addon_installed_from_another_process(start_server, db_url):
    server = start_server()
    assert_json_error(requests.get(server.url + "/base_thing/items", timeout=5), 404,
                      "not_found")
    installed = subprocess.run([CORE_COMMAND, "--db", db_url, "install", "base_thing"],
                               env=os.environ.copy(), capture_output=True, text=True,
                               timeout=30)
    assert installed.returncode == 0, installed.stderr
    deadline = time.monotonic() + 10  # the server checks at most every 2 s
    while (status := requests.get(server.url + "/base_thing/items", timeout=5).status_code) \
            == 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status == 200
    assert server.process.poll() is None  # the same process, not restarted


@pytest.fixture
def nap_server(db_url, start_server):
    """A server whose database has the nap_thing test addon installed."""
    catalog = AddonCatalog([WEB_ADDONS], entry_points=False)
    instance = Instance(db_url, catalog)
    instance.install(["nap_thing"])
    instance.engine.dispose()
    env = {**os.environ, "CORE_ADDONS_PATH": os.pathsep.join(
        [os.environ["CORE_ADDONS_PATH"], str(WEB_ADDONS)])}
    return start_server(env=env)


def slow_body(label):
    """A JSON body sent in two chunks with a pause between, as a till on a slow network."""
    yield b'{"label": '
    time.sleep(PAUSE)
    yield json.dumps(label).encode() + b"}"


def test_fifty_slow_requests_are_served_at_the_same_time(nap_server):
    def long_poll(i):
        return requests.get(nap_server.url + "/nap_thing/nap", params={"seconds": PAUSE},
                            timeout=15)

    def slow_upload(i):
        return requests.post(nap_server.url + "/nap_thing/echo", data=slow_body(f"till {i}"),
                             headers={"Content-Type": "application/json"}, timeout=15)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        polls = [pool.submit(long_poll, i) for i in range(CONCURRENT // 2)]
        uploads = [pool.submit(slow_upload, i) for i in range(CONCURRENT // 2)]
        polls = [f.result() for f in polls]
        uploads = [f.result() for f in uploads]
    elapsed = time.monotonic() - started

    assert [r.status_code for r in polls] == [200] * len(polls)
    assert all(r.json() == {"slept": PAUSE} for r in polls)
    assert [r.status_code for r in uploads] == [200] * len(uploads)
    assert [r.json() for r in uploads] == [{"label": f"till {i}"} for i in range(len(uploads))]
    # One after the other they would take CONCURRENT * PAUSE = 50 s.
    assert elapsed < 10 * PAUSE, f"{CONCURRENT} slow requests took {elapsed:.1f} s"


def test_several_workers_on_postgresql_run_under_gunicorn(db_url, start_server):
    if is_sqlite(db_url):
        pytest.skip("--workers > 1 needs PostgreSQL; set CORE_TEST_DB to run this test")
    server = start_server("--workers", "2")
    assert requests.get(server.url + "/web/login", timeout=5).status_code == 200
    assert_json_error(requests.get(server.url + "/nope", timeout=5), 404, "not_found")
    commands = process_group(server.process.pid)
    assert len([c for c in commands if "gunicorn" in c]) == 3, commands  # arbiter + 2 workers


def test_several_workers_on_sqlite_are_refused_in_one_line(instance, db_url):
    if not is_sqlite(db_url):
        pytest.skip("this is the SQLite refusal; the database under test is PostgreSQL")
    result = subprocess.run(
        [CORE_COMMAND, "--db", db_url, "serve", "--workers", "2", "--port", str(free_port())],
        env=os.environ.copy(), capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: --workers > 1 needs PostgreSQL")
