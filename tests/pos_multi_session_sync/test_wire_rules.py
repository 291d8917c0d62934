"""Small rules of the wire and the unpaid page, each held by one small function: a line an
original till renamed takes back its server uid only when exactly one stored line can be it,
and who last changed an order is read from whatever part of ms_info the till sent."""
from addons.pos_multi_session_sync.unpaid import last_editor
from addons.pos_multi_session_sync.wire import adopt_renamed_lines

VERSIONS_AT_1 = [[1, "digest"]]


def stored(*uids):
    return {"lines": [{"uid": uid, "id": 1, "product_id": 7} for uid in uids]}


def incoming(*uids):
    return {"lines": [{"uid": uid, "id": 1, "product_id": 7} for uid in uids]}


def renamed(stored_order, order, tombstones=(), base=1, versions=None):
    versions = versions or {line["uid"]: VERSIONS_AT_1 for line in stored_order["lines"]}
    adopt_renamed_lines(stored_order, versions, set(tombstones), order, base)
    return [line["uid"] for line in order["lines"]]


def test_a_renamed_line_takes_back_the_one_stored_uid_it_can_be():
    assert renamed(stored("A-1"), incoming("B-1")) == ["A-1"]


def test_a_line_under_its_own_prefix_or_with_two_candidates_stays_new():
    assert renamed(stored("B-1"), incoming("B-9")) == ["B-9"]
    assert renamed(stored("A-1", "C-1"), incoming("B-1")) == ["B-1"]


def test_a_line_the_till_still_names_a_tombstone_or_a_later_line_is_not_taken():
    assert renamed(stored("A-1"), incoming("A-1", "B-1")) == ["A-1", "B-1"]
    assert renamed(stored("A-1"), incoming("B-1"), tombstones={"B-1"}) == ["B-1"]
    assert renamed(stored("A-1"), incoming("B-1"), base=0) == ["B-1"]


def test_the_last_editor_reads_what_ms_info_holds():
    def info(who, key="changed"):
        return {"ms_info": {key: who}}
    assert last_editor(info({"user": {"name": "Alice"}, "pos": {"name": "Shop"}})) \
        == "Alice (Shop)"
    assert last_editor(info({"user": {"name": "Alice"}}, key="created")) == "Alice"
    assert last_editor(info({"user": {"name": ""}, "pos": {"name": "Shop"}})) == "Shop"
    assert last_editor(info({"user": "Alice", "pos": {"name": 3}})) == "3"
    assert last_editor(info("alice")) == last_editor({"ms_info": []}) == last_editor({}) == ""
