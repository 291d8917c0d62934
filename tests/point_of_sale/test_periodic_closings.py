"""Periodic closings (#25): daily per config at the closing hour of the shop's time zone,
across midnight, month and year ends, monthly and yearly from the dailies, per establishment,
sealed in the journal; `core pos closings run|list`; the 24-hour rule of sessions."""
import json
import uuid as uuid_module
from datetime import datetime, timedelta, timezone
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from addons.point_of_sale import push_orders, verify_chain, verify_journal
from addons.point_of_sale.periodic import closings, run_closings
from addons.point_of_sale.sessions import open_session
from core.cli import cli
from tests.support import set_parameter, signed_in_client, tamper, text_of
from tests.support import testing_app as app_of

PARIS, NEW_YORK = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")
ESPRESSOS = [{"product_id": 1, "qty": 2, "price_unit": "1.80"}]  # 3.96 at 10 %
CROISSANT = [{"product_id": 16, "qty": 1, "price_unit": "1.60"}]  # 1.69 at 5.5 %


def utc(text_):
    return datetime.fromisoformat(text_.replace("Z", "+00:00"))


@pytest.fixture
def shop(addon_instance):
    with addon_instance.engine.begin() as connection:
        open_session(connection, 1)
        open_session(connection, 2)
    return addon_instance


def sell(instance, sealed_at, config_id=1, lines=ESPRESSOS, payments=None, refunds=None,
         cashier=None):
    """One order of config `config_id`'s open session, sealed (as the ledger says) at
    `sealed_at` (UTC text), sold by `cashier` (a login) if given."""
    with instance.engine.connect() as connection:
        session = connection.scalar(text("SELECT id FROM point_of_sale_session WHERE config_id "
                                         "= :c AND state = 'opened'"), {"c": config_id})
    order = {"uuid": str(uuid_module.uuid4()), "session_id": session,
             "created_at": "2026-11-22T10:15:00Z", "lines": lines,
             "payments": payments or [{"method": "cash", "amount": "10"}]}
    if refunds:
        order["refunded_order_uuid"] = refunds
    if cashier:
        order["cashier"] = cashier
    # Sealed at that time (the sealing time is part of the sealed record: set it as the ledger
    # does, not afterwards).
    with mock.patch("addons.point_of_sale.ledger_seal.utc_now", lambda: utc(sealed_at)), \
            instance.engine.begin() as connection:
        [result] = push_orders(connection, [order])
        assert result["status"] == "created", result
    return order["uuid"]


def run(instance, now, zone=PARIS, hour=4):
    with instance.engine.begin() as connection:
        return run_closings(connection, utc(now), zone, hour)


def summary(made):
    return [(c["kind"], c["details"]["period"], c["config_id"],
             c["details"].get("establishment"), c["details"]["order_count"],
             c["details"]["period_total"], c["details"]["perpetual_total"]) for c in made]


def test_a_night_past_midnight_closes_with_its_day_at_the_closing_hour(shop):
    sell(shop, "2026-12-07T21:30:00Z")  # 22:30 in Paris
    sell(shop, "2026-12-08T02:30:00Z")  # 03:30 the next morning: still the 7th's night
    sell(shop, "2026-12-08T03:30:00Z")  # 04:30: the 8th
    assert run(shop, "2026-12-08T02:59:00Z") == []  # 03:59 in Paris: the 7th is not over
    made = run(shop, "2026-12-08T03:00:00Z")
    assert summary(made) == [
        ("daily_closing", "2026-12-07", 1, None, 2, "7.92", "7.92"),
        ("daily_closing", "2026-12-07", None, "Comptoir Café", 2, "7.92", "7.92")]
    details = made[0]["details"]
    assert (details["from"], details["to"]) == ("2026-12-07T03:00:00.000000Z",
                                               "2026-12-08T03:00:00.000000Z")
    assert (details["first_number"], details["last_number"]) == (1, 2)
    assert run(shop, "2026-12-08T20:00:00Z") == []  # run again the same day: nothing more
    made = run(shop, "2026-12-09T05:00:00Z")
    assert summary(made)[0] == ("daily_closing", "2026-12-08", 1, None, 1, "3.96", "11.88")
    assert made[0]["details"]["first_number"] == 3


def test_days_missed_are_closed_one_by_one_and_days_without_sales_have_none(shop):
    sell(shop, "2026-12-01T10:00:00Z")
    sell(shop, "2026-12-03T10:00:00Z", lines=CROISSANT, payments=[
        {"method": "card", "amount": "1.69"}])
    sell(shop, "2026-12-03T11:00:00Z", config_id=2)
    made = run(shop, "2026-12-07T10:00:00Z")
    assert summary(made) == [
        ("daily_closing", "2026-12-01", 1, None, 1, "3.96", "3.96"),
        ("daily_closing", "2026-12-03", 1, None, 1, "1.69", "5.65"),
        ("daily_closing", "2026-12-03", 2, None, 1, "3.96", "3.96"),
        ("daily_closing", "2026-12-03", None, "Bar", 1, "3.96", "3.96"),
        ("daily_closing", "2026-12-01", None, "Comptoir Café", 1, "3.96", "3.96"),
        ("daily_closing", "2026-12-03", None, "Comptoir Café", 1, "1.69", "5.65")]
    second = made[1]["details"]
    assert second["totals_by_tax"] == [{"tax_rate": "5.50", "untaxed": "1.60", "tax": "0.09",
                                        "total": "1.69"}]
    assert second["totals_by_method"] == [{"method": "card", "amount": "1.69"}]
    assert made[0]["details"]["totals_by_method"] == [{"method": "cash", "amount": "3.96"}]


def test_month_and_year_ends_make_monthly_and_yearly_closings_from_the_dailies(shop):
    sale = sell(shop, "2026-12-30T12:00:00Z")
    sell(shop, "2026-12-31T22:30:00Z", lines=[{"product_id": 1, "qty": -1, "price_unit": "1.80",
                                               "refunded_line_index": 0}],
         payments=[{"method": "cash", "amount": "-1.98"}], refunds=sale)  # 23:30 on the 31st
    sell(shop, "2027-01-01T09:00:00Z")
    made = run(shop, "2027-01-01T12:00:00Z")  # the 31st closed; December and 2026 with it
    assert summary(made) == [
        ("daily_closing", "2026-12-30", 1, None, 1, "3.96", "3.96"),
        ("daily_closing", "2026-12-31", 1, None, 1, "-1.98", "1.98"),
        ("monthly_closing", "2026-12", 1, None, 2, "1.98", "1.98"),
        ("yearly_closing", "2026", 1, None, 2, "1.98", "1.98"),
        ("daily_closing", "2026-12-30", None, "Comptoir Café", 1, "3.96", "3.96"),
        ("daily_closing", "2026-12-31", None, "Comptoir Café", 1, "-1.98", "1.98"),
        ("monthly_closing", "2026-12", None, "Comptoir Café", 2, "1.98", "1.98"),
        ("yearly_closing", "2026", None, "Comptoir Café", 2, "1.98", "1.98")]
    monthly = made[2]["details"]
    assert (monthly["refund_count"], monthly["refund_total"]) == (1, "-1.98")
    assert monthly["parts"] == [made[0]["number"], made[1]["number"]]
    assert monthly["totals_by_tax"] == [{"tax_rate": "10.00", "untaxed": "1.80", "tax": "0.18",
                                         "total": "1.98"}]
    assert made[3]["details"]["parts"] == [made[2]["number"]]
    made = run(shop, "2027-02-01T04:00:00Z")  # 05:00 on 1 February: January is over
    assert summary(made) == [
        ("daily_closing", "2027-01-01", 1, None, 1, "3.96", "5.94"),
        ("monthly_closing", "2027-01", 1, None, 1, "3.96", "5.94"),
        ("daily_closing", "2027-01-01", None, "Comptoir Café", 1, "3.96", "5.94"),
        ("monthly_closing", "2027-01", None, "Comptoir Café", 1, "3.96", "5.94")]
    with shop.engine.connect() as connection:
        assert verify_journal(connection).ok
        assert verify_chain(connection, 1).ok
        assert [c["details"]["period"] for c in closings(connection, 1)] == [
            "2026-12-30", "2026-12-31", "2026-12", "2026", "2027-01-01", "2027-01"]


def test_every_closing_carries_its_totals_per_cashier_sealed(shop):
    """Dailies count each cashier's sales and refunds from the sealed tickets; months, years
    and establishments add them up; they are in the sealed details (an edit breaks the
    journal's chain)."""
    sale = sell(shop, "2026-12-30T12:00:00Z", cashier="carla")
    sell(shop, "2026-12-30T13:00:00Z", lines=CROISSANT, cashier="dave")
    sell(shop, "2026-12-30T14:00:00Z", config_id=2, cashier="carla")
    sell(shop, "2026-12-31T12:00:00Z", lines=[{"product_id": 1, "qty": -1, "price_unit": "1.80",
                                               "refunded_line_index": 0}],
         payments=[{"method": "cash", "amount": "-1.98"}], refunds=sale, cashier="dave")
    sell(shop, "2026-12-31T13:00:00Z")  # before cashiers were recorded: ""
    made = run(shop, "2027-01-01T12:00:00Z")
    by_kind = {(c["kind"], c["details"]["period"], c["config_id"]): c["details"]["by_cashier"]
               for c in made}

    def row(cashier, orders, total, refunds=0, refund_total="0.00"):
        return {"cashier": cashier, "orders": orders, "total": total, "refunds": refunds,
                "refund_total": refund_total}
    assert by_kind[("daily_closing", "2026-12-30", 1)] == [row("carla", 1, "3.96"),
                                                           row("dave", 1, "1.69")]
    assert by_kind[("daily_closing", "2026-12-31", 1)] == [row("", 1, "3.96"),
                                                           row("dave", 0, "0.00", 1, "-1.98")]
    assert by_kind[("monthly_closing", "2026-12", 1)] == by_kind[("yearly_closing", "2026", 1)] \
        == [row("", 1, "3.96"), row("carla", 1, "3.96"), row("dave", 1, "1.69", 1, "-1.98")]
    assert by_kind[("daily_closing", "2026-12-30", None)] == [row("carla", 1, "3.96"),
                                                              row("dave", 1, "1.69")]
    bar = [c for c in made if c["details"].get("establishment") == "Bar"]
    assert bar[0]["details"]["by_cashier"] == [row("carla", 1, "3.96")]
    page = text_of(signed_in_client(app_of(shop), shop).get("/web/pos/fiscal?config_id=1"))
    assert "dave: 1 orders, 1.69; 1 refunds, -1.98" in page  # the monthly's, the yearly's
    assert "carla: 1 orders, 3.96; 0 refunds, 0.00" in page
    with shop.engine.connect() as connection:
        assert verify_journal(connection).ok
    with tamper(shop.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_journal_event SET details = "
                                "replace(details, '\"carla\"', '\"mallory\"') WHERE number = "
                                ":n"), {"n": made[0]["number"]})
    with shop.engine.connect() as connection:
        assert not verify_journal(connection).ok


def test_the_shops_time_zone_decides_the_day_a_sale_falls_in(shop):
    moment = "2026-12-08T03:30:00Z"  # 04:30 in Paris (the 8th), 22:30 on the 7th in New York
    sell(shop, moment)
    paris = run(shop, "2026-12-10T12:00:00Z", PARIS, 4)
    assert paris[0]["details"]["period"] == "2026-12-08"
    assert paris[0]["details"]["time_zone"] == "Europe/Paris"


def test_the_same_sale_in_new_york_falls_on_the_day_before(shop):
    sell(shop, "2026-12-08T03:30:00Z")
    new_york = run(shop, "2026-12-10T12:00:00Z", NEW_YORK, 4)
    assert new_york[0]["details"]["period"] == "2026-12-07"
    # New York's business day of the 7th, 04:00 to 04:00 local (UTC-5 in December).
    assert (new_york[0]["details"]["from"], new_york[0]["details"]["to"]) == (
        "2026-12-07T09:00:00.000000Z", "2026-12-08T09:00:00.000000Z")


def test_a_day_that_changes_summer_time_lasts_its_23_hours(shop):
    sell(shop, "2026-03-29T00:30:00Z")  # 01:30 in Paris on the night the clocks go forward
    made = run(shop, "2026-03-30T12:00:00Z", PARIS, 0)
    assert (made[0]["details"]["period"], made[0]["details"]["from"],
            made[0]["details"]["to"]) == ("2026-03-29", "2026-03-28T23:00:00.000000Z",
                                          "2026-03-29T22:00:00.000000Z")


def test_duplicates_printed_in_a_day_are_counted_in_its_closing(shop):
    from addons.point_of_sale import record_event
    sell(shop, "2026-12-07T10:00:00Z")
    with mock.patch("addons.point_of_sale.journal.utc_now", lambda: utc("2026-12-07T11:00:00Z")), \
            shop.engine.begin() as connection:
        record_event(connection, "duplicate", 1, ticket=1, copy=1)
    made = run(shop, "2026-12-08T12:00:00Z")
    assert made[0]["details"]["duplicate_count"] == 1
    assert made[-1]["details"]["duplicate_count"] == 1  # the establishment's


def test_core_pos_closings_run_and_list(shop):
    sell(shop, "2026-12-07T10:00:00Z")
    set_parameter(shop, "point_of_sale.time_zone", "America/New_York")
    runner = CliRunner(env={"CORE_ADDONS_PATH": str(
        shop.catalog.get("point_of_sale").path.parent)})
    early = runner.invoke(cli, ["--db", shop.url, "pos", "closings", "run", "--now",
                                "2026-12-08T08:59:00Z"])
    assert (early.exit_code, early.output.strip()) == (0, "No closing is due.")
    done = runner.invoke(cli, ["--db", shop.url, "pos", "closings", "run", "--now",
                               "2026-12-08T09:00:00Z"])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert "daily   2026-12-07 config 1: 1 orders, total 3.96, perpetual 3.96, 0 refunds, " \
           "0 duplicates" in lines[0]
    assert "establishment Comptoir Café" in lines[1]
    listed = runner.invoke(cli, ["--db", shop.url, "pos", "closings", "list", "1", "--json"])
    assert listed.exit_code == 0, listed.output
    found = [json.loads(line) for line in listed.output.splitlines()]
    assert [(c["kind"], c["config_id"], c["details"]["period"]) for c in found] == [
        ("daily_closing", 1, "2026-12-07"), ("daily_closing", None, "2026-12-07")]
    assert runner.invoke(cli, ["--db", shop.url, "pos", "closings", "list", "2"]).output == ""
    bad = runner.invoke(cli, ["--db", shop.url, "pos", "closings", "run", "--now", "soon"])
    assert bad.exit_code == 1 and "not an ISO time" in bad.output
    set_parameter(shop, "point_of_sale.time_zone", "Mars/Olympus")
    wrong = runner.invoke(cli, ["--db", shop.url, "pos", "closings", "run"])
    assert wrong.exit_code == 1 and "not a time zone" in wrong.output


def test_a_session_opened_more_than_24_hours_before_a_sale_refuses_it(shop):
    with shop.engine.begin() as connection:
        opened = connection.scalar(text("SELECT opened_at FROM point_of_sale_session WHERE "
                                        "config_id = 1"))
        if isinstance(opened, str):
            opened = datetime.fromisoformat(opened)
        if opened.tzinfo is None:
            opened = opened.replace(tzinfo=timezone.utc)
        session = connection.scalar(text("SELECT id FROM point_of_sale_session WHERE "
                                         "config_id = 1"))

    def order(hours):
        moment = opened + timedelta(hours=hours)
        return {"uuid": str(uuid_module.uuid4()), "session_id": session,
                "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "lines": ESPRESSOS, "payments": [{"method": "cash", "amount": "10"}]}
    with shop.engine.begin() as connection:
        results = push_orders(connection, [order(23.9), order(24.1)])
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert results[1]["error"]["code"] == "session_too_old"
    assert "close it" in results[1]["error"]["message"]
