"""The journal of technical events (JET): events recorded where things happen (sessions, the
app starting, sign-ins, parameter changes), chained so that an edit, a deletion or a reorder in
the database is found by `verify_journal` and `core pos verify`, and shown by `core pos journal`."""
import json
import os
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from addons.point_of_sale import (
    journal_events,
    journal_head,
    record_event,
    verify_journal,
)
from addons.point_of_sale.journal import canonical_event, event_link
from addons.point_of_sale.sessions import close_session, open_session
from core.cli import cli
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    csrf_token,
    post_form,
    signed_in_client,
    tamper,
)
from tests.support import (
    testing_app as app_of,
)


def events(instance, **where):
    with instance.engine.connect() as connection:
        return journal_events(connection, **where)


def kinds(instance, **where):
    return [event["kind"] for event in events(instance, **where)]


def check(instance):
    with instance.engine.connect() as connection:
        return verify_journal(connection)


def execute(instance, sql, **params):
    """Someone with write access changes the database (the triggers out of the way)."""
    with tamper(instance.engine) as connection:
        connection.execute(text(sql), params)


def runner_for(instance):
    return CliRunner(env={"CORE_ADDONS_PATH": str(
        instance.catalog.get("point_of_sale").path.parent)})


@pytest.fixture
def journal(addon_instance):
    """Five events: a session of Shop opened and closed, then three of the tests' own."""
    with addon_instance.engine.begin() as connection:
        open_session(connection, 1)
    with addon_instance.engine.begin() as connection:
        close_session(connection, 1, counted_cash=Decimal("0"))
    with addon_instance.engine.begin() as connection:
        for index in range(3):
            record_event(connection, "test_event", 2, index=index, amount=Decimal("1.50"))
    return addon_instance


def test_each_event_is_numbered_and_chained_to_the_one_before(journal):
    found = events(journal)
    assert [e["number"] for e in found] == [1, 2, 3, 4, 5]
    assert [e["kind"] for e in found] == ["session_open", "session_close", "test_event",
                                          "test_event", "test_event"]
    previous = "0" * 64
    for event in found:
        assert event["previous_link"] == previous
        canonical = canonical_event(event["number"], event["at"], event["kind"],
                                    event["config_id"], json.dumps(event["details"]))
        assert event_link(previous, canonical) == event["link"]
        previous = event["link"]
    with journal.engine.connect() as connection:
        assert journal_head(connection) == (5, previous)
    assert found[0]["details"] == {"session": "Shop/00001"}
    assert found[1]["details"]["closing_ticket"] == 1 and found[1]["details"]["counted_cash"] \
        == "0"
    assert found[2]["details"] == {"index": 0, "amount": "1.50"}
    assert check(journal).ok and check(journal).reason == "5 events, chain intact"


def test_an_event_rolled_back_with_its_transaction_leaves_no_number_used(journal):
    with pytest.raises(RuntimeError), journal.engine.begin() as connection:
        record_event(connection, "test_event")
        raise RuntimeError("the transaction fails")
    with journal.engine.begin() as connection:
        assert record_event(connection, "test_event").number == 6
    assert check(journal).ok


def test_a_bad_kind_or_config_is_refused(journal):
    with journal.engine.begin() as connection:
        for kind in ("", "Has Capitals", "x" * 33, None):
            with pytest.raises(ValueError):
                record_event(connection, kind)
        with pytest.raises(ValueError):
            record_event(connection, "test_event", "1")
        with pytest.raises(TypeError):
            record_event(connection, "test_event", what=object())


@pytest.mark.parametrize("column, value", [
    ("details", '{"amount":"9.50","index":1}'),
    ("kind", "other_event"),
    ("at", "2020-01-01 00:00:00"),
    ("config_id", 1),
])
def test_an_edited_event_breaks_the_chain_there(journal, column, value):
    execute(journal, f"UPDATE point_of_sale_journal_event SET {column} = :value "
                     "WHERE number = 4", value=value)
    result = check(journal)
    assert (result.ok, result.first_broken, result.checked) == (False, 4, 3)
    assert "event 4" in result.reason and "edited" in result.reason


def test_a_deleted_event_and_a_deleted_last_event_are_found(journal):
    execute(journal, "DELETE FROM point_of_sale_journal_event WHERE number = 5")
    result = check(journal)
    assert (result.ok, result.first_broken) == (False, 5)
    assert "head says 5 events" in result.reason
    execute(journal, "DELETE FROM point_of_sale_journal_event WHERE number = 2")
    result = check(journal)
    assert (result.ok, result.first_broken) == (False, 2)
    assert "event 2 is missing" in result.reason


def test_two_swapped_events_are_found(journal):
    execute(journal, "UPDATE point_of_sale_journal_event SET number = -1 WHERE number = 3")
    execute(journal, "UPDATE point_of_sale_journal_event SET number = 3 WHERE number = 4")
    execute(journal, "UPDATE point_of_sale_journal_event SET number = 4 WHERE number = -1")
    result = check(journal)
    assert (result.ok, result.first_broken) == (False, 3)
    assert "does not follow" in result.reason


def test_core_pos_journal_shows_the_config_and_instance_events(journal):
    with journal.engine.begin() as connection:
        record_event(connection, "test_event", None, note="whole instance")
    runner = runner_for(journal)
    shown = runner.invoke(cli, ["--db", journal.url, "pos", "journal", "1", "--json"])
    assert shown.exit_code == 0, shown.output
    lines = [json.loads(line) for line in shown.output.splitlines()]
    # Config 1's session events and the instance's own, not config 2's.
    assert [(e["number"], e["kind"], e["config_id"]) for e in lines] == [
        (1, "session_open", 1), (2, "session_close", 1), (6, "test_event", None)]
    assert lines[2]["details"] == {"note": "whole instance"}
    words = runner.invoke(cli, ["--db", journal.url, "pos", "journal", "2", "--limit", "2"])
    assert words.exit_code == 0, words.output
    assert [line.split()[:3][::2] for line in words.output.splitlines()] == [
        ["3", "test_event"], ["4", "test_event"]]
    assert 'amount="1.50" index=0' in words.output.splitlines()[0]
    unknown = runner.invoke(cli, ["--db", journal.url, "pos", "journal", "99"])
    assert unknown.exit_code == 1 and "no POS config with id 99" in unknown.output


def test_core_pos_verify_checks_the_journal_and_journals_its_failure(journal):
    runner = runner_for(journal)
    ok = runner.invoke(cli, ["--db", journal.url, "pos", "verify", "1"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.splitlines()[1] == "Journal: OK, 5 events, chain intact"
    execute(journal, "UPDATE point_of_sale_journal_event SET details = '{}' WHERE number = 2")
    broken = runner.invoke(cli, ["--db", journal.url, "pos", "verify", "1"])
    assert broken.exit_code == 1
    assert "Shop: OK, 1 tickets, chain intact" in broken.output
    assert "Journal: BROKEN at event 2: event 2 (session_close) differs from what was sealed " \
           "(edited in the database) (1 events before it are intact)" in broken.output
    # The failure is itself journaled (after the broken event: the chain goes on from the head).
    last = events(journal)[-1]
    assert (last["kind"], last["config_id"], last["number"]) == ("verify_failed", 1, 6)
    assert "event 2" in last["details"]["journals"]["local"]


def test_the_app_starting_is_journaled_with_the_versions_and_a_change_of_version(journal):
    app_of(journal)
    app_of(journal)  # rebuilt in the same process (an addon installed...): no new start
    started = events(journal, kinds=["start", "version_change"])
    assert [e["kind"] for e in started] == ["start"]
    versions = started[0]["details"]["versions"]
    assert versions["addons"]["point_of_sale"] == journal.installed()["point_of_sale"]
    assert started[0]["details"]["pid"] == os.getpid()
    execute(journal, "UPDATE core_addon SET version = '0.9.0' WHERE name = 'point_of_sale'")
    app_of(journal)
    changed = events(journal, kinds=["version_change"])
    assert len(changed) == 1
    assert changed[0]["details"]["before"]["addons"]["point_of_sale"] == versions["addons"][
        "point_of_sale"]
    assert changed[0]["details"]["after"]["addons"]["point_of_sale"] == "0.9.0"
    app_of(journal)  # the same versions again: nothing more
    assert kinds(journal, kinds=["start", "version_change"]) == ["start", "version_change"]
    assert check(journal).ok


def test_hook_audit_event_journals_sign_in_sign_out_and_parameter_changes(journal):
    app = app_of(journal)
    visitor = app.test_client()
    token = csrf_token(visitor.get("/web/login").get_data(as_text=True))
    wrong = visitor.post("/web/login", data={"login": ADMIN_LOGIN, "password": "wrong-one",
                                             "csrf_token": token})
    assert wrong.status_code == 401
    signed = visitor.post("/web/login", data={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD,
                                              "csrf_token": token})
    assert signed.status_code == 302
    out = post_form(visitor, "/web/logout", page="/web/apps")
    assert out.status_code == 302
    audit = events(journal, kinds=["sign_in", "sign_out"])
    assert [(e["kind"], e["details"]) for e in audit] == [
        ("sign_in", {"login": ADMIN_LOGIN}), ("sign_out", {"login": ADMIN_LOGIN})]
    # A parameter changed on the admin page and with `core param set`; a secret's value hidden.
    admin = signed_in_client(app, journal)
    saved = post_form(admin, "/web/parameters/edit?debug=1", data={
        "key": "point_of_sale.token_max_age", "value": "3600"},
        page="/web/parameters/edit?debug=1&key=point_of_sale.token_max_age")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    runner = runner_for(journal)
    assert runner.invoke(cli, ["--db", journal.url, "param", "set",
                               "point_of_sale.token_key", "f" * 64]).exit_code == 0
    same = runner.invoke(cli, ["--db", journal.url, "param", "set",
                               "point_of_sale.token_max_age", "3600"])
    assert same.exit_code == 0  # unchanged: nothing journaled
    changes = [e["details"] for e in events(journal, kinds=["parameter_change"])]
    assert changes == [
        {"key": "point_of_sale.token_max_age", "before": "2592000", "after": "3600"},
        {"key": "point_of_sale.token_key", "before": "(hidden)", "after": "(hidden)"}]
    assert check(journal).ok


@pytest.mark.server
def test_a_server_started_and_stopped_journals_both(db_url, tmp_path):
    from tests.browser import PosServer, prepare_database
    database = prepare_database(db_url)
    server = PosServer(database, tmp_path).start()
    server.stop()  # SIGTERM, as systemd does
    numbers = [database.scalar("SELECT number FROM point_of_sale_journal_event WHERE kind = "
                               ":kind", kind=kind) for kind in ("start", "stop")]
    assert None not in numbers and numbers[0] < numbers[1]
    stop = json.loads(database.scalar("SELECT details FROM point_of_sale_journal_event WHERE "
                                      "kind = 'stop'"))
    start = json.loads(database.scalar("SELECT details FROM point_of_sale_journal_event WHERE "
                                       "kind = 'start'"))
    assert stop["pid"] == start["pid"]
