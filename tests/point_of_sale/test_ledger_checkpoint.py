"""A server checks its own chains from a verified checkpoint (what was sealed since, plus the
checkpoint's own ticket), from ticket 1 at a slower cadence or when its guards were lowered; what
it finds is an alarm on its own side naming the first ticket that differs."""
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import text

from addons.point_of_sale import ledger_alarms, ledger_entries, push_orders, receive_sealed_entries
from addons.point_of_sale.ledger_check import checkpoint_of, self_check, verify_from_checkpoint
from addons.point_of_sale.ledger_guard import drop_seal_guards, unsealed
from addons.point_of_sale.sessions import open_session
from core.cli import cli
from tests.support import installed_instance, tamper

DAY = timedelta(days=1)


def sell(instance, count, start=0):
    with instance.engine.begin() as connection:
        session = connection.scalar(text(
            "SELECT id FROM point_of_sale_session WHERE config_id = 1 AND state = 'opened'")) \
            or open_session(connection, 1)
        return push_orders(connection, [{
            "uuid": f"o{start + i}", "session_id": session, "created_at": "2026-11-22T10:15:00Z",
            "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
            "payments": [{"method": "cash", "amount": 5}]} for i in range(count)])


def verify(instance, full=False):
    with instance.engine.begin() as connection:
        return verify_from_checkpoint(connection, 1, full)


def edit_payment_of(instance, number):
    with tamper(instance.engine) as connection:
        connection.execute(text(
            "UPDATE point_of_sale_payment SET amount = 50 WHERE order_id = (SELECT o.id FROM "
            "point_of_sale_order o JOIN point_of_sale_ledger_entry e ON e.uuid = o.uuid "
            "WHERE e.number = :n AND e.config_id = 1)"), {"n": number})


def passes(instance, full_every=DAY):
    with instance.engine.begin() as connection:
        return self_check(connection, full_every)


def alarms(instance):
    with instance.engine.connect() as connection:
        return [(a["kind"], a["number"], a["side"], a["message"]) for a in ledger_alarms(connection)]


def test_a_check_from_the_checkpoint_reads_only_what_was_sealed_since(addon_instance):
    sell(addon_instance, 5)
    first = verify(addon_instance)
    assert (first.ok, first.start, first.checked, first.reason) == (
        True, 1, 5, "5 tickets, chain intact")
    sell(addon_instance, 3, start=5)
    second = verify(addon_instance)
    assert (second.ok, second.start, second.checked) == (True, 6, 8)
    assert "tickets 6 to 8 checked now" in second.reason
    with addon_instance.engine.connect() as connection:
        assert checkpoint_of(connection, 1)["number"] == 8
    edit_payment_of(addon_instance, 2)  # before the checkpoint: only a full check reads it
    assert verify(addon_instance).ok
    full = verify(addon_instance, full=True)
    assert (full.ok, full.first_broken) == (False, 2)
    assert "edited in the database" in full.reason
    # The checkpoint went back before the break: the next check from it finds it again.
    assert (verify(addon_instance).ok, verify(addon_instance).first_broken) == (False, 2)


def test_the_checkpoints_own_ticket_is_checked_again_each_time(addon_instance):
    sell(addon_instance, 4)
    assert verify(addon_instance).ok
    edit_payment_of(addon_instance, 4)
    check = verify(addon_instance)
    assert (check.ok, check.first_broken) == (False, 4)
    assert "ticket 4: the order o3 differs from what was sealed" in check.reason


def test_an_edit_in_the_centrals_database_is_alarmed_as_its_own_within_one_pass(
        addon_instance, other_db_url):
    """Tickets a till sealed, stored on the central; then an edit in the central's database."""
    sell(addon_instance, 4)
    with addon_instance.engine.connect() as connection:
        entries = ledger_entries(connection, 1)
    central = installed_instance(other_db_url, ["point_of_sale"])
    try:
        with central.engine.begin() as connection:
            assert {r["status"] for r in receive_sealed_entries(connection, 1, entries[:2])} == \
                {"stored"}
        assert passes(central)[1].ok  # the first pass is full: checkpoint at 2
        with central.engine.begin() as connection:
            receive_sealed_entries(connection, 1, entries[2:])
        edit_payment_of(central, 3)  # stored after the checkpoint
        result = passes(central)[1]
        assert (result.ok, result.first_broken, result.start) == (False, 3, 3)
        [(kind, number, side, message)] = alarms(central)
        assert (kind, number, side) == ("chain_broken", 3, "local")
        assert message == ("in this server's own database: ticket 3: the order o2 differs from "
                           "what was sealed (edited in the database)")
        passes(central)  # the same alarm counts up at the next pass, it does not pile up
        with central.engine.connect() as connection:
            [alarm] = ledger_alarms(connection)
        assert alarm["count"] == 2
    finally:
        central.engine.dispose()


def test_an_older_edit_is_found_at_the_full_cadence(addon_instance):
    sell(addon_instance, 6)
    assert passes(addon_instance)[1].ok
    edit_payment_of(addon_instance, 2)
    assert passes(addon_instance)[1].ok  # from the checkpoint (6): not read yet
    assert passes(addon_instance, full_every=timedelta(0))[1].first_broken == 2
    assert alarms(addon_instance)[0][:3] == ("chain_broken", 2, "local")


def test_guards_lowered_make_the_next_pass_full_and_are_alarmed(addon_instance):
    sell(addon_instance, 3)
    assert passes(addon_instance)[1].ok
    with addon_instance.engine.begin() as connection:
        with unsealed(connection, "migration 0042: prices in cents"):
            connection.execute(text("UPDATE point_of_sale_payment SET amount = 7 WHERE id = 1"))
    result = passes(addon_instance)[1]
    assert (result.start, result.first_broken) == (1, 1)
    found = {kind: message for kind, _number, _side, message in alarms(addon_instance)}
    assert "'migration 0042: prices in cents'" in found["unsealed"]
    assert found["chain_broken"].startswith("in this server's own database: ticket 1:")
    with addon_instance.engine.begin() as connection:
        drop_seal_guards(connection)
    passes(addon_instance)
    found = {kind: message for kind, _number, _side, message in alarms(addon_instance)}
    assert "the triggers refusing changes to sealed rows are gone from this server's " \
           "database (point_of_sale_order, " in found["guards_missing"]


def test_core_pos_verify_from_the_checkpoint_and_full(addon_instance):
    sell(addon_instance, 3)
    env = {"CORE_ADDONS_PATH": str(addon_instance.catalog.get("point_of_sale").path.parent)}
    runner = CliRunner(env=env)

    def run(*args):
        return runner.invoke(cli, ["--db", addon_instance.url, "pos", *args])
    assert run("verify", "1").output.splitlines()[0] == "Shop: OK, 3 tickets, chain intact"
    sell(addon_instance, 2, start=3)
    assert run("verify", "1").output.splitlines()[0] == (
        "Shop: OK, 5 tickets, chain intact (tickets 4 to 5 checked now, 1 to 3 verified "
        "before: --full checks them again)")
    edit_payment_of(addon_instance, 1)
    assert run("verify", "1").exit_code == 0
    full = run("verify", "1", "--full")
    assert full.exit_code == 1 and "BROKEN at ticket 1" in full.output
    watched = run("watch", "--once", "--full-every", "1")
    assert watched.exit_code == 1 and "config 1: BROKEN at ticket 1" in watched.output
