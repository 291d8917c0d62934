"""Properties of the line merge (merge.py, no database): concurrent tills keep each other's
lines, a line changed twice keeps the first change and reports one conflict, an up-to-date
till wins whole, and no line ever disappears unless a till that had seen it removed it."""
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addons.pos_multi_session_sync.merge import HEADER, KEPT_VERSIONS, header_of, merge_order


class Server:
    """The server's copy of one order, as the protocol stores it between updates."""

    def __init__(self, lines, header=None):
        result = merge_order(None, {}, {}, 0, 0, make_order(lines, header), 0)
        self.apply(result)

    def apply(self, result):
        self.order, self.stamps, self.tombstones = result.order, result.stamps, result.tombstones
        self.header_stamp, self.revision = result.header_stamp, result.revision
        self.versions = result.versions
        return result

    def send(self, incoming, base):
        return self.apply(merge_order(self.order, self.stamps, self.tombstones,
                                      self.header_stamp, self.revision, incoming, base,
                                      self.versions))

    def copy(self):
        """A till's copy: the order and the revision it is based on."""
        return copy.deepcopy(self.order), self.revision


def make_order(lines, header=None):
    return {"uid": "A", "sequence_number": 1, "note": "", **(header or {}),
            "lines": [dict(line) for line in lines]}


def line(uid, qty=1):
    return {"uid": uid, "qty": qty, "product_id": 1}


def contents(order):
    """{uid: line without the server's change flag}."""
    return {l["uid"]: {k: v for k, v in l.items() if k != "is_changed"} for l in order["lines"]}


uids = st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=8)


@st.composite
def disjoint_edits(draw):
    """A base order and two tills' edits of disjoint sets of its lines (each also adds lines
    of its own): {uid: ("qty", n) | ("remove",)} per till."""
    base = draw(uids)
    split = draw(st.lists(st.sampled_from(["a", "b", None]), min_size=len(base),
                          max_size=len(base)))
    edits = {"a": {}, "b": {}}
    for uid, owner in zip(base, split):
        if owner is not None:
            edits[owner][uid] = draw(st.sampled_from([("qty", 2), ("qty", 7), ("remove",)]))
    added = {"a": draw(st.integers(0, 3)), "b": draw(st.integers(0, 3))}
    return base, edits, added


def edited(order, edits, new_lines):
    order = copy.deepcopy(order)
    lines = []
    for current in order["lines"]:
        change = edits.get(current["uid"])
        if change == ("remove",):
            continue
        if change is not None:
            current = {**current, "qty": change[1]}
        lines.append(current)
    order["lines"] = lines + new_lines
    return order


@settings(max_examples=200, deadline=None)
@given(disjoint_edits(), st.booleans())
def test_disjoint_edits_from_one_base_are_both_kept_in_either_order(case, a_first):
    base_uids, edits, added = case
    server = Server([line(uid) for uid in base_uids])
    copies = {till: server.copy() for till in "ab"}
    new_lines = {till: [line(f"{till}-new-{i}", qty=3) for i in range(added[till])]
                 for till in "ab"}
    for till in ("ab" if a_first else "ba"):
        order, base = copies[till]
        result = server.send(edited(order, edits[till], new_lines[till]), base)
        assert result.conflicts == []
    final = contents(server.order)
    for till in "ab":
        for uid, change in edits[till].items():
            if change == ("remove",):
                assert uid not in final
            else:
                assert final[uid]["qty"] == change[1]
        for new in new_lines[till]:
            assert final[new["uid"]] == new
    untouched = set(base_uids) - set(edits["a"]) - set(edits["b"])
    assert all(final[uid] == line(uid) for uid in untouched)


@settings(max_examples=200, deadline=None)
@given(uids.filter(bool), st.data())
def test_the_same_line_changed_by_two_tills_keeps_the_first_writers_change(base_uids, data):
    server = Server([line(uid) for uid in base_uids])
    target = data.draw(st.sampled_from(base_uids))
    first_qty, second_qty = data.draw(st.sampled_from([(2, 3), (5, 9), (4, 2)]))
    (first, base), (second, _) = server.copy(), server.copy()
    server.send(edited(first, {target: ("qty", first_qty)}, []), base)
    result = server.send(edited(second, {target: ("qty", second_qty)}, []), base)
    assert result.conflicts == [target]
    assert not result.changed and result.revision == base + 1
    assert contents(server.order)[target]["qty"] == first_qty


def test_a_line_removed_by_one_till_and_changed_by_another():
    server = Server([line("x"), line("y")])
    (remover, base), (changer, _) = server.copy(), server.copy()
    server.send(edited(remover, {"x": ("remove",)}, []), base)
    result = server.send(edited(changer, {"x": ("qty", 4)}, []), base)
    assert result.conflicts == ["x"]  # it stays removed: the remover had seen it
    assert set(contents(server.order)) == {"y"}
    # Changed first, then removed by a till that had not seen the change: the change stays.
    server = Server([line("x")])
    (changer, base), (remover, _) = server.copy(), server.copy()
    server.send(edited(changer, {"x": ("qty", 4)}, []), base)
    result = server.send(edited(remover, {"x": ("remove",)}, []), base)
    assert contents(server.order)["x"]["qty"] == 4
    assert result.conflicts == ["x"]  # the removal lost, and the till is told


def test_without_versions_a_stale_copy_of_a_changed_line_is_a_conflict():
    """The plain stamp rule: the server cannot tell an unchanged stale line from an edit."""
    server = Server([line("x")])
    (one, base), (two, _) = server.copy(), server.copy()
    server.send(edited(one, {"x": ("qty", 4)}, []), base)
    result = merge_order(server.order, server.stamps, server.tombstones, server.header_stamp,
                         server.revision, two, base)
    assert result.conflicts == ["x"] and contents(result.order)["x"]["qty"] == 4


def test_header_changes_merge_as_one_unit():
    server = Server([line("x")], {"note": "start"})
    (one, base), (two, _) = server.copy(), server.copy()
    server.send({**one, "note": "first"}, base)
    result = server.send({**two, "note": "second", "lines": two["lines"] + [line("y")]}, base)
    assert result.conflicts == [HEADER]
    assert server.order["note"] == "first" and "y" in contents(server.order)
    # The same header as the server's is no conflict, whatever the base.
    result = server.send({**two, "note": "first"}, base)
    assert HEADER not in result.conflicts


order_strategy = st.builds(
    lambda lines, note: make_order([line(uid, qty) for uid, qty in lines], {"note": note}),
    st.lists(st.tuples(st.text("abcdef", min_size=1, max_size=2), st.integers(1, 5)),
             unique_by=lambda pair: pair[0], max_size=6),
    st.sampled_from(["", "x", "y"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(order_strategy, min_size=1, max_size=6), order_strategy)
def test_a_till_based_on_the_current_revision_wins_whole(history, mine):
    server = Server(history[0]["lines"], {"note": history[0]["note"]})
    for order in history[1:]:
        server.send(order, server.revision)
    result = server.send(mine, server.revision)
    assert result.conflicts == []
    assert contents(server.order) == contents(mine)
    assert [l["uid"] for l in server.order["lines"]] == [l["uid"] for l in mine["lines"]]
    assert header_of(server.order) == header_of(mine)


# One step of a till: refresh its copy from the server, or edit it and send it.
steps = st.lists(st.tuples(
    st.integers(0, 2),  # which till
    st.sampled_from(["refresh", "add", "change", "remove", "note", "send"]),
    st.integers(0, 20)), max_size=KEPT_VERSIONS)  # never more versions than are kept


@settings(max_examples=300, deadline=None)
@given(steps)
def test_no_line_disappears_unless_a_till_that_had_seen_it_removed_it(history):
    server = Server([line("seed")])
    tills = [server.copy() for _ in range(3)]
    contents_at = {server.revision: contents(server.order)}  # the server's lines by revision
    counter = 0
    for index, action, pick in history:
        order, base = tills[index]
        if action == "refresh":
            tills[index] = server.copy()
            continue
        if action == "add":
            counter += 1
            order["lines"].append(line(f"t{index}-{counter}", qty=pick % 5 + 1))
        elif action == "change" and order["lines"]:
            chosen = order["lines"][pick % len(order["lines"])]
            chosen["qty"] = pick
        elif action == "remove" and order["lines"]:
            order["lines"].pop(pick % len(order["lines"]))
        elif action == "note":
            order["note"] = f"note {pick}"
        if action != "send" and pick % 2:
            tills[index] = (order, base)  # edited, not sent yet
            continue
        before, stamps_before = contents(server.order), dict(server.stamps)
        sent, at_base = contents(order), contents_at[base]
        result = server.send(order, base)
        after = contents(server.order)
        contents_at[server.revision] = after
        for uid in before:
            if uid not in after:  # removed: by this till, which had seen its last version
                assert uid not in sent and stamps_before[uid] <= base
                assert server.tombstones[uid] == result.revision
            elif uid not in sent:  # the till did not have it, or its removal lost
                assert (uid in result.conflicts) == (uid in at_base)
        for uid, content in sent.items():
            if after.get(uid) != content:  # not taken: someone changed or removed it since
                assert max(server.stamps.get(uid, 0), server.tombstones.get(uid, 0)) > base
                # ... a conflict only if this till had changed it itself
                assert (uid in result.conflicts) == (content != at_base.get(uid))
        assert set(after) == set(server.stamps)
        assert not set(server.stamps) & set(server.tombstones)
        # The till applies the merged order, as the reply tells it to.
        tills[index] = server.copy()


def test_the_arguments_are_not_changed():
    stored = make_order([line("x")])
    incoming = make_order([line("x", 2), line("y")])
    stamps, tombstones = {"x": 1}, {"z": 1}
    kept = copy.deepcopy((stored, incoming, stamps, tombstones))
    merge_order(stored, stamps, tombstones, 1, 2, incoming, 1)
    assert (stored, incoming, stamps, tombstones) == kept


def test_a_base_ahead_of_the_server_is_a_programming_error():
    with pytest.raises(ValueError):
        merge_order(make_order([]), {}, {}, 1, 1, make_order([]), 2)


def test_ms_info_follows_the_last_applied_change():
    server = Server([line("x")], {"ms_info": {"changed": "alice"}})
    assert server.order["ms_info"] == {"changed": "alice"}
    (one, base), (two, _) = server.copy(), server.copy()
    server.send({**edited(one, {"x": ("qty", 2)}, []), "ms_info": {"changed": "bob"}}, base)
    server.send({**edited(two, {"x": ("qty", 3)}, []), "ms_info": {"changed": "carol"}}, base)
    assert server.order["ms_info"] == {"changed": "bob"}  # carol's change was a conflict
