"""Fiscal archives (#25 item 3): one signed ZIP per config and period, verified without a
database; a one-byte change anywhere is caught and named; each archive is journaled."""
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from addons.point_of_sale import journal_events
from addons.point_of_sale.archive import (
    make_archive,
    private_key,
    public_hex,
    public_pem,
    verify_archive,
)
from core.cli import cli
from tests.point_of_sale.test_periodic_closings import CROISSANT, run, sell

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def year(addon_instance):
    """Config 1 sold on 30 and 31 December 2026 and 1 January 2027; closings made."""
    from addons.point_of_sale.sessions import open_session
    with addon_instance.engine.begin() as connection:
        open_session(connection, 1)
    sell(addon_instance, "2026-12-30T12:00:00Z")
    sell(addon_instance, "2026-12-31T12:00:00Z", lines=CROISSANT,
         payments=[{"method": "card", "amount": "1.69"}])
    sell(addon_instance, "2027-01-01T12:00:00Z")
    run(addon_instance, "2027-01-02T12:00:00Z")
    return addon_instance


def archive_of(instance, period="2026", config_id=1):
    with instance.engine.begin() as connection:
        key = private_key(instance.parameters(connection, instance.plugin_manager()))
        data, manifest = make_archive(connection, config_id, period, PARIS, 4, key, "test")
    return data, manifest, key


def rezipped(data, name, change):
    """The archive with part `name` replaced by change(its bytes), everything else as is."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            target.writestr(item, change(content) if item == name else content)
    return out.getvalue()


def one_byte_changed(content, needle):
    at = content.index(needle)
    return content[:at] + (b"9" if content[at:at + 1] != b"9" else b"8") + content[at + 1:]


def test_a_year_archive_holds_its_tickets_closings_and_journal_signed(year):
    data, manifest, key = archive_of(year)
    ok, lines = verify_archive(data)
    assert ok, lines
    assert lines[-1].startswith("OK: Shop 2026, 2 tickets, 8 closings, ")
    assert "ticket chain: 2 tickets, links recomputed" in lines
    parts = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(parts.namelist()) == sorted([
        "manifest.json", "manifest.sig", "public_key.pem", "README.txt", "tickets.json",
        "tickets.csv", "closings.json", "closings.csv", "journal.json", "journal.csv"])
    for name, expected in manifest["files"].items():
        assert hashlib.sha256(parts.read(name)).hexdigest() == expected["sha256"]
    tickets = parts.read("tickets.csv").decode().splitlines()
    assert tickets[0].startswith("number,kind,uuid,reference")
    assert [row.split(",")[8] for row in tickets[1:]] == ["3.96", "1.69"]
    closings = json.loads(parts.read("closings.json"))
    assert [(c["kind"], c["details"]["period"], c["config_id"]) for c in closings] == [
        ("daily_closing", "2026-12-30", 1), ("daily_closing", "2026-12-31", 1),
        ("monthly_closing", "2026-12", 1), ("yearly_closing", "2026", 1),
        ("daily_closing", "2026-12-30", None), ("daily_closing", "2026-12-31", None),
        ("monthly_closing", "2026-12", None), ("yearly_closing", "2026", None)]
    assert manifest["public_key"] == public_hex(key)
    with year.engine.connect() as connection:
        [event] = journal_events(connection, kinds=["archive"])
    assert event["details"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert event["details"]["period"] == "2026" and event["config_id"] == 1


def test_a_month_archive_holds_that_month_only(year):
    data, manifest, _key = archive_of(year, "2027-01")
    ok, lines = verify_archive(data)
    assert ok, lines
    assert (manifest["tickets"]["count"], manifest["tickets"]["first"]) == (1, 3)
    assert manifest["closings"] == 2  # the 1st's daily, the config's and the shop's
    assert (manifest["from"], manifest["to"]) == ("2027-01-01T03:00:00.000000Z",
                                                  "2027-02-01T03:00:00.000000Z")


@pytest.mark.parametrize("part, needle", [
    ("tickets.csv", b"3.96"), ("tickets.json", b"3.96"), ("journal.json", b"session"),
    ("closings.csv", b"1.69"), ("README.txt", b"Ticket")])
def test_one_byte_changed_in_a_part_is_caught_and_named(year, part, needle):
    data, _manifest, _key = archive_of(year)
    ok, lines = verify_archive(rezipped(data, part, lambda c: one_byte_changed(c, needle)))
    assert not ok
    assert any(line.startswith(f"DIFFERS: {part} differs from the manifest") for line in lines)


def test_one_byte_changed_in_the_file_itself_is_caught(year):
    data, _manifest, _key = archive_of(year)
    for position in (len(data) // 3, len(data) // 2, 40):
        changed = bytearray(data)
        changed[position] ^= 0x01
        ok, lines = verify_archive(bytes(changed))
        assert not ok, position
        assert lines[-1].startswith("DIFFERS")


def test_a_changed_manifest_or_another_key_is_caught(year):
    data, manifest, key = archive_of(year)
    forged = rezipped(data, "manifest.json", lambda c: c.replace(b'"period": "2026"',
                                                                 b'"period": "2025"'))
    ok, lines = verify_archive(forged)
    assert not ok and "DIFFERS: manifest.json's signature is not valid" in lines[0]
    other = public_hex(Ed25519PrivateKey.generate())
    ok, lines = verify_archive(data, other)
    assert not ok and any("signed by another key" in line for line in lines)
    assert verify_archive(data, manifest["public_key"])[0]
    # Re-signed by a forger with another key: parts and signature agree, the key does not.
    forger = Ed25519PrivateKey.generate()
    resigned_manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    resigned_manifest["public_key"] = public_hex(forger)
    body = json.dumps(resigned_manifest).encode()
    resigned = rezipped(rezipped(data, "manifest.json", lambda c: body), "manifest.sig",
                        lambda c: forger.sign(body))
    ok, lines = verify_archive(resigned)
    assert not ok and "DIFFERS: public_key.pem is not the key the manifest names" in lines
    resigned = rezipped(resigned, "public_key.pem", lambda c: public_pem(forger))
    assert verify_archive(resigned)[0]
    assert not verify_archive(resigned, manifest["public_key"])[0]


def test_a_ticket_edited_before_archiving_does_not_give_its_link(year):
    from sqlalchemy import text

    from tests.support import tamper
    with tamper(year.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_order SET amount_total = 9.99 WHERE id = "
                                "(SELECT MIN(id) FROM point_of_sale_order)"))
    data, _manifest, _key = archive_of(year)
    ok, lines = verify_archive(data)
    assert not ok and "DIFFERS: ticket 1's record does not give its link" in lines


def test_core_pos_archive_writes_and_verifies_without_a_database(year, tmp_path):
    runner = CliRunner(env={"CORE_ADDONS_PATH": str(
        year.catalog.get("point_of_sale").path.parent)})
    target = tmp_path / "shop-2026.zip"
    made = runner.invoke(cli, ["--db", year.url, "pos", "archive", "1", "--period", "2026",
                               "-o", str(target)])
    assert made.exit_code == 0, made.output
    assert "2 tickets, 8 closings" in made.output
    key = runner.invoke(cli, ["--db", year.url, "pos", "archive", "key"]).output.strip()
    assert len(key) == 64 and key in made.output
    # No database: the module alone, as an inspector runs it.
    checked = subprocess.run([sys.executable, "-m", "addons.point_of_sale.archive",
                              str(target), "--public-key", key],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1].startswith("OK: Shop 2026")
    target.write_bytes(rezipped(target.read_bytes(), "journal.csv",
                                lambda c: one_byte_changed(c, b"session")))
    verified = runner.invoke(cli, ["--db", year.url, "pos", "archive", "verify", str(target)])
    assert verified.exit_code == 1
    assert "DIFFERS: journal.csv differs from the manifest" in verified.output
    bad = runner.invoke(cli, ["--db", year.url, "pos", "archive", "1", "--period", "26",
                              "-o", str(tmp_path / "x.zip")])
    assert bad.exit_code == 1 and "must be a year (2026) or a month" in bad.output


def test_the_admin_fiscal_page_lists_closings_and_journal_and_downloads_an_archive(year):
    from tests.support import post_form, signed_in_client
    from tests.support import testing_app as app_of
    admin = signed_in_client(app_of(year), year)
    page = admin.get("/web/pos/fiscal?config_id=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('id="closing-') == 10  # 3 dailies, a monthly, a yearly; the shop's too
    assert "2026-12" in html and "Comptoir Café" in html and "session_open" in html
    download = post_form(admin, "/web/pos/fiscal/1/archive", data={"period": "2026"},
                         page="/web/pos/fiscal?config_id=1")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="Shop-2026.zip"'
    ok, lines = verify_archive(download.get_data())
    assert ok, lines
    refused = post_form(admin, "/web/pos/fiscal/1/archive", data={"period": "last year"},
                        page="/web/pos/fiscal?config_id=1")
    assert refused.status_code == 400
    assert "must be a year (2026) or a month" in refused.get_data(as_text=True)
    assert admin.get("/web/pos/fiscal?config_id=99").status_code == 404
    assert app_of(year).test_client().get("/web/pos/fiscal").status_code == 302  # signed out


def zip_of(parts):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


def test_what_is_no_fiscal_archive_at_all_is_said_in_one_line():
    assert verify_archive(b"PK\x03\x04 not a zip") == (False, [
        "DIFFERS: the file is not a readable ZIP archive (File is not a zip file)"])
    assert verify_archive(zip_of({"manifest.json": "{}"})) == (False, [
        "DIFFERS: manifest.sig, public_key.pem missing: not a fiscal archive"])
    for manifest in ("[]", "{}", '{"public_key": 12}', '{"public_key": "zz"}', "{"):
        ok, lines = verify_archive(zip_of({"manifest.json": manifest, "manifest.sig": "",
                                           "public_key.pem": ""}))
        assert (ok, lines) == (False, [
            "DIFFERS: manifest.json is not a manifest with a public key"]), manifest


def test_a_part_missing_or_not_listed_is_named():
    from addons.point_of_sale.archive import _check_parts
    listed = {"sha256": hashlib.sha256(b"x").hexdigest(), "bytes": 1}
    contents = {"manifest.json": b"", "manifest.sig": b"", "public_key.pem": b"",
                "tickets.json": b"x", "notes.txt": b"added"}
    manifest = {"files": {"tickets.json": listed, "journal.json": listed}}
    assert _check_parts(contents, manifest) == [
        "journal.json is listed in the manifest but missing",
        "files not in the manifest: notes.txt"]


def test_a_ticket_left_out_a_changed_last_link_or_journal_is_caught(year):
    from addons.point_of_sale.archive import _check_journal, _check_tickets
    data, manifest, _key = archive_of(year)
    parts = zipfile.ZipFile(io.BytesIO(data))
    contents = {name: parts.read(name) for name in parts.namelist()}
    notes = []
    assert _check_tickets(contents, manifest, notes) == [] and _check_journal(contents, notes) == []
    tickets = json.loads(contents["tickets.json"])
    assert _check_tickets({"tickets.json": json.dumps(tickets[1:])}, manifest, []) == [
        "ticket 2 does not follow ticket 0"]
    moved = {**manifest, "tickets": {**manifest["tickets"], "last_link": "1" * 64}}
    assert _check_tickets(contents, moved, []) == ["the last ticket's link is not the manifest's"]
    events = json.loads(contents["journal.json"])
    events[-1]["kind"] = "forged"
    [problem] = _check_journal({"journal.json": json.dumps(events)}, [])
    assert problem.startswith("journal: ")
