"""Numbers lost for good (ledger_skip.py, #24 item 4): a skip moves the chain from its head on
to the last number issued, from that ticket's link, journaled; checks step over exactly the
numbers a skip names, and a head moved on without one is a break."""
import pytest
from sqlalchemy import text

import addons.point_of_sale as point_of_sale
from addons.point_of_sale.sessions import open_session
from tests.support import tamper

LOST_LINK = "ab" * 32  # the link of ticket 7, as the till's high-water mark kept it


def sell(engine, uuids):
    with engine.begin() as connection:
        session_id = open_session(connection, 1)  # or the one already open
        return [r["number"] for r in point_of_sale.push_orders(connection, [
            {"uuid": uuid, "session_id": session_id, "created_at": "2026-11-22T10:15:00Z",
             "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
             "payments": [{"method": "cash", "amount": 5}]} for uuid in uuids])]


def test_a_chain_goes_on_after_skipped_numbers_and_checks_step_over_them(addon_instance):
    engine = addon_instance.engine
    assert sell(engine, ["a", "b", "c"]) == [1, 2, 3]
    with engine.begin() as connection:
        assert point_of_sale.skip_numbers(connection, 1, 3, 7, LOST_LINK, "restored") is True
        assert point_of_sale.skip_numbers(connection, 1, 3, 7, LOST_LINK, "again") is False
        assert point_of_sale.ledger_head(connection, 1) == (7, LOST_LINK)
        check = point_of_sale.verify_from_checkpoint(connection, 1)  # the head after a skip
        assert check.ok and check.checked == 7
        assert point_of_sale.verify_from_checkpoint(connection, 1).ok  # its checkpoint holds
    assert sell(engine, ["d"]) == [8]
    with engine.begin() as connection:
        [entry] = point_of_sale.ledger_entries(connection, 1, 7, 1)
        assert entry["previous_link"] == LOST_LINK
        check = point_of_sale.verify_chain(connection, 1)
        assert check.ok, check.reason
        assert check.reason == ("8 tickets, chain intact (numbers 4 to 7 skipped: lost before "
                                "they reached a copy, journaled)")
        assert point_of_sale.verify_from_checkpoint(connection, 1).ok
        [event] = point_of_sale.journal_events(connection, kinds=["ledger_numbers_skipped"])
    assert event["details"] == {"after": 3, "upto": 7, "link": LOST_LINK, "reason": "restored"}


def test_a_skip_must_start_at_the_head(addon_instance):
    sell(addon_instance.engine, ["a", "b"])
    with addon_instance.engine.begin() as connection:
        with pytest.raises(ValueError, match="ends at ticket 2 here, not 1"):
            point_of_sale.skip_numbers(connection, 1, 1, 5, LOST_LINK, "restored")
        with pytest.raises(ValueError, match="after the chain's head"):
            point_of_sale.skip_numbers(connection, 1, 2, 2, LOST_LINK, "restored")
        with pytest.raises(ValueError, match="64 lowercase hex"):
            point_of_sale.skip_numbers(connection, 1, 2, 5, "not a link", "restored")


def test_a_head_moved_on_without_a_skip_is_a_break(addon_instance):
    sell(addon_instance.engine, ["a", "b"])
    with tamper(addon_instance.engine) as connection:
        connection.execute(text("UPDATE point_of_sale_ledger_head SET number = 5, link = :l "
                                "WHERE config_id = 1"), {"l": LOST_LINK})
    with addon_instance.engine.connect() as connection:
        check = point_of_sale.verify_chain(connection, 1)
    assert (check.ok, check.first_broken) == (False, 3)
    assert check.reason == "ticket 3 is missing: the chain's head says 5 tickets were sealed"
