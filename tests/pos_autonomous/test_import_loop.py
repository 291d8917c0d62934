"""`core autonomous import --from TARGET --loop` (a till on a site that moves files on a
schedule), as its own process against a real FTP server (pyftpdlib) with a short interval: it
applies each export as it arrives, says a line per round, says a bad file once and skips it
without stopping, and ends cleanly on SIGTERM and on Ctrl-C (SIGINT)."""
import json
import signal
import subprocess

from addons.pos_autonomous import files
from addons.pos_autonomous.central.exports import export, signing_key
from addons.pos_autonomous.till import imports
from addons.pos_autonomous.till.synchroniser import request_full_import
from tests.pos_autonomous.test_export_loop import CEILING, wait_for
from tests.pos_autonomous.test_files import change_central, file_till, start_ftp
from tests.pos_autonomous.till_helpers import core, table_digest
from tests.support import BUILT_IN_ADDONS_ONLY, CORE_COMMAND


def same_products(central, till):
    from addons.point_of_sale import Product
    return table_digest(till.engine, Product.__table__) == table_digest(
        central.engine, Product.__table__)


def start_loop(till, location, log, interval="1"):
    """The loop as its own process; `location` None: the target from the environment."""
    source = ["--from", location] if location else []
    env = BUILT_IN_ADDONS_ONLY if location else {
        **BUILT_IN_ADDONS_ONLY, "POS_AUTONOMOUS_IMPORT_SOURCE": "ftp://till:secret123@127.0.0.1:9/"}
    return subprocess.Popen(
        [CORE_COMMAND, "--db", till.url, "autonomous", "import", *source, "--loop",
         "--interval", interval], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def test_the_loop_imports_each_export_as_it_arrives_skips_a_bad_file_and_stops_on_sigterm(
        central, tmp_path):
    till = file_till(central, tmp_path)
    folder = tmp_path / "ftp"
    folder.mkdir()
    server, url = start_ftp(folder)
    log = tmp_path / "loop.log"
    request_full_import(till)  # the till takes the loop's first (full) export
    loop = start_loop(till, url, log)
    try:
        wait_for("the first round", lambda: "nothing new" in log.read_text(), loop, log)
        export(central, 1, url)  # a full export lands while the loop runs
        wait_for("the full export", lambda: same_products(central, till), loop, log)
        (folder / "c1-9000-incr-00001.json").write_text("not a page file")  # dropped by hand
        change_central(central)
        written, _full = export(central, 1, url)  # the next export, beside the bad file
        assert written == ["c1-0002-incr-00001.json"]
        wait_for("the changes", lambda: same_products(central, till), loop, log)
        wait_for("two more rounds", lambda: log.read_text().count("nothing new") >= 3, loop,
                 log)
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(CEILING) == 0
    finally:
        if loop.poll() is None:
            loop.kill()
        server.close_all()
        till.engine.dispose()
    said = log.read_text()
    assert "Importing the new files of ftp://127.0.0.1:" in said and "secret123" not in said
    assert "every 1 s" in said and "page(s) applied" in said
    assert said.count("skipped c1-9000-incr-00001.json: not a signed page file") == 1  # once
    assert said.rstrip().endswith("Import loop stopped.")


def test_ctrl_c_stops_the_loop_and_an_unreachable_target_is_said_and_retried(
        central, tmp_path):
    till = file_till(central, tmp_path)
    log = tmp_path / "loop.log"
    loop = start_loop(till, None, log)  # the target from POS_AUTONOMOUS_IMPORT_SOURCE
    try:
        wait_for("two failed rounds", lambda: log.read_text().count(
            "import failed (next try in 1 s): cannot reach the FTP server") >= 2, loop, log)
        loop.send_signal(signal.SIGINT)
        assert loop.wait(CEILING) == 0
    finally:
        if loop.poll() is None:
            loop.kill()
        till.engine.dispose()
    assert "Traceback" not in log.read_text() and "secret123" not in log.read_text()
    assert log.read_text().rstrip().endswith("Import loop stopped.")


def test_a_signed_page_that_cannot_be_applied_is_skipped_and_the_others_apply(
        central, tmp_path):
    till = file_till(central, tmp_path)
    location = tmp_path / "exports"
    request_full_import(till)
    written, _full = export(central, 1, str(location))
    broken = files.signed_page(signing_key(central, 1), 1, {
        "request": json.loads(json.loads((location / written[0]).read_text())["page"])[
            "request"], "answer": {"tables": {"point_of_sale.product": {"rows": "nonsense"}}}})
    (location / "c1-0000-full-00001.json").write_bytes(broken)  # listed before the good one
    said = []

    def rounds_said():
        return [line for line in said if line.endswith(("applied", "nothing new"))]
    imports.import_loop(till, str(location), 1, say=said.append,
                        should_stop=lambda: len(rounds_said()) >= 3, sleep=lambda _s: None)
    assert same_products(central, till)
    skipped = [line for line in said if line.startswith("skipped")]
    assert len(skipped) == 1 and "c1-0000-full-00001.json: it cannot be applied" in skipped[0]
    first, *others = rounds_said()
    assert first.endswith(f"{len(written)} page(s) applied") and len(others) == 2
    assert all(line.endswith("nothing new") for line in others)
    till.engine.dispose()


def test_loop_needs_files_and_the_central_is_refused(central, tmp_path):
    refused = core("--db", central.url, "autonomous", "import", "--full", "--loop", check=False)
    assert refused.returncode == 1 and "--loop imports files" in refused.stderr
    not_a_till = core("--db", central.url, "autonomous", "import", "--from", str(tmp_path),
                      "--loop", check=False)
    assert not_a_till.returncode == 1 and "not an autonomous till" in not_a_till.stderr
    too_short = core("--db", central.url, "autonomous", "import", "--from", str(tmp_path),
                     "--loop", "--interval", "0", check=False)
    assert too_short.returncode == 2 and "--interval" in too_short.stderr
