"""`core autonomous export --loop` (central) as its own process, with a real FTP server on
loopback (pyftpdlib): it writes the changes at its interval, records each run (last export,
files, last error in words) for the central admin, survives the FTP server going away and
catches up when it is back, and ends on SIGTERM; a till imports what it wrote. One-off exports
are recorded too; a loop that stopped running is said to be late."""
import json
import os
import signal
import subprocess
import time
from datetime import timedelta

from sqlalchemy import select, update

from addons.point_of_sale import Product
from addons.pos_autonomous import files
from addons.pos_autonomous.central import exports
from addons.pos_autonomous.central.models import ExportRun
from addons.pos_autonomous.till import imports
from addons.pos_autonomous.till.synchroniser import request_full_import
from core.errors import CoreError
from core.models import utc_now
from tests.pos_autonomous.test_files import assert_same, change_central, file_till, start_ftp
from tests.pos_autonomous.till_helpers import core, set_parameters
from tests.support import BUILT_IN_ADDONS_ONLY, CORE_COMMAND, signed_in_client, text_of
from tests.support import testing_app as built_app

CEILING = 60  # seconds: a ceiling for what the loop does each second, never a measure


def run_of(central, config_id=1):
    with central.engine.connect() as connection:
        return connection.execute(select(ExportRun).where(
            ExportRun.config_id == config_id)).first()


def wait_for(what, condition, process=None, log=None):
    """Wait until `condition()`, at most CEILING seconds, while `process` runs (`log`: its
    output file, said when the wait fails)."""
    deadline = time.monotonic() + CEILING
    said = (lambda: "\n" + log.read_text()) if log is not None else (lambda: "")
    while not condition():
        assert process is None or process.poll() is None, \
            f"the loop ended: {process.poll()}{said()}"
        assert time.monotonic() < deadline, f"still waiting for {what}{said()}"
        time.sleep(0.1)


def test_the_loop_exports_at_its_interval_records_its_runs_and_survives_the_ftp_server(
        central, tmp_path):
    till = file_till(central, tmp_path)
    folder = tmp_path / "ftp"
    folder.mkdir()
    server, url = start_ftp(folder)
    port = server.socket.getsockname()[1]
    set_parameters(central.url, {"pos_autonomous.export_interval_s": "1"})
    log = open(tmp_path / "loop.log", "wb")
    loop = subprocess.Popen(
        [CORE_COMMAND, "--db", central.url, "autonomous", "export", "1", "--loop"],
        env={**BUILT_IN_ADDONS_ONLY, "POS_AUTONOMOUS_EXPORT_TARGET": url},
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for("the full export", lambda: run_of(central) is not None and run_of(
            central).last_success_at is not None, loop)
        first = run_of(central)
        assert first.last_full and first.last_files >= 1 and first.last_error == ""
        assert first.interval_s == 1 and "secret123" not in first.target
        change_central(central)
        wait_for("the changes", lambda: any("-incr-" in p.name for p in folder.iterdir()), loop)

        server.close_all()  # the FTP server goes away: recorded, said, retried
        wait_for("the error", lambda: run_of(central).failures >= 2, loop)
        assert "cannot reach the FTP server" in run_of(central).last_error
        with central.engine.begin() as connection:  # a change made while it is down
            connection.execute(update(Product).where(Product.id == 2).values(
                name="Changed while the FTP server was down"))
        server, _ = start_ftp(folder, port)
        wait_for("the recovery", lambda: run_of(central).failures == 0, loop)
        assert run_of(central).last_error == ""

        page = text_of(signed_in_client(built_app(central), central).get(
            "/web/pos_autonomous/"))
        assert f"ftp://127.0.0.1:{port}/" in page and "secret123" not in page
        assert "every 1 s" in page
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(CEILING) == 0
    finally:
        if loop.poll() is None:
            loop.kill()
        server.close_all()
        log.close()
    server, _ = start_ftp(folder, port)
    try:
        request_full_import(till)  # from the loop's first (full) export, then its changes
        assert imports.import_from(till, url) >= 2
        assert_same(central, till)  # what the loop wrote brings the till up to date
    finally:
        server.close_all()
        till.engine.dispose()


def test_one_off_exports_are_recorded_and_a_stopped_loop_is_late(central, tmp_path):
    app = built_app(central)
    exports.run_export(central, 1, str(tmp_path / "exports"))
    recorded = run_of(central)
    assert recorded.last_full and recorded.interval_s is None and recorded.failures == 0
    unreachable = "ftp://till:secret123@127.0.0.1:9/"
    for failures in (1, 2):
        try:
            exports.run_export(central, 2, unreachable)
        except CoreError as exc:
            assert "cannot reach the FTP server" in str(exc)
        else:
            raise AssertionError("an unreachable FTP server was not said")
        assert run_of(central, 2).failures == failures
    with central.engine.begin() as connection:  # a loop whose last round was long ago
        connection.execute(update(ExportRun).where(ExportRun.config_id == 1).values(
            interval_s=60, last_attempt_at=utc_now() - timedelta(minutes=10)))
    page = text_of(signed_in_client(app, central).get("/web/pos_autonomous/"))
    assert "late: no export for more than 3 intervals" in page
    status = json.loads(core("--db", central.url, "autonomous", "status", "--json").stdout)
    late, failing = status["exports"]
    assert (late["config_id"], late["late"], late["last_full"], late["last_error"]) == (
        1, True, True, None)
    assert failing["failures"] == 2 and "cannot reach the FTP server" in failing["last_error"]
    assert "(late)" in core("--db", central.url, "autonomous", "status").stdout
    assert "cannot reach the FTP server ftp://127.0.0.1:9/" in page and "secret123" not in page


def test_the_loop_refuses_what_it_cannot_do(central, tmp_path):
    target = str(tmp_path / "exports")
    both = core("--db", central.url, "autonomous", "export", "1", "--to", target, "--loop",
                "--full", check=False)
    assert both.returncode == 1 and "--full" in both.stderr
    unknown = core("--db", central.url, "autonomous", "export", "99", "--to", target, "--loop",
                   check=False)
    assert unknown.returncode == 1 and "99" in unknown.stderr
    missing = core("--db", central.url, "autonomous", "export", "1", check=False)
    assert missing.returncode != 0 and "--to" in missing.stderr
    assert not os.path.exists(target) or not any(files.target(target).names())
