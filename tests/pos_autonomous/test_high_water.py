"""The till's high-water mark (#24 item 4): a file beside its database follows each sale, written
at the sale's commit; a database behind it (its last tickets lost to a restore from an older
copy) refuses to sell, in words on the POS page's answer, and the synchroniser journals the lost
range once."""
import sqlite3

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.till import high_water
from core.web.users import set_password
from tests.pos_autonomous.up_helpers import order
from tests.support import bearer_header, signed_in_client, text_of
from tests.support import testing_app as built_app


def push_on_the_till(till, client, session_id):
    response = client.post("/pos/orders", json=[order(session_id)],
                           headers=bearer_header(till, 1))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"][0]


def test_a_database_behind_its_high_water_mark_refuses_to_sell_and_journals_the_loss(
        central, till, tmp_path):
    with till.engine.begin() as connection:
        session_id = point_of_sale.open_session(connection, 1)
    client = built_app(till).test_client()
    assert push_on_the_till(till, client, session_id)["number"] == 1
    till_file = till.url.split("///", 1)[1]
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(till_file), sqlite3.connect(copy)
    source.backup(target)  # the backup, after ticket 1
    source.close(), target.close()
    last = [push_on_the_till(till, client, session_id) for _ in range(2)][-1]
    with till.engine.connect() as connection:
        assert high_water.read(connection, 1)["number"] == 3
    till.engine.dispose()
    source, target = sqlite3.connect(copy), sqlite3.connect(till_file)
    source.backup(target)  # restored: tickets 2 and 3 are gone from the database, not the file
    source.close(), target.close()
    refused = push_on_the_till(till, client, session_id)
    assert refused["status"] == "rejected"
    assert refused["error"] == {"code": "database_behind", "message": (
        "this till's database ends at ticket 1 but tickets up to 3 (last printed short link "
        f"{last['link'][:10]}) were sold here: it was restored from an older copy or tickets "
        "were deleted. It sells no more until it is recovered (core autonomous recover, or "
        "Recover on this till's admin page: docs/ledger.md); the orders waiting on the POS "
        "page are kept")}
    with till.engine.begin() as connection:
        set_password(connection, "manager", "password123")
    page = text_of(signed_in_client(built_app(till), till).get("/web/pos_autonomous/"))
    assert "Not selling: this till's database ends at ticket 1 but tickets up to 3" in page
    with till.engine.begin() as connection:
        gap = high_water.behind(connection, 1)
        assert high_water.journal_lost_range(connection, 1, gap) is True
        assert high_water.journal_lost_range(connection, 1, gap) is False  # once
        [event] = point_of_sale.journal_events(connection, kinds=["ledger_lost_range"])
    assert event["details"] == {"first": 2, "last": 3, "last_short_link": last["link"][:10],
                                "last_link": last["link"]}


def test_the_mark_is_written_at_the_sales_commit_in_any_process(central, till):
    """Not after the POS page's answer: a sale sealed by any code on the till's database (here
    point_of_sale's push_orders in a plain transaction) moves the file before its commit, a
    transaction rolled back leaves it as it was, and nothing moves it on the central."""
    from tests.pos_autonomous.up_helpers import sell
    sell(till.engine, 2)
    with till.engine.connect() as connection:
        mark = high_water.read(connection, 1)
        assert (mark["number"], mark["link"]) == point_of_sale.ledger_head(connection, 1)
    try:
        with till.engine.begin() as connection:
            session_id = point_of_sale.open_session(connection, 1)
            point_of_sale.push_orders(connection, [order(session_id)], allowed_config_id=1)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    with till.engine.connect() as connection:
        assert high_water.read(connection, 1)["number"] == 2
        path = high_water.path_of(connection)
    assert path.exists() and not list(path.parent.glob(path.name + ".*.tmp"))
    sell(till.engine, 1)
    with till.engine.connect() as connection:
        assert high_water.read(connection, 1)["number"] == 3
    sell(central.engine, 1, config_id=2)
    with central.engine.connect() as connection:
        central_file = high_water.path_of(connection)
    assert central_file is None or not central_file.exists()


def test_an_older_single_config_file_is_read(till):
    with till.engine.connect() as connection:
        path = high_water.path_of(connection)
        path.write_text('{"config_id": 1, "number": 4, "link": "%s", "at": "x"}' % ("c" * 64))
        assert high_water.behind(connection, 1) == {"head": 0, "mark": 4, "link": "c" * 64}
        assert high_water.read(connection, 2) is None


def test_nothing_else_is_sealed_on_a_database_behind_its_mark(central, till, tmp_path):
    """A closing (or anything but a sale, which is refused earlier in words) sealed on a
    database behind its mark would give a number already issued: refused at its commit, rolled
    back; the synchroniser's periodic closings say so and go on."""
    from tests.pos_autonomous.up_helpers import close, sell
    sell(till.engine, 3)
    till_file = till.url.split("///", 1)[1]
    source, target = sqlite3.connect(till_file), sqlite3.connect(tmp_path / "copy.db")
    source.backup(target)
    source.close(), target.close()
    sell(till.engine, 2)
    till.engine.dispose()
    source, target = sqlite3.connect(tmp_path / "copy.db"), sqlite3.connect(till_file)
    source.backup(target)  # restored: ends at ticket 3, the mark says 5
    source.close(), target.close()
    try:
        close(till.engine)
    except high_water.DatabaseBehind as refused:
        assert str(refused) == (
            "refused: tickets up to 5 of config 1 were already issued on this till and its "
            "database is behind them (restored from an older copy, or tickets deleted): "
            "nothing is sealed here until it is recovered (core autonomous recover, or "
            "Recover on this till's admin page: docs/ledger.md)")
    else:
        raise AssertionError("a closing was sealed under a number already issued")
    with till.engine.connect() as connection:
        assert point_of_sale.ledger_head(connection, 1)[0] == 3  # rolled back
        assert point_of_sale.current_session(connection, 1) is not None  # still open
        assert high_water.read(connection, 1)["number"] == 5
