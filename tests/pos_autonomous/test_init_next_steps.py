"""`core autonomous init` ends by saying the exact commands that serve and synchronise the
database it just made: run as printed, from another folder, they work."""
import shlex
import subprocess

from tests.pos_autonomous.till_helpers import FAST_SYNC, core, set_parameters
from tests.support import (
    BUILT_IN_ADDONS_ONLY,
    CORE_COMMAND,
    start_core_server,
    stop_process_group,
)


def test_init_says_the_exact_serve_and_sync_commands_of_its_database(
        central, central_server, tmp_path):
    package = tmp_path / "till.package"
    core("--db", central.url, "autonomous", "package", "1", "-o", str(package), "--server",
         central_server.url)
    shop = tmp_path / "shop folder"  # a space in the path: the commands quote it
    shop.mkdir()
    made = subprocess.run([CORE_COMMAND, "--db", "sqlite:///till.db", "autonomous", "init",
                           str(package)], cwd=shop, env=BUILT_IN_ADDONS_ONLY, capture_output=True,
                          text=True, timeout=120, check=True)
    database = f"sqlite:///{shop / 'till.db'}"
    lines = made.stdout.splitlines()
    assert lines[0] == (f"Till 1 (POS config 1) is ready; it synchronises with "
                        f"{central_server.url}.")
    serve, sync = (line.strip() for line in lines if line.startswith("  core "))
    assert shlex.split(serve) == ["core", "--db", database, "serve"]
    assert shlex.split(sync) == ["core", "--db", database, "autonomous", "sync"]
    assert "http://127.0.0.1:8069/pos/ui/1" in lines[-1]

    set_parameters(database, FAST_SYNC)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    synced = subprocess.run([CORE_COMMAND, *shlex.split(sync)[1:], "--once"], cwd=elsewhere,
                            env=BUILT_IN_ADDONS_ONLY, capture_output=True, text=True,
                            timeout=120)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "synchronised" in synced.stdout
    server = start_core_server(shlex.split(serve)[2], tmp_path, env=BUILT_IN_ADDONS_ONLY)
    try:  # it answers (start_core_server waited for it) from the database init made
        assert server.process.poll() is None and "till.db" in shlex.split(serve)[2]
    finally:
        stop_process_group(server.process)


def test_a_shops_next_steps_name_the_page_of_each_config(tmp_path):
    from types import SimpleNamespace

    from addons.pos_autonomous.till.install import next_steps
    lines = next_steps("sqlite:///shop.db", SimpleNamespace(
        till_id=4, server_url="https://central.example.com"), [1, 3])
    assert lines[0] == ("Till 4 (POS configs 1, 3) is ready; it synchronises with "
                        "https://central.example.com.")
    assert "http://127.0.0.1:8069/pos/ui/1 http://127.0.0.1:8069/pos/ui/3" in lines[-1]
