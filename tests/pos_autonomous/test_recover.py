"""`core autonomous recover` (#24 item 4) after each kind of restore, on real instances: the
central under `core serve` (PostgreSQL in the PostgreSQL run), a till made by `package` and
`init`, its synchroniser and the recovery run as the real `core` commands.

* an older copy of the whole till (database and high-water mark) put back: the tickets it had
  pushed since are lost there; the central's answer raises the mark, the till stops selling,
  recovery takes them back;
* the database alone restored: tickets sold after the last push are lost for good; the mark
  beside it stops the till, recovery journals and skips their numbers on both sides;
* the last tickets deleted (and the head moved back): both at once.

Each time the till then sells again after the highest number ever issued (never one again),
the central stores its next ticket through the synchroniser, and both chains verify."""
import shutil
import sqlite3
import time

import pytest
from sqlalchemy import create_engine, select, text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.receive import open_alarms
from addons.pos_autonomous.till import high_water
from core.addons import AddonCatalog
from core.instance import Instance
from core.web.users import set_password
from tests.pos_autonomous.till_helpers import core, till_state
from tests.pos_autonomous.up_helpers import central_entries, order, sell
from tests.support import bearer_header, post_form, signed_in_client, tamper, text_of
from tests.support import testing_app as built_app

pytestmark = pytest.mark.timeout(300)


def sync(till_url):
    return core("--db", till_url, "autonomous", "sync", "--once")


def file_of(till_url):
    return till_url.split("///", 1)[1]


def copy_database(source, target):
    """An SQLite backup, as a shop's backup tool takes one."""
    source, target = sqlite3.connect(source), sqlite3.connect(target)
    source.backup(target)
    source.close(), target.close()


def try_to_sell(till_url):
    """One sale through the till's own POS route (as its POS page sends it): its result."""
    till = Instance(till_url, AddonCatalog())
    try:
        with till.engine.begin() as connection:
            session_id = point_of_sale.open_session(connection, 1)
        response = built_app(till).test_client().post(
            "/pos/orders", json=[order(session_id)], headers=bearer_header(till, 1))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["results"][0]
    finally:
        till.engine.dispose()


def recover(till_url):
    return core("--db", till_url, "autonomous", "recover").stdout


def recover_from_the_admin(till_url):
    """Recover on the till's admin page, as its manager: the button, then the page following
    the recovery (its JSON) until it is done; the lines and the result on the page."""
    till = Instance(till_url, AddonCatalog())
    try:
        with till.engine.begin() as connection:
            set_password(connection, "manager", "password123")
        client = signed_in_client(built_app(till), till)
        page = text_of(client.get("/web/pos_autonomous/"))
        assert "Not selling: this till's database ends at ticket" in page
        assert 'id="recover-form"' in page
        answer = post_form(client, "/web/pos_autonomous/recover",
                           page="/web/pos_autonomous/")
        assert answer.status_code == 303
        for _ in range(1200):
            run = client.get("/web/pos_autonomous/recovery").get_json()
            if not run["running"]:
                break
            time.sleep(0.1)
        assert run["error"] is None and not run["running"], run
        page = text_of(client.get("/web/pos_autonomous/"))
        assert "Recovered: " + run["result"] in page
        assert all(line in page for line in run["lines"])
        assert 'id="recover-form"' not in page and "Not selling" not in page
        return "\n".join(run["lines"])
    finally:
        till.engine.dispose()


def chain_of(url):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            check = point_of_sale.verify_chain(connection, 1)
            numbers = [entry["number"] for entry in point_of_sale.ledger_entries(
                connection, 1, 0, 1000)]
        return check, numbers
    finally:
        engine.dispose()


def alarms(central):
    with central.engine.connect() as connection:
        return {(a.kind, a.first_number): a.message for a in open_alarms(connection)}


def sells_again_after(central, till_url, highest):
    """The till sells ticket highest + 1, the synchroniser pushes it, both chains verify."""
    sold = try_to_sell(till_url)
    assert (sold["status"], sold["number"]) == ("created", highest + 1), sold
    sync(till_url)
    assert central_entries(central)[-1] == (highest + 1, sold["uuid"])
    for url in (till_url, central.url):
        check, _numbers = chain_of(url)
        assert check.ok, (url, check.reason)
    assert till_state(till_url)["state"] == "ok"


def test_an_older_copy_of_the_whole_till_is_recovered_from_the_central(central, make_till,
                                                                       tmp_path):
    till_url = make_till(1)
    till = create_engine(till_url)
    try:
        sell(till, 3)
        sync(till_url)
        copy_database(file_of(till_url), tmp_path / "copy.db")  # the machine's backup: the
        mark = file_of(till_url) + high_water.SUFFIX  # database and the mark beside it
        shutil.copy(mark, tmp_path / "copy.high-water")
        sell(till, 2)
        sync(till_url)  # tickets 4 and 5 acknowledged
        till.dispose()
        copy_database(tmp_path / "copy.db", file_of(till_url))
        shutil.copy(tmp_path / "copy.high-water", mark)  # the whole machine put back
        sync(till_url)  # the central's answer: it holds up to 5; the till stops selling
        refused = try_to_sell(till_url)
        assert refused["error"]["code"] == "database_behind"
        assert refused["error"]["message"].startswith(
            "this till's database ends at ticket 3 but tickets up to 5 were sold here")
        assert ("head_back", 4) in alarms(central)
        said = recover(till_url)
        assert "config 1: took back tickets 4 to 5 of 5" in said
        assert ("config 1: took back tickets 4 to 5 from the central instance; the chain is "
                "intact up to ticket 5 and the till sells again from ticket 6") in said
        assert chain_of(till_url)[1] == [1, 2, 3, 4, 5]
        sells_again_after(central, till_url, 5)
    finally:
        till.dispose()


def test_the_database_alone_restored_skips_the_unpushed_tickets_lost(central, make_till,
                                                                     tmp_path):
    till_url = make_till(1)
    till = create_engine(till_url)
    try:
        sell(till, 3)
        sync(till_url)
        copy_database(file_of(till_url), tmp_path / "copy.db")
        sell(till, 2)  # 4 and 5: printed, never pushed
        with till.connect() as connection:
            lost_link = point_of_sale.ledger_head(connection, 1)[1]
            assert high_water.read(connection, 1)["number"] == 5  # written at the commit
        till.dispose()
        copy_database(tmp_path / "copy.db", file_of(till_url))  # the database alone
        refused = try_to_sell(till_url)
        assert refused["error"]["code"] == "database_behind"
        assert (f"ends at ticket 3 but tickets up to 5 (last printed short link "
                f"{lost_link[:10]}) were sold here") in refused["error"]["message"]
        said = recover_from_the_admin(till_url)  # a manager of the till, on its admin page
        assert (f"config 1: tickets 4 to 5 were issued here and lost (the last one's short "
                f"link {lost_link[:10]}): skipping their numbers on both sides") in said
        assert ("config 1: nothing to take back; tickets 4 to 5 were lost (journaled; their "
                "numbers are never given again); the chain is intact up to ticket 5 and the "
                "till sells again from ticket 6") in said
        with till.connect() as connection:
            kinds = [(e["kind"], e["details"]) for e in point_of_sale.journal_events(
                connection, kinds=["ledger_lost_range", "ledger_recovered"])]
        assert ("ledger_lost_range", {"first": 4, "last": 5, "last_short_link": lost_link[:10],
                                      "last_link": lost_link}) in kinds
        assert ("ledger_recovered", {"head": 5, "taken_back": None, "lost": [4, 5]}) in kinds
        message = alarms(central)[("lost_range", 4)]
        assert message.startswith("till ") and "tickets 4 to 5 were issued there (the last " \
            f"one's short link {lost_link[:10]}) and lost before they reached this server" \
            in message
        sells_again_after(central, till_url, 5)
        check, numbers = chain_of(central.url)
        assert numbers == [1, 2, 3, 6] and "numbers 4 to 5 skipped" in check.reason
    finally:
        till.dispose()


def test_the_last_tickets_deleted_are_taken_back_or_skipped(central, make_till):
    till_url = make_till(1)
    till = create_engine(till_url)
    try:
        sell(till, 5)
        sync(till_url)
        sell(till, 2)  # 6 and 7, not pushed
        with tamper(till) as connection:  # tickets 4 to 7 deleted, the head moved back to 3
            uuids = [row.uuid for row in connection.execute(text(
                "SELECT uuid FROM point_of_sale_ledger_entry WHERE number > 3"))]
            orders = select(point_of_sale.Order.id).where(point_of_sale.Order.uuid.in_(uuids))
            for table in (point_of_sale.Payment, point_of_sale.OrderLine):
                connection.execute(table.__table__.delete().where(
                    table.__table__.c.order_id.in_(orders)))
            connection.execute(point_of_sale.Order.__table__.delete().where(
                point_of_sale.Order.uuid.in_(uuids)))
            connection.execute(text("DELETE FROM point_of_sale_ledger_entry WHERE number > 3"))
            connection.execute(text(
                "UPDATE point_of_sale_ledger_head SET number = 3, link = (SELECT link FROM "
                "point_of_sale_ledger_entry WHERE number = 3)"))
        till.dispose()
        assert try_to_sell(till_url)["error"]["code"] == "database_behind"
        said = recover(till_url)
        assert ("config 1: took back tickets 4 to 5 from the central instance; tickets 6 to 7 "
                "were lost (journaled; their numbers are never given again); the chain is "
                "intact up to ticket 7 and the till sells again from ticket 8") in said
        assert chain_of(till_url)[1] == [1, 2, 3, 4, 5]
        sells_again_after(central, till_url, 7)
        assert chain_of(central.url)[1] == [1, 2, 3, 4, 5, 8]
    finally:
        till.dispose()


def test_recover_on_a_till_that_lost_nothing_changes_nothing(central, make_till):
    till_url = make_till(1)
    till = create_engine(till_url)
    try:
        sell(till, 2)
        sync(till_url)
    finally:
        till.dispose()
    said = recover(till_url)
    assert ("config 1: nothing to take back; the chain is intact up to ticket 2 and the till "
            "sells again from ticket 3") in said
    sells_again_after(central, till_url, 2)
