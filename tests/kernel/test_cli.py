"""The `core` command, as an integrator types it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import cli

CORE = str(Path(sys.executable).with_name("core"))


@pytest.fixture
def run(db_url):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, ["--db", db_url, *args], input=input)
    return invoke


def test_install_then_list_then_info(run, db_url):
    result = run("install", "child_thing")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "installing base_thing", "installing child_thing", "Installed: base_thing, child_thing."]
    listing = run("list").output.splitlines()
    assert any(line.split()[:3] == ["child_thing", "installed", "1.0.0"] for line in listing)
    assert any(line.split()[:2] == ["other_thing", "available"] for line in listing)
    info = json.loads(run("info", "--json").output)
    assert info["installed"] == {"base_thing": "1.0.0", "child_thing": "1.0.0"}
    assert info["db_name"] == ("test" if db_url.startswith("sqlite") else db_url.rsplit("/", 1)[1])


def test_installing_twice_says_there_is_nothing_to_do(run):
    run("install", "base_thing")
    result = run("install", "base_thing")
    assert result.exit_code == 0
    assert result.output == "Nothing to do: base_thing already installed.\n"


def test_install_of_an_unknown_addon_is_one_line_listing_the_available_ones(run):
    result = run("install", "nope")
    assert result.exit_code == 1
    assert result.output == ("Error: no addon named 'nope'; available addons: auto_bridge, "
                             "base_thing, broken_migration, child_thing, other_thing\n")


def test_uninstall_asks_first_and_does_nothing_when_refused(run):
    run("install", "child_thing")
    result = run("uninstall", "base_thing", input="n\n")
    assert result.exit_code == 1
    assert "This drops the tables and settings of: child_thing, base_thing." in result.output
    assert "cancelled; nothing was uninstalled" in result.output
    assert "child_thing" in json.loads(run("info", "--json").output)["installed"]


def test_uninstall_yes_cascades(run):
    run("install", "child_thing", "other_thing")
    result = run("uninstall", "--yes", "base_thing")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Uninstalled: child_thing, auto_bridge, base_thing."
    assert json.loads(run("info", "--json").output)["installed"] == {"other_thing": "0.1.0"}


def test_a_failed_install_exits_non_zero_with_the_error(run):
    result = run("install", "broken_migration")
    assert result.exit_code == 1
    assert "Error: install of 'broken_migration' failed and was rolled back" in result.output
    assert "Traceback" not in result.output


def test_param_set_get_list(run):
    assert run("param", "set", "core.max_request_bytes", "4096").output == \
        "core.max_request_bytes = 4096\n"
    assert run("param", "get", "core.max_request_bytes").output == "4096\n"
    listing = run("param", "list").output
    assert "core.max_request_bytes = 4096" in listing
    assert "core.secret_key = (hidden)" in listing


def test_setting_a_secret_does_not_print_it(run):
    result = run("param", "set", "core.secret_key", "a-new-secret-nobody-should-see")
    assert result.exit_code == 0
    assert result.output == "core.secret_key = (hidden)\n"
    assert run("param", "get", "core.secret_key").output == "a-new-secret-nobody-should-see\n"


@pytest.mark.parametrize("args, message", [
    (("param", "set", "core.max_request_bytes", "big"), "'big' is not a whole number"),
    (("param", "get", "core.nope"), "unknown system parameter 'core.nope'"),
])
def test_param_errors_are_one_line(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.splitlines()) == 1


def test_user_add_refuses_a_short_password(run):
    result = run("user", "add", "admin", "--password", "short")
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output
    assert run("user", "add", "admin", "--password", "long enough").output == "Created admin.\n"


def test_upgrade_with_nothing_new(run):
    run("install", "base_thing")
    assert run("upgrade").output == "Everything is up to date.\n"


def test_check_passes_for_the_test_addons(run):
    run("install", "child_thing")
    result = run("check")
    assert result.exit_code == 0
    assert result.output == "Schema matches the models of every installed addon.\n"


def test_serve_refuses_several_workers_on_sqlite(tmp_path):
    CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/x.db", "init"])
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path}/x.db", "serve",
                                      "--workers", "2"])
    assert result.exit_code == 1
    assert "--workers > 1 needs PostgreSQL" in result.output


def test_the_console_script_uses_core_db_and_exits_1_on_error(tmp_path):
    env = {**os.environ, "CORE_DB": f"sqlite:///{tmp_path}/shop.db"}
    done = subprocess.run([CORE, "install", "nope"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: no addon named 'nope'")
    info = subprocess.run([CORE, "info"], env=env, capture_output=True, text=True, timeout=60)
    assert "db_name:      shop" in info.stdout


def test_an_addon_command_not_installed_names_the_database_and_the_addon(run, db_url):
    run("init")
    result = run("other-hello", "ann")
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("Error: no command 'other-hello': no addon installed in the "
                              "database ")
    assert "(installed: none). The addon other_thing provides it: core install other_thing." \
        in message
    run("install", "other_thing")
    assert run("other-hello", "ann").output == "hello ann from other_thing\n"


def test_a_command_on_a_missing_sqlite_file_says_so_and_creates_nothing(tmp_path):
    (tmp_path / "demo.db").write_bytes(b"")  # where `make demo` leaves its database
    env = {k: v for k, v in os.environ.items() if k != "CORE_DB"}
    for args, start in [(["other-hello", "ann"], "Error: no command 'other-hello': the database "
                                                 "sqlite:///core.db does not exist"),
                        (["info"], "Error: the database sqlite:///core.db does not exist")]:
        done = subprocess.run([CORE, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 1
        assert done.stderr.startswith(start), done.stderr
        assert "The demo's database (make demo) is demo.db: add --db sqlite:///demo.db" \
            in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "core.db").exists()


def test_default_database_is_core_db_in_the_current_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CORE_DB"}
    done = subprocess.run([CORE, "init"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "core.db").exists()


def test_install_all_installs_every_addon_that_can_be_installed(run):
    result = run("install", "--all")
    # The install stops at the first failure; what was installed before it stays installed.
    assert result.exit_code == 1
    assert "install of 'broken_migration' failed" in result.output
    installed = json.loads(run("info", "--json").output)["installed"]
    assert set(installed) == {"auto_bridge", "base_thing", "other_thing"}


def test_install_without_addons_says_how_to_name_them(run):
    result = run("install")
    assert result.exit_code == 1
    assert "name the addons to install" in result.output


@pytest.mark.parametrize("url, message", [
    ("not a url", "'not a url' is not a database URL"),
    ("mysql://root@127.0.0.1/test", "unsupported database 'mysql'"),
    ("sqlite:////no/such/folder/x.db", "the database sqlite:////no/such/folder/x.db does not exist"),
])
def test_a_bad_database_url_is_one_clear_line(url, message):
    result = CliRunner().invoke(cli, ["--db", url, "info"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.splitlines()) == 1


def test_serve_says_when_the_port_is_taken(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        subprocess.run([CORE, "--db", f"sqlite:///{tmp_path}/x.db", "init"], check=True,
                       capture_output=True, timeout=60)
        done = subprocess.run([CORE, "--db", f"sqlite:///{tmp_path}/x.db", "serve", "--port",
                               str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"Error: cannot listen on 127.0.0.1:{port}: Address already in "
                                   f"use; pick another port with --port (make demo PORT={port + 1})")


def test_init_on_a_missing_postgresql_database_says_how_to_create_it(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server says which database is missing")
    missing = db_url.rsplit("/", 1)[0] + "/comptoir_no_such_database"
    result = CliRunner().invoke(cli, ["--db", missing, "init"])
    assert result.exit_code == 1
    assert 'database "comptoir_no_such_database" does not exist' in result.output
    assert "createdb" in result.output and result.output.rstrip().endswith(
        "comptoir_no_such_database, then run this command again.")
    assert len(result.output.splitlines()) == 1


def test_the_createdb_hint_names_the_server_and_the_database():
    from core.cli import createdb_hint
    from core.instance import Instance
    instance = Instance("postgresql://pos@db.example:5433/shop")
    hint = createdb_hint('FATAL:  database "shop" does not exist', (instance,))
    assert "createdb -h db.example -p 5433 -U pos shop" in hint
    assert createdb_hint("FATAL:  password authentication failed", (instance,)) == ""
