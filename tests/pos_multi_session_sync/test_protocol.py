"""POST /pos_multi_session_sync/update with the original pos_multi_session message shapes: every
action and reply, the bus messages and their message_IDs, runs, duplicates and revisions."""
import json

import pytest
from sqlalchemy import text

from addons.pos_multi_session_sync.protocol import end_run
from tests.pos_multi_session_sync.sync_helpers import (
    DBNAME,
    MULTI_SESSION,
    Till,
    bus_messages,
    line,
    lines,
    message_ids,
    order,
    synced,
)
from tests.support import scalar


@pytest.fixture
def shop(admin_client):
    return Till(admin_client, pos_id=1)


@pytest.fixture
def bar(admin_client):
    return Till(admin_client, pos_id=2)


@pytest.fixture
def both(shop, bar):
    """Two tills of multi-session 1 that loaded (sync_all at load registers them)."""
    shop.sync_all()
    bar.sync_all()
    return shop, bar


def stored(instance, uid):
    with instance.engine.connect() as connection:
        row = connection.execute(text(
            "SELECT * FROM pos_multi_session_sync_order WHERE uid = :uid"), {"uid": uid}).one()
    return row._mapping


def order_counter(instance):
    return scalar(instance, "SELECT order_id FROM pos_multi_session_sync_multi_session")


def test_a_new_order_is_numbered_stored_and_sent_to_every_till(addon_instance, both):
    shop, bar = both
    first = line("A")
    reply = shop.update_order(order("A", [first]))
    assert reply["action"] == "update_revision_ID"
    assert reply["revision_ID"] == 1 and reply["uid"] == "A" and reply["order_ID"] == 1
    assert reply["run_ID"] == 1 and reply["conflicts"] == []
    assert reply["order"]["lines"] == [[0, 0, {**first, "pack_lot_ids": [], "is_changed": True}]]
    assert reply["order"]["revision_ID"] == 1
    for pos_id in (1, 2):  # the sender too: it counts its own echo's message_ID
        [message] = bus_messages(addon_instance, pos_id)
        assert message["action"] == "update_order"
        assert message["session_id"] == 101 and message["login_number"] == 1
        assert message["data"]["uid"] == "A" and message["data"]["revision_ID"] == 1
        assert message["data"]["message_ID"] == 2  # 1 was the sync_all at load
        assert message["data"]["lines"][0][2]["qty"] == 1
        assert "nonce" not in message["data"]
    row = stored(addon_instance, "A")
    assert row["state"] == "draft" and row["revision_id"] == 1 and row["run_id"] == 1


def test_message_ids_count_every_message_of_each_till(addon_instance, shop, bar):
    # Loading: the immediate sync_all is the till's message 1, answered in the reply.
    assert shop.sync_all()["data"]["message_ID"] == 1
    shop.update_order(order("A", [line("A")]))  # shop 2
    assert bar.sync_all()["data"]["message_ID"] == 1  # bar joins
    shop.update_order(order("B", [line("B")]))  # shop 3, bar 2
    bar.send("set_table", {"table_id": 4})  # shop 4, bar 3
    assert shop.sync_all(immediate=False) == {"action": ""}  # shop 5 only
    assert message_ids(addon_instance, 1) == [2, 3, 4, 5]
    assert message_ids(addon_instance, 2) == [2, 3]
    assert bus_messages(addon_instance, 1)[-1]["action"] == "sync_all"


def test_renumbering_new_orders_and_keeping_known_numbers(addon_instance, both):
    shop, bar = both
    assert shop.update_order(order("A", sequence_number=5))["order_ID"] == 1
    assert bar.update_order(order("B", sequence_number=1, pos_id=2))["order_ID"] == 2
    # A known order keeps its number whatever a till sends.
    reply = shop.update_order(order("A", [line("A")], revision=1, sequence_number=9))
    assert reply["order_ID"] == 1 and reply["order"]["sequence_number"] == 1
    assert reply["revision_ID"] == 2
    assert order_counter(addon_instance) == 2


def test_the_json_rpc_envelope_gets_its_answer_in_the_same_envelope(both):
    shop, _ = both
    reply = shop.update_order(order("A"), envelope=True)
    assert reply["jsonrpc"] == "2.0" and reply["id"] == 7
    assert reply["result"]["action"] == "update_revision_ID"
    error = shop.update_order({**order("B"), "revision_ID": "x"}, envelope=True, status=400)
    assert error["error"]["code"] == 400
    assert error["error"]["data"]["code"] == "invalid_revision_id"
    assert "revision_ID" in error["error"]["message"]


def test_sync_all_gives_the_draft_orders_of_the_current_run(addon_instance, both):
    shop, bar = both
    shop.update_order(order("A", [line("A")]))
    bar.update_order(order("B", [line("B")], pos_id=2))
    shop.remove_order("B", revision=1)
    reply = bar.sync_all()
    assert reply["action"] == "sync_all"
    data = reply["data"]
    assert [o["uid"] for o in synced(data)] == ["A"]
    assert synced(data)[0]["revision_ID"] == 1
    assert data["order_ID"] == 2 and data["uid"] is None
    assert data["session_id"] == 102 and data["login_number"] == 1
    assert synced(bar.sync_all(uid="A"))[0]["uid"] == "A"
    assert bar.sync_all(uid="B")["data"]["orders"] == []  # removed
    # Over the bus: to that till only.
    before_shop = message_ids(addon_instance, 1)
    assert bar.sync_all(immediate=False, uid="A") == {"action": ""}
    message = bus_messages(addon_instance, 2)[-1]
    assert message["action"] == "sync_all" and message["data"]["uid"] == "A"
    assert [o["uid"] for o in synced(message["data"])] == ["A"]
    assert message_ids(addon_instance, 1) == before_shop


def test_sync_all_records_the_tills_user(addon_instance, admin_client):
    Till(admin_client, pos_id=3, user_id=9).sync_all()
    assert scalar(addon_instance, "SELECT user_id FROM pos_multi_session_sync_pos "
                                 "WHERE pos_id = 3") == 9


def test_a_new_run_leaves_old_drafts_unpaid_and_restarts_numbering(addon_instance, both):
    shop, bar = both
    shop.update_order(order("A"))
    shop.update_order(order("B"))
    bar.run = 2
    reply = bar.update_order(order("C", run=2, pos_id=2))
    assert reply["order_ID"] == 1 and reply["run_ID"] == 2
    assert stored(addon_instance, "A")["state"] == "unpaid"
    assert stored(addon_instance, "B")["state"] == "unpaid"
    assert stored(addon_instance, "C")["state"] == "draft"
    assert [o["uid"] for o in synced(bar.sync_all())] == ["C"]


def test_a_till_of_an_ended_run_must_reload_and_changes_nothing(addon_instance, both):
    shop, bar = both
    bar.run = 2
    bar.update_order(order("C", run=2, pos_id=2))
    counts = message_ids(addon_instance, 1), message_ids(addon_instance, 2)
    for action, data in [("update_order", order("D")), ("sync_all", {}),
                         ("remove_order", {"uid": "C", "revision_ID": 1}),
                         ("set_table", {"table_id": 1})]:
        assert shop.send(action, data) == {"action": "outdated_run", "run_ID": 2}
    assert (message_ids(addon_instance, 1), message_ids(addon_instance, 2)) == counts
    assert scalar(addon_instance, "SELECT count(*) FROM pos_multi_session_sync_order") == 1
    assert stored(addon_instance, "C")["state"] == "draft"


def test_end_run_from_the_main_instance(addon_instance, both):
    shop, _ = both
    shop.update_order(order("A"))
    with addon_instance.engine.begin() as connection:
        assert end_run(connection, DBNAME, MULTI_SESSION, 2) == 2
        assert end_run(connection, DBNAME, MULTI_SESSION, 1) == 2  # older: nothing changes
    assert stored(addon_instance, "A")["state"] == "unpaid"
    assert order_counter(addon_instance) == 0
    assert shop.update_order(order("B")) == {"action": "outdated_run", "run_ID": 2}
    with addon_instance.engine.begin() as connection, pytest.raises(ValueError):
        end_run(connection, DBNAME, MULTI_SESSION, "3")


def test_the_same_send_twice_is_applied_once(addon_instance, both):
    shop, bar = both
    data = order("A", [line("A")])
    shop.update_order(data)
    assert shop.update_order(data) == {"action": "", "revision_ID": 1, "uid": "A"}
    assert message_ids(addon_instance, 2) == [2]
    again = {**data, "lines": data["lines"] + [line("A")], "nonce": "second"}
    assert shop.update_order(again)["revision_ID"] == 2  # a new nonce: a new send
    assert shop.update_order(again)["revision_ID"] == 2
    assert message_ids(addon_instance, 2) == [2, 3]


def test_revision_errors(addon_instance, both):
    shop, bar = both
    shop.update_order(order("A"))
    assert shop.update_order(order("A", revision=5)) == {
        "action": "revision_error", "order_uid": "A", "state": "draft"}
    shop.remove_order("A", revision=1)
    assert bar.update_order(order("A", revision=2, pos_id=2)) == {
        "action": "revision_error", "order_uid": "A", "state": "deleted"}
    assert stored(addon_instance, "A")["state"] == "deleted"


def test_an_order_left_unpaid_is_not_revived_by_a_till(addon_instance, both):
    shop, _ = both
    shop.update_order(order("A"))
    with addon_instance.engine.begin() as connection:
        end_run(connection, DBNAME, MULTI_SESSION, 2)
    shop.run = 2
    assert shop.update_order(order("A", run=2))["state"] == "unpaid"


def test_two_tills_adding_lines_from_the_same_revision_keep_both(addon_instance, both):
    """pos-addons #348: the original refused the second update and its line was lost."""
    shop, bar = both
    first = line("A")
    shop.update_order(order("A", [first]))
    shop_line, bar_line = line("A"), line("A")
    shop.update_order(order("A", [first, shop_line], revision=1))
    reply = bar.update_order(order("A", [first, bar_line], revision=1, pos_id=2))
    assert reply["action"] == "update_revision_ID" and reply["revision_ID"] == 3
    assert reply["conflicts"] == []
    uids = [l["uid"] for l in lines(reply["order"])]
    assert uids == [first["uid"], shop_line["uid"], bar_line["uid"]]
    assert [l["is_changed"] for l in lines(reply["order"])] == [False, False, True]
    # Every till got the merged order.
    last = bus_messages(addon_instance, 1)[-1]["data"]
    assert [l["uid"] for l in lines(last)] == uids and last["revision_ID"] == 3


def test_the_same_line_changed_by_two_tills_keeps_the_first_and_says_so(addon_instance, both):
    shop, bar = both
    first = line("A")
    shop.update_order(order("A", [first]))
    shop.update_order(order("A", [{**first, "qty": 2}], revision=1))
    before = message_ids(addon_instance, 1)
    reply = bar.update_order(order("A", [{**first, "qty": 5}], revision=1, pos_id=2))
    assert reply["conflicts"] == [first["uid"]] and reply["revision_ID"] == 2
    assert lines(reply["order"])[0]["qty"] == 2
    assert message_ids(addon_instance, 1) == before  # nothing applied: nothing sent


def test_remove_order(addon_instance, both):
    shop, bar = both
    shop.update_order(order("A"))
    shop.update_order(order("A", [line("A")], revision=1))
    assert bar.remove_order("A", revision=1) == {
        "action": "revision_error", "order_uid": "A", "state": "draft"}
    assert bar.remove_order("A", revision=2) == {"order_ID": 1}
    message = bus_messages(addon_instance, 1)[-1]
    assert message["action"] == "remove_order" and message["data"]["uid"] == "A"
    assert message["session_id"] == 102
    before = message_ids(addon_instance, 1)
    assert bar.remove_order("A", revision=2) == {"order_ID": 1}  # already removed
    assert message_ids(addon_instance, 1) == before


def test_a_paid_orders_removal_wins_over_a_later_change(addon_instance, both):
    """pos-addons #1239: an order paid by one till while another edited it vanished."""
    shop, bar = both
    shop.update_order(order("A"))
    bar.update_order(order("A", [line("A")], revision=1, pos_id=2))
    assert shop.remove_order("A", revision=1, finalized=True) == {"order_ID": 1}
    assert stored(addon_instance, "A")["state"] == "deleted"
    assert bus_messages(addon_instance, 2)[-1]["action"] == "remove_order"


def test_an_order_paid_offline_is_counted_then_removed(addon_instance, both):
    shop, bar = both
    shop.update_order(order("A"))  # number 1
    paid = order("P", [line("P")], sequence_number=4)
    assert shop.remove_order("P", revision=1, finalized=True, order_data=paid) == {"order_ID": 4}
    row = stored(addon_instance, "P")
    assert row["state"] == "deleted" and row["nonce"] == "paid offline"
    assert row["sequence_number"] == 4  # the number on its receipt
    assert shop.update_order(order("B"))["order_ID"] == 5
    message = bus_messages(addon_instance, 2)[-2]
    assert message["action"] == "remove_order" and "order_data" not in message["data"]


def test_removing_an_order_never_seen_without_its_data_does_nothing(addon_instance, both):
    shop, _ = both
    before = message_ids(addon_instance, 2)
    assert shop.remove_order("X", revision=1, finalized=True) == {"order_ID": 0}
    assert message_ids(addon_instance, 2) == before
    assert scalar(addon_instance, "SELECT count(*) FROM pos_multi_session_sync_order") == 0


def test_other_actions_are_relayed_as_they_came(addon_instance, both):
    shop, _ = both
    assert shop.send("set_table", {"table_id": 4, "note": "window"}) == {"action": ""}
    message = bus_messages(addon_instance, 2)[-1]
    assert message == {"action": "set_table", "session_id": 101, "login_number": 1,
                       "data": {"pos_id": 1, "run_ID": 1, "table_id": 4, "note": "window",
                                "message_ID": 2}}


def test_multi_sessions_and_databases_are_kept_apart(addon_instance, admin_client):
    one = Till(admin_client, pos_id=1)
    other_ms = Till(admin_client, pos_id=1, multi_session_id=2)
    other_db = Till(admin_client, pos_id=1, dbname="bar")
    for till in (one, other_ms, other_db):
        till.sync_all()
        assert till.update_order(order("A"))["order_ID"] == 1
    assert scalar(addon_instance, "SELECT count(*) FROM pos_multi_session_sync_order") == 3
    assert message_ids(addon_instance, 1, dbname="bar") == [2]


def test_the_stored_order_keeps_the_tills_own_keys(addon_instance, both):
    shop, _ = both
    shop.update_order(order("A", [line("A")], table_id=3, note="by the window"))
    kept = json.loads(stored(addon_instance, "A")["order_json"])
    assert kept["table_id"] == 3 and kept["note"] == "by the window"
    assert kept["ms_info"]["changed"]["user"]["name"] == "Alice"


def test_a_till_reads_its_messages_through_the_poll_route(addon_instance, app, token_for):
    """With its POS token, as a till on a separate sync server does."""
    client = app.test_client()
    shop = Till(client, pos_id=1, headers=token_for(1))
    bar = Till(client, pos_id=2, headers=token_for(2))
    shop.sync_all()
    bar.sync_all()
    shop.update_order(order("A", [line("A")]))
    channel = json.dumps([DBNAME, "pos.multi_session", "2"])
    response = client.post("/longpolling/poll", headers=token_for(2),
                           json={"channels": [channel], "last": 0, "options": {"timeout": 0}})
    assert response.status_code == 200
    [notification] = response.get_json()
    assert notification["message"]["action"] == "update_order"
    assert notification["message"]["data"]["message_ID"] == 2
    # Another till's channel is not for this token.
    other = json.dumps([DBNAME, "pos.multi_session", "1"])
    assert client.post("/longpolling/poll", headers=token_for(2), json={
        "channels": [other], "last": 0, "options": {"timeout": 0}}).status_code == 403
