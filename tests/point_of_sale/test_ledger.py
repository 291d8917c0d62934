"""The ticket ledger: canonical form and links as rules, sealing through the order push, the
chain re-checked after the database was tampered with, `core pos verify`, and the central side
of an autonomous till's push (`receive_sealed_entries`)."""
import json
import uuid as uuid_module
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from addons.point_of_sale import (
    ZERO_LINK,
    canonical_form,
    chain_link,
    ledger_entries,
    ledger_head,
    push_orders,
    receive_sealed_entries,
    verify_chain,
)
from addons.point_of_sale.ledger_form import TIME
from core.cli import cli
from core.times import utc_iso
from tests.support import installed_instance, tamper


def an_order(session, **changes):
    order = {"uuid": str(uuid_module.uuid4()), "session_id": session,
             "created_at": "2026-11-22T10:15:00Z",
             "lines": [{"product_id": 1, "qty": 2, "price_unit": "1.80"},
                       {"product_id": 16, "qty": 1, "price_unit": "1.60"}],
             "payments": [{"method": "cash", "amount": 10}]}
    order.update(changes)
    return order


def sell(instance, session, count):
    """Push `count` orders one push each; return their results."""
    results = []
    for _ in range(count):
        with instance.engine.begin() as connection:
            results += push_orders(connection, [an_order(session)])
    return results


def check(instance, config_id=1):
    with instance.engine.connect() as connection:
        return verify_chain(connection, config_id)


def execute(instance, sql, **params):
    """Someone with write access changes the database (the triggers out of the way)."""
    with tamper(instance.engine) as connection:
        connection.execute(text(sql), params)


# -- rules -------------------------------------------------------------------------------------

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
RECORDS = st.dictionaries(st.text(max_size=6), st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8), max_size=6)


@given(RECORDS)
def test_the_canonical_form_does_not_depend_on_key_order(record):
    reversed_record = dict(reversed(list(record.items())))
    assert canonical_form("order", record) == canonical_form("order", reversed_record)
    assert b" " not in canonical_form("order", {"a": 1, "b": [1, 2]})


@given(RECORDS, st.text(min_size=1, max_size=6), st.text(max_size=8))
def test_any_changed_value_changes_the_link(record, key, value):
    changed = {**record, key: value}
    if changed == record:
        return
    assert chain_link(ZERO_LINK, canonical_form("order", record)) != \
        chain_link(ZERO_LINK, canonical_form("order", changed))


def standard_form(kind, record):
    """The canonical bytes as first defined, which every stored link was computed over."""
    return json.dumps({"kind": kind, "record": record}, sort_keys=True,
                      separators=(",", ":")).encode("ascii")


@given(RECORDS)
def test_the_canonical_form_keeps_the_bytes_links_were_computed_over(record):
    assert canonical_form("order", record) == standard_form("order", record)


@pytest.mark.parametrize("text", ["Caf\u00e9 cr\u00e8me", "del \x7f", "tab\tnul\x00\x1f", "\U0001f950",
                                  "lone \ud800", "quote \" back \\ slash /"])
def test_the_canonical_form_escapes_as_it_always_did(text):
    record = {"label": text, "big": 2**70, "lines": [{"qty": "1.000", "n": -2**63}]}
    assert canonical_form("order", record) == standard_form("order", record)


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 7, 16, 3), datetime(2026, 12, 7, 16, 3, 0, 5, tzinfo=timezone.utc),
    datetime(2026, 12, 7, 18, 3, 1, 999999, tzinfo=timezone(timedelta(hours=2))),
    datetime(999, 1, 2, 3, 4, 5), datetime(1, 1, 1, 0, 0), datetime(9999, 12, 31, 23, 59, 59)])
def test_a_sealed_time_is_written_as_it_always_was(moment):
    assert TIME[0](moment) == utc_iso(moment, zulu=True, exact=True)


def test_the_kind_is_part_of_what_is_hashed():
    assert canonical_form("order", {"uuid": "a"}) != canonical_form("closing", {"uuid": "a"})


def test_a_link_is_sha256_of_the_previous_links_bytes_and_the_canonical_form():
    import hashlib
    canonical = canonical_form("order", {"uuid": "a", "amount_total": "1.00"})
    assert canonical == b'{"kind":"order","record":{"amount_total":"1.00","uuid":"a"}}'
    first = chain_link(ZERO_LINK, canonical)
    assert first == hashlib.sha256(bytes(32) + canonical).hexdigest()
    assert chain_link(first, canonical) == hashlib.sha256(bytes.fromhex(first) + canonical)\
        .hexdigest()


def test_floats_are_refused_in_a_canonical_record():
    with pytest.raises(TypeError):
        canonical_form("order", {"lines": [{"qty": 1.5}]})
    with pytest.raises(ValueError):
        canonical_form("invoice", {})


# -- sealing where the order is stored ---------------------------------------------------------

def test_pushed_orders_are_numbered_and_chained_in_one_sequence_per_config(addon_instance,
                                                                          shop_session):
    from addons.point_of_sale.sessions import open_session
    with addon_instance.engine.begin() as connection:
        bar_session = open_session(connection, 2)
        results = push_orders(connection, [an_order(shop_session), an_order(bar_session),
                                           an_order(shop_session)])
    assert [(r["status"], r["number"]) for r in results] == [
        ("created", 1), ("created", 1), ("created", 2)]
    with addon_instance.engine.connect() as connection:
        entries = ledger_entries(connection, 1, 0, 10)
        assert ledger_head(connection, 1) == (2, results[2]["link"])
        assert ledger_head(connection, 3) == (0, ZERO_LINK)
    assert [e["uuid"] for e in entries] == [results[0]["uuid"], results[2]["uuid"]]
    assert entries[0]["previous_link"] == ZERO_LINK
    assert entries[1]["previous_link"] == entries[0]["link"] == results[0]["link"]
    record = entries[0]["record"]
    assert record["amount_total"] == "5.65" and record["session"] == "Shop/00001"
    assert record["lines"][0] == {"product_id": 1, "qty": "2.000", "price_unit": "1.80",
                                  "discount": "0.00", "price_subtotal": "3.60",
                                  "price_subtotal_incl": "3.96", "tax_rate": "10.00",
                                  "label": "Espresso"}
    assert "cashier" not in record  # left out while empty (tickets sealed before it keep links)
    assert record["software_version"] and record["sealed_at"].endswith("Z")
    assert chain_link(ZERO_LINK, canonical_form("order", record)) == entries[0]["link"]
    assert check(addon_instance) == check(addon_instance)
    assert check(addon_instance).ok and check(addon_instance).checked == 2


def test_a_rejected_order_takes_no_number(addon_instance, shop_session):
    with addon_instance.engine.begin() as connection:
        results = push_orders(connection, [
            an_order(shop_session), an_order(shop_session, payments=[]), an_order(shop_session)])
    assert [r.get("number") for r in results] == [1, None, 2]


def test_a_rolled_back_push_gives_its_numbers_back(addon_instance, shop_session):
    with pytest.raises(RuntimeError), addon_instance.engine.begin() as connection:
        push_orders(connection, [an_order(shop_session)])
        raise RuntimeError("the connection dropped before the commit")
    [result] = sell(addon_instance, shop_session, 1)
    assert result["number"] == 1


# -- tampering: the first broken link is named --------------------------------------------------

def test_verify_names_an_edited_order(addon_instance, shop_session):
    results = sell(addon_instance, shop_session, 4)
    execute(addon_instance, "UPDATE point_of_sale_order_line SET qty = 1 WHERE order_id = :id",
            id=results[2]["order_id"])
    result = check(addon_instance)
    assert (result.ok, result.first_broken, result.checked) == (False, 3, 2)
    assert "edited" in result.reason


def test_verify_names_a_deleted_order(addon_instance, shop_session):
    results = sell(addon_instance, shop_session, 3)
    execute(addon_instance, "DELETE FROM point_of_sale_order WHERE id = :id",
            id=results[1]["order_id"])
    result = check(addon_instance)
    assert (result.first_broken, "deleted" in result.reason) == (2, True)


def test_verify_names_the_first_of_two_swapped_numbers(addon_instance, shop_session):
    sell(addon_instance, shop_session, 4)
    execute(addon_instance, "UPDATE point_of_sale_ledger_entry SET number = -2 "
                            "WHERE number = 2 AND config_id = 1")
    execute(addon_instance, "UPDATE point_of_sale_ledger_entry SET number = 2 "
                            "WHERE number = 3 AND config_id = 1")
    execute(addon_instance, "UPDATE point_of_sale_ledger_entry SET number = 3 "
                            "WHERE number = -2 AND config_id = 1")
    result = check(addon_instance)
    assert (result.first_broken, "does not follow" in result.reason) == (2, True)


def test_verify_names_a_removed_entry_and_a_removed_last_one(addon_instance, shop_session):
    sell(addon_instance, shop_session, 3)
    execute(addon_instance, "DELETE FROM point_of_sale_ledger_entry WHERE number = 3")
    assert check(addon_instance).first_broken == 3
    execute(addon_instance, "DELETE FROM point_of_sale_ledger_entry WHERE number = 1")
    assert (check(addon_instance).first_broken, "missing" in check(addon_instance).reason) == (
        1, True)


def test_core_pos_verify_prints_the_verdict_and_fails_on_a_broken_chain(addon_instance,
                                                                         shop_session):
    results = sell(addon_instance, shop_session, 2)
    # The command builds its own instance; point it at the built-in addons.
    env = {"CORE_ADDONS_PATH": str(addon_instance.catalog.get("point_of_sale").path.parent)}
    runner = CliRunner(env=env)
    ok = runner.invoke(cli, ["--db", addon_instance.url, "pos", "verify", "1"])
    assert (ok.exit_code, ok.output.strip()) == (
        0, "Shop: OK, 2 tickets, chain intact\nJournal: OK, 1 events, chain intact")
    execute(addon_instance, "UPDATE point_of_sale_payment SET method = 'card' WHERE order_id = :id",
            id=results[1]["order_id"])
    broken = runner.invoke(cli, ["--db", addon_instance.url, "pos", "verify", "1"])
    assert broken.exit_code == 1
    assert "BROKEN at ticket 2" in broken.output and "1 tickets before it" in broken.output
    closed = runner.invoke(cli, ["--db", addon_instance.url, "pos", "close", "1",
                                 "--counted-cash", "4.5"])
    assert closed.exit_code == 0, closed.output
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT counted_cash FROM point_of_sale_closing")) == \
            Decimal("4.50")
    unknown = runner.invoke(cli, ["--db", addon_instance.url, "pos", "verify", "99"])
    assert unknown.exit_code == 1 and "no POS config with id 99" in unknown.output


# -- the central side of an autonomous till's push ---------------------------------------------

@pytest.fixture
def central(other_db_url):
    instance = installed_instance(other_db_url, ["point_of_sale"])
    yield instance
    instance.engine.dispose()


def receive(instance, entries, config_id=1):
    with instance.engine.begin() as connection:
        return receive_sealed_entries(connection, config_id, entries)


def entries_of(instance, after=0, limit=100):
    with instance.engine.connect() as connection:
        return ledger_entries(connection, 1, after, limit)


def statuses(results):
    return [r["status"] for r in results]


def test_the_central_side_stores_a_tills_tickets_once_with_their_numbers_and_links(
        addon_instance, shop_session, central):
    sell(addon_instance, shop_session, 3)
    entries = entries_of(addon_instance)
    assert statuses(receive(central, entries[:2])) == ["stored", "stored"]
    assert statuses(receive(central, entries)) == ["duplicate", "duplicate", "stored"]
    assert entries_of(central) == entries
    assert check(central).ok and check(central).checked == 3
    with central.engine.connect() as connection:
        state = connection.scalar(text("SELECT state FROM point_of_sale_session "
                                       "WHERE name = 'Shop/00001'"))
    assert state == "opened"


def test_the_central_side_refuses_gaps_broken_links_and_conflicts(addon_instance, shop_session,
                                                                  central):
    sell(addon_instance, shop_session, 3)
    one, two, three = entries_of(addon_instance)
    assert statuses(receive(central, [two, three])) == ["gap", "not_applied"]
    edited = {**one, "record": {**one["record"], "amount_total": "0.01"}}
    [result] = receive(central, [edited])
    assert result["status"] == "broken" and "altered" in result["reason"]
    unlinked = {**one, "previous_link": "1" * 64}
    assert statuses(receive(central, [unlinked])) == ["broken"]
    # A value the columns cannot hold (PostgreSQL says so; SQLite stores it, then the link
    # does not match): refused either way, never a server error.
    too_long = {**one, "record": {**one["record"], "reference": "x" * 100,
                                  "amount_total": "12345678901234.00"}}
    assert statuses(receive(central, [too_long])) in (["invalid"], ["broken"])
    assert check(central).checked == 0 and entries_of(central) == []
    assert statuses(receive(central, [one])) == ["stored"]
    assert statuses(receive(central, [{**one, "link": "2" * 64}])) == ["conflict"]
    assert statuses(receive(central, [{**two, "uuid": one["uuid"],
                                       "record": {**two["record"], "uuid": one["uuid"]}}])) == [
        "conflict"]
    other = {**two, "uuid": "another", "record": {**two["record"], "uuid": "another"}}
    assert statuses(receive(central, [{**other, "number": 1}])) == ["conflict"]
    assert statuses(receive(central, [two, three])) == ["stored", "stored"]
    assert check(central).ok and check(central).checked == 3


def test_a_bad_ticket_in_a_run_leaves_the_ones_before_it_stored(addon_instance, shop_session,
                                                                central):
    """A run of new orders is stored at once; when one of them cannot be stored, the run goes
    entry by entry: those before it are stored with their links, it is refused, the rest wait."""
    sell(addon_instance, shop_session, 5)
    entries = entries_of(addon_instance)
    fourth = entries[3]
    entries[3] = {**fourth, "record": {**fourth["record"], "lines": [
        {**fourth["record"]["lines"][0], "product_id": 999}]}}
    results = receive(central, entries)
    assert statuses(results) == ["stored", "stored", "stored", "invalid", "not_applied"]
    assert "product" in results[3]["reason"]
    assert entries_of(central) == entries_of(addon_instance)[:3]
    assert check(central).ok and check(central).checked == 3
    assert statuses(receive(central, entries_of(addon_instance))) == [
        "duplicate", "duplicate", "duplicate", "stored", "stored"]
    assert check(central).ok and check(central).checked == 5


MALFORMED = [
    (lambda e: 7, "must be an object"),
    (lambda e: {**e, "kind": "invoice"}, "kind"),
    (lambda e: {**e, "number": True}, "number"),
    (lambda e: {**e, "link": "ZZ"}, "hex"),
    (lambda e: {**e, "record": []}, "record"),
    (lambda e: {**e, "record": {**e["record"], "config_id": 2}}, "config 2"),
    (lambda e: {**e, "record": {**e["record"], "amount_total": 5.65}}, "amount_total"),
    (lambda e: {**e, "record": {**e["record"], "surprise": 1}}, "unknown fields"),
    (lambda e: {**e, "record": {**e["record"], "lines": [{**e["record"]["lines"][0],
                                                          "product_id": 999}]}}, "product"),
]


def test_the_central_side_answers_a_malformed_entry_invalid_and_stores_nothing(
        addon_instance, shop_session, central):
    sell(addon_instance, shop_session, 2)
    one, two = entries_of(addon_instance)
    for mangle, words in MALFORMED:
        results = receive(central, [mangle(one), two])
        assert statuses(results) == ["invalid", "not_applied"], words
        assert words in results[0]["reason"]
        assert entries_of(central) == []
    with central.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM point_of_sale_order")) == 0


def test_a_refund_is_sealed_with_what_it_refunds_and_reaches_the_central_side(
        addon_instance, shop_session, central):
    sale = an_order(shop_session)
    refund = an_order(shop_session, refunded_order_uuid=sale["uuid"], lines=[
        {"product_id": 16, "qty": "-1", "price_unit": "1.60", "refunded_line_index": 1}],
        payments=[{"method": "cash", "amount": "-1.69"}])
    with addon_instance.engine.begin() as connection:
        results = push_orders(connection, [sale])
        results += push_orders(connection, [refund])
    assert [(r["status"], r.get("number")) for r in results] == [("created", 1), ("created", 2)], \
        results
    entries = entries_of(addon_instance)
    record = entries[1]["record"]
    assert record["refunded_order_uuid"] == sale["uuid"]
    assert record["lines"][0]["refunded_line_index"] == 1 and record["lines"][0]["qty"] == "-1.000"
    assert "refunded_order_uuid" not in entries[0]["record"]
    assert statuses(receive(central, entries)) == ["stored", "stored"]
    assert entries_of(central) == entries and check(central).ok
    with central.engine.connect() as connection:
        refunded = connection.execute(text(
            "SELECT o.refunded_order_id, l.refunded_line_id FROM point_of_sale_order o JOIN "
            "point_of_sale_order_line l ON l.order_id = o.id WHERE o.uuid = :u"),
            {"u": refund["uuid"]}).one()
        sale_lines = connection.execute(text(
            "SELECT o.id, l.id FROM point_of_sale_order o JOIN point_of_sale_order_line l ON "
            "l.order_id = o.id WHERE o.uuid = :u ORDER BY l.id"), {"u": sale["uuid"]}).all()
    assert tuple(refunded) == (sale_lines[1][0], sale_lines[1][1])
    # A refund of an order the central server never received is refused, not half-stored.
    lost = {**entries[1], "number": 3, "previous_link": entries[1]["link"], "uuid": "lost",
            "record": {**record, "uuid": "lost", "refunded_order_uuid": "unknown"}}
    [result] = receive(central, [lost])
    assert result["status"] == "invalid" and "does not have" in result["reason"]


def test_orders_stored_before_the_ledger_stay_unnumbered_and_are_counted(addon_instance,
                                                                         shop_session):
    """What migration 3c5e7a9b1d20 leaves: older orders without a number (simulated by deleting
    an order's entry before anything else was sealed); the chain starts after them."""
    [old] = sell(addon_instance, shop_session, 1)
    execute(addon_instance, "DELETE FROM point_of_sale_ledger_entry")
    execute(addon_instance, "DELETE FROM point_of_sale_ledger_head")
    [new] = sell(addon_instance, shop_session, 1)
    assert new["number"] == 1
    result = check(addon_instance)
    assert (result.ok, result.checked, result.unsealed) == (True, 1, 1)
    with addon_instance.engine.begin() as connection:
        [again] = push_orders(connection, [an_order(shop_session, uuid=old["uuid"])])
    assert (again["status"], again["number"], again["link"]) == ("duplicate", None, None)


def test_the_ledger_migration_leaves_older_orders_unnumbered_and_keeps_their_tax_rate(
        addon_instance, shop_session):
    """Also: the later migrations that alter the orders table keep every line (on SQLite a
    table is altered by copying it, and its drop cascaded to the lines before core.db.migrating
    turned foreign keys off for migrations)."""
    from alembic import command

    from core.db import migrating
    from core.schema import alembic_config
    with migrating(addon_instance.engine) as connection:  # back to before the ledger
        command.downgrade(alembic_config(addon_instance.catalog, connection), "5c1e0a7d2b44")
        order_id = connection.execute(text(
            "INSERT INTO point_of_sale_order (uuid, reference, session_id, created_at, "
            "received_at, amount_untaxed, amount_tax, amount_total, amount_paid, amount_return) "
            "VALUES ('before', 'B1', :s, :t, :t, 1.80, 0.18, 1.98, 2, 0.02) RETURNING id"),
            {"s": shop_session, "t": "2026-11-20 10:00:00"}).scalar()
        connection.execute(text(
            "INSERT INTO point_of_sale_order_line (order_id, product_id, qty, price_unit, "
            "discount, price_subtotal, price_subtotal_incl) VALUES (:o, 1, 1, 1.80, 0, 1.80, "
            "1.98)"), {"o": order_id})
    addon_instance.upgrade()
    with addon_instance.engine.connect() as connection:
        assert connection.scalar(text("SELECT tax_rate FROM point_of_sale_order_line")) == \
            Decimal("10.00")
        assert connection.scalar(text("SELECT count(*) FROM point_of_sale_order_line "
                                      "WHERE order_id = :o"), {"o": order_id}) == 1
    [new] = sell(addon_instance, shop_session, 1)
    assert new["number"] == 1
    result = check(addon_instance)
    assert (result.ok, result.checked, result.unsealed) == (True, 1, 1)


def test_no_code_edits_or_deletes_a_stored_ticket():
    """The README's promise, checked in the sources: no addon updates or deletes orders, their
    lines and payments, closings or ledger entries (a correction is a new ticket; uninstalling
    drops whole tables)."""
    import re
    from pathlib import Path

    import addons
    models = r"(Order|OrderLine|Payment|Closing|LedgerEntry)"
    tables = r"point_of_sale_(order|order_line|payment|closing|ledger_entry)\b"
    pattern = re.compile(
        rf"\b(update|delete)\(\s*{models}\b|\b{models}\.__table__\.(update|delete)\("
        rf"|\b(UPDATE|DELETE\s+FROM)\s+{tables}", re.IGNORECASE)
    root = Path(addons.__file__).parent
    offenders = [f"{path.relative_to(root)}:{number}: {line.strip()}"
                 for path in sorted(root.rglob("*.py")) if "migrations" not in path.parts
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def test_an_orders_detail_carries_its_ticket_for_a_reprint(admin_client, addon_instance,
                                                          shop_session):
    [sold] = sell(addon_instance, shop_session, 1)
    detail = admin_client.get(f"/pos/config/1/orders/{sold['uuid']}").get_json()
    assert detail["ticket"] == {"number": 1, "link": sold["link"]}
