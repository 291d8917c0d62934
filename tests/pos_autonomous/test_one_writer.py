"""One writer per config: a config an autonomous till serves is refused sessions, sales and
closings on the central (a message naming the till); making a till's package is refused while
the central has a session of the config open (the trap of `make demo`: sessions opened on the
central, then a till for config 1); the till's chain goes on after the central's last ticket;
moving the config back is explicit and journaled."""
import pytest
from click.testing import CliRunner

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.package import make_package
from core.cli import cli
from core.errors import CoreError
from tests.pos_autonomous.up_helpers import central_entries, close, local_till, sell, token_of
from tests.support import (
    BUILT_IN_ADDONS,
    csrf_token,
    signed_in_client,
    table_row,
    text_of,
)
from tests.support import testing_app as built_app

SERVED = ("Shop is served by autonomous till 'Shop' (till {till}): {what} there, not on this "
          "server (moving a config is an explicit operation: core autonomous move)")


def test_a_config_served_by_a_till_is_refused_on_the_central_and_can_be_moved_back(
        central, tmp_path):
    sell(central.engine, 2)  # the central sold on Shop before (as make demo invites)
    with pytest.raises(CoreError) as refused:
        make_package(central, 1, tmp_path / "early.package", "http://127.0.0.1:9")
    assert str(refused.value) == (
        "Shop has session Shop/00001 open on this server: close it first (core pos close 1), "
        "then make the till's package; the till then sells after this server's last ticket")
    close(central.engine)  # ticket 3: the closing
    till = local_till(central, tmp_path)
    till_id = token_of(till).split(".")[0]  # 1 on SQLite; 2 on PostgreSQL (sequence)
    try:
        with central.engine.begin() as connection:
            assert point_of_sale.config_writer(connection, 1) == \
                f"autonomous till 'Shop' (till {till_id})"
            with pytest.raises(point_of_sale.SessionError) as opening:
                point_of_sale.open_session(connection, 1)
        assert str(opening.value) == SERVED.format(till=till_id, what="open its sessions")
        with central.engine.begin() as connection, pytest.raises(point_of_sale.SessionError):
            point_of_sale.close_session(connection, 1)
        # A sale pushed to the central for a session of Shop (one a till's tickets created).
        with central.engine.begin() as connection:
            session = connection.scalar(point_of_sale.PosSession.__table__.select()
                                        .with_only_columns(point_of_sale.PosSession.id)
                                        .where(point_of_sale.PosSession.config_id == 1))
            [rejected] = point_of_sale.push_orders(connection, [{
                "uuid": "on-the-central", "session_id": session,
                "created_at": "2026-11-22T10:15:00Z",
                "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
                "payments": [{"method": "cash", "amount": 5}]}])
        assert rejected["error"]["code"] == "config_served_elsewhere"
        assert f"served by autonomous till 'Shop' (till {till_id}): sell there" in \
            rejected["error"]["message"]
        # The till's chain goes on after the central's last ticket (3), and is accepted there.
        uuids = sell(till.engine, 2)
        with till.engine.connect() as connection:
            entries = point_of_sale.ledger_entries(connection, 1)
            assert [e["number"] for e in entries] == [4, 5]
            check = point_of_sale.verify_chain(connection, 1)
        assert check.ok and "1 to 3 were sealed by the config's previous writer" in check.reason
        with central.engine.begin() as connection:
            stored = point_of_sale.receive_sealed_entries(connection, 1, entries)
        assert [r["status"] for r in stored] == ["stored", "stored"]
        assert [u for _n, u in central_entries(central)][3:] == uuids
        # Back to the central: explicit, journaled, numbering after the last ticket held.
        runner = CliRunner(env={"CORE_ADDONS_PATH": str(BUILT_IN_ADDONS)})
        moved = runner.invoke(cli, ["--db", central.url, "autonomous", "move", "1",
                                    "--to-central", "--reason", "the till's disk died"])
        assert moved.exit_code == 0, moved.output
        assert moved.output.strip() == ("Config 1 is served by this server again; its next "
                                        "ticket is 6.")
        with central.engine.connect() as connection:
            [event] = point_of_sale.journal_events(connection, kinds=["config_writer_moved"],
                                                   after=0)[-1:]
        assert event["details"] == {"previous": f"autonomous till 'Shop' (till {till_id})",
                                    "writer": "this server", "reason": "the till's disk died",
                                    "last_ticket": 5, "last_link": entries[-1]["link"]}
        assert sell(central.engine, 1)
        assert central_entries(central)[-1][0] == 6
    finally:
        till.engine.dispose()


def test_a_second_till_for_a_served_config_is_refused_until_the_first_is_revoked(
        central, tmp_path):
    till = local_till(central, tmp_path)
    try:
        with pytest.raises(CoreError) as refused:
            make_package(central, 1, tmp_path / "second.package", "http://127.0.0.1:9")
        assert "Shop is served by autonomous till 'Shop' (till 1): revoke it first to replace " \
               "it, or move the config back to this server (core autonomous move 1 " \
               "--to-central)" in str(refused.value)
        runner = CliRunner(env={"CORE_ADDONS_PATH": str(BUILT_IN_ADDONS)})
        assert runner.invoke(cli, ["--db", central.url, "autonomous", "revoke", "1"]).exit_code \
            == 0
        replacement = local_till(central, tmp_path, name="replacement")
        new_id = token_of(replacement).split(".")[0]  # 2 on SQLite, 3 on PostgreSQL (sequence)
        with central.engine.connect() as connection:
            assert point_of_sale.config_writer(connection, 1) == \
                f"autonomous till 'Shop' (till {new_id})"
            [event] = point_of_sale.journal_events(connection, kinds=["config_writer_moved"])[-1:]
        assert event["details"]["reason"] == f"replaces till 1 (till {new_id}'s package)"
        replacement.engine.dispose()
    finally:
        till.engine.dispose()


def test_the_admin_shows_who_writes_each_config_and_moves_one_back(central, tmp_path):
    till = local_till(central, tmp_path)
    till.engine.dispose()
    client = signed_in_client(built_app(central), central)
    page = text_of(client.get("/web/pos_autonomous/"))
    assert table_row(page, "writer-1")[:2] == ["1 · Shop", "autonomous till 'Shop' (till 1)"]
    assert table_row(page, "writer-2")[:2] == ["2 · Bar", "this server"]
    html = client.get("/web/pos_autonomous/").get_data(as_text=True)
    refused = client.post("/web/pos_autonomous/configs/1/move-to-central",
                          data={"csrf_token": csrf_token(html), "reason": ""},
                          follow_redirects=True)
    assert "Not moved: say why (kept in the journal)" in text_of(refused)
    moved = client.post("/web/pos_autonomous/configs/1/move-to-central",
                        data={"csrf_token": csrf_token(html), "reason": "till replaced"},
                        follow_redirects=True)
    assert "Config 1 is served by this server again; its next ticket is 1." in text_of(moved)
    assert table_row(text_of(moved), "writer-1")[1] == "this server"
