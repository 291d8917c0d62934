"""Exports as files: a folder and a real FTP server on loopback (pyftpdlib), full then
incremental, imported by a till; Test connection downloads test.txt."""
import threading
from decimal import Decimal

import pytest
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

from addons.point_of_sale import Partner, PosConfig, Product, journal_events
from addons.pos_autonomous.central.exports import export, run_export
from addons.pos_autonomous.central.package import make_package
from addons.pos_autonomous.files import test_connection as try_target
from addons.pos_autonomous.till.imports import import_from
from addons.pos_autonomous.till.install import init_till
from addons.pos_autonomous.till.synchroniser import request_full_import
from core.addons import AddonCatalog
from core.errors import CoreError
from core.instance import Instance
from tests.pos_autonomous.till_helpers import table_digest
from tests.support import post_form, signed_in_client, text_of
from tests.support import testing_app as built_app


def start_ftp(folder, port=0):
    """A real FTP server on 127.0.0.1 (user till / secret123) serving `folder`, on `port` (0:
    any); return it (`close_all()` stops it) and its URL."""
    authorizer = DummyAuthorizer()
    authorizer.add_user("till", "secret123", str(folder), perm="elradfmw")
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer,
                                               "passive_ports": range(60000, 60200)})
    server = FTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.1},
                              daemon=True)
    thread.start()
    return server, f"ftp://till:secret123@127.0.0.1:{server.socket.getsockname()[1]}/"


@pytest.fixture
def ftp_folder(tmp_path):
    """A real FTP server serving a folder; (the folder, its URL)."""
    folder = tmp_path / "ftp"
    folder.mkdir()
    server, url = start_ftp(folder)
    yield folder, url
    server.close_all()


def file_till(central, tmp_path):
    """A till of config 1 made from its package; it will import from files."""
    built_app(central)  # the central's app attaches change tracking
    package = tmp_path / "till.package"
    make_package(central, 1, package, "http://127.0.0.1:9")  # no HTTP in these tests
    instance = Instance(f"sqlite:///{tmp_path / 'till.db'}", AddonCatalog())
    init_till(instance, package)
    return instance


@pytest.fixture
def till(central, tmp_path):
    instance = file_till(central, tmp_path)
    yield instance
    instance.engine.dispose()


def assert_same(central, till):
    for table, where in ((Product.__table__, None), (Partner.__table__, None),
                         (PosConfig.__table__, PosConfig.__table__.c.id == 1)):
        assert table_digest(till.engine, table, where) == table_digest(central.engine, table,
                                                                       where)


def change_central(central):
    with central.engine.begin() as connection:
        connection.execute(Product.__table__.update().where(Product.id == 1)
                           .values(price=Decimal("7.70")))
        connection.execute(Product.__table__.delete().where(Product.id == 5))
        connection.execute(Partner.__table__.insert().values(name="Filed"))


@pytest.mark.parametrize("kind", ["folder", "ftp"])
def test_full_then_incremental_exports_reach_a_till(kind, central, till, tmp_path, ftp_folder):
    location = str(tmp_path / "exports") if kind == "folder" else ftp_folder[1]
    written, full = export(central, 1, location)
    assert full and written[0].startswith("c1-0001-full-")
    request_full_import(till)
    assert import_from(till, location) == len(written)
    assert_same(central, till)
    change_central(central)
    written, full = export(central, 1, location)
    assert not full and written[0].startswith("c1-0002-incr-")
    assert import_from(till, location) == len(written)
    assert_same(central, till)
    with pytest.raises(CoreError, match="no exported page"):
        import_from(till, location)  # nothing new: said so, nothing applied twice


def test_test_connection_downloads_test_txt(tmp_path, ftp_folder):
    folder, url = ftp_folder
    with pytest.raises(CoreError, match="has no test.txt: create it there by hand"):
        try_target(url)
    (folder / "test.txt").write_text("hello")
    assert try_target(url) == 5
    with pytest.raises(CoreError, match="refused"):
        try_target(url.replace("secret123", "wrong"))
    with pytest.raises(CoreError, match="cannot reach"):
        try_target("ftp://till:secret123@127.0.0.1:9/")
    with pytest.raises(CoreError, match="is not a folder"):
        try_target(str(tmp_path / "missing"))


def test_the_admin_test_connection_button(central, ftp_folder):
    folder, url = ftp_folder
    (folder / "test.txt").write_text("ok")
    app = built_app(central)
    client = signed_in_client(app, central)
    answer = post_form(client, "/web/pos_autonomous/test-connection", {"location": url},
                       page="/web/pos_autonomous/", follow_redirects=True)
    assert "Connection works: test.txt downloaded (2 bytes)." in text_of(answer)
    assert "<title>Autonomous tills" in text_of(answer)  # the page's title is only its title
    assert text_of(answer).count("Files (folder or FTP)") == 1
    answer = post_form(client, "/web/pos_autonomous/test-connection",
                       {"location": url.replace("secret123", "nope")},
                       page="/web/pos_autonomous/", follow_redirects=True)
    assert "Connection failed: the FTP server" in text_of(answer)


def test_a_full_export_is_imported_into_a_till_database_alone(central, till, tmp_path):
    """`--full` writes a full export even after earlier ones; the till's tables then equal the
    central's, changes made after its package included."""
    change_central(central)
    location = str(tmp_path / "exports")
    export(central, 1, location, full=True)
    request_full_import(till)
    import_from(till, location)
    assert_same(central, till)


# -- signed page files (issue #22 item 2) ---------------------------------------------------------

def test_a_hand_made_page_file_is_refused_naming_it_and_nothing_is_applied(central, till,
                                                                         tmp_path):
    """A page dropped in the export folder made a till apply a changed price and a cashier
    account `intruder` with the writer's password: every page file is now signed by the
    central instance and verified by the till before it applies anything."""
    import json
    folder = tmp_path / "export"
    export(central, 1, str(folder), full=True)
    request_full_import(till)
    import_from(till, str(folder))
    change_central(central)
    export(central, 1, str(folder))  # a genuine incremental export, not applied yet
    digest_before = table_digest(till.engine, Product.__table__, None)
    genuine = sorted(p.name for p in folder.iterdir() if "-incr-" in p.name)
    assert genuine
    last = json.loads((folder / genuine[-1]).read_text())
    page = json.loads(last["page"])
    forged = dict(page)
    forged["answer"] = dict(page["answer"], cashiers={"digest": "x", "accounts": [
        {"login": "intruder", "password_hash": "scrypt:forged", "role": "admin"}]})
    cases = {
        "unsigned": json.dumps(forged).encode(),
        "re-signed with another key": files_signed_with_another_key(forged),
        "signature of the genuine page on a changed one": json.dumps(
            {**last, "page": json.dumps(forged)}).encode(),
    }
    for case, data in cases.items():
        name = "c1-9999-incr-00001.json"
        (folder / name).write_bytes(data)
        with pytest.raises(CoreError) as refused:
            import_from(till, str(folder))
        assert name in str(refused.value), case
        assert table_digest(till.engine, Product.__table__, None) == digest_before, case
        with till.engine.connect() as connection:
            assert "intruder" not in {row[0] for row in connection.exec_driver_sql(
                "SELECT login FROM core_user")}, case
        (folder / name).unlink()
    import_from(till, str(folder))  # the genuine pages apply once the forged one is gone
    assert_same(central, till)


def files_signed_with_another_key(page):
    from addons.pos_autonomous import files
    return files.signed_page(files.new_signing_key(), 1, {
        "request": page["request"], "answer": {k: v for k, v in page["answer"].items()
                                               if k != "cashiers"}})


def test_a_page_file_never_carries_credentials(central, tmp_path):
    from addons.pos_autonomous import files
    with pytest.raises(CoreError, match="credentials"):
        files.signed_page(files.new_signing_key(), 1, {"request": {}, "answer": {
            "cashiers": {"accounts": []}}})
    folder = tmp_path / "export"
    export(central, 1, str(folder), full=True)
    for path in folder.iterdir():
        assert b"password_hash" not in path.read_bytes()


def test_exports_and_failed_exports_are_journaled(central, tmp_path):
    """The journal of technical events records each export that wrote files and each failure,
    with its target; the loop's turns with nothing new are not events."""
    location = str(tmp_path / "exports")
    written, full = run_export(central, 1, location)
    run_export(central, 1, location, skip_unchanged=True)  # nothing changed: no file, no event
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(CoreError):
        run_export(central, 1, str(blocked / "exports"))
    with central.engine.connect() as connection:
        events = journal_events(connection, config_id=1, kinds=("export", "export_failed"))
    assert [e["kind"] for e in events] == ["export", "export_failed"]
    assert events[0]["details"]["files"] == len(written)
    assert events[0]["details"]["full"] is full
    assert events[0]["details"]["target"].endswith("exports")
    assert events[1]["details"]["error"]
