"""Lines and orders cancelled before payment (#25 item 6): journaled with count and amount."""
from addons.point_of_sale import journal_events, verify_journal
from tests.support import bearer_header
from tests.support import testing_app as app_of


def test_cancellations_are_journaled_and_bad_ones_refused_whole(addon_instance):
    client = app_of(addon_instance).test_client()
    token = bearer_header(addon_instance, 1)
    answer = client.post("/pos/config/1/cancellations", headers=token, json={"cancellations": [
        {"kind": "line", "order_uuid": "o-1", "lines": 1, "amount": "1.98",
         "at": "2026-12-07T10:00:00+01:00"},
        {"kind": "order", "order_uuid": "o-2", "lines": 3, "amount": "5.65",
         "at": "2026-12-07T09:05:00Z"}]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with addon_instance.engine.connect() as connection:
        found = journal_events(connection, kinds=["cancelled_line", "cancelled_order"])
        assert verify_journal(connection).ok
    assert [e["number"] for e in found] == answer.json["events"]
    assert [(e["kind"], e["config_id"], e["details"]) for e in found] == [
        ("cancelled_line", 1, {"order_uuid": "o-1", "lines": 1, "amount": "1.98",
                               "at": "2026-12-07T09:00:00Z"}),
        ("cancelled_order", 1, {"order_uuid": "o-2", "lines": 3, "amount": "5.65",
                                "at": "2026-12-07T09:05:00Z"})]
    for bad in ({"kind": "sale", "order_uuid": "o", "lines": 1, "amount": "1.00", "at": "x"},
                {"kind": "line", "order_uuid": "o", "lines": 1, "amount": 1.5,
                 "at": "2026-12-07T09:00:00Z"},
                {"kind": "line", "order_uuid": "o", "lines": 1, "amount": "1.00", "at": "soon"},
                # found by schemathesis: a kind that is an object, a time out of range in UTC
                {"kind": {}, "order_uuid": "", "lines": 0, "amount": "", "at": ""},
                {"kind": ["line"], "order_uuid": "o", "lines": 1, "amount": "1.00",
                 "at": "2026-12-07T09:00:00Z"},
                {"kind": "line", "order_uuid": "o", "lines": 1, "amount": "1.00",
                 "at": "0001-01-01T00:00:00+01:00"}):
        refused = client.post("/pos/config/1/cancellations", headers=token,
                              json={"cancellations": [bad]})
        assert (refused.status_code, refused.json["error"]["code"]) == (400,
                                                                         "invalid_cancellation")
    assert client.post("/pos/config/1/cancellations", headers=token,
                       json={"cancellations": []}).status_code == 400
    assert client.post("/pos/config/2/cancellations", headers=token, json={
        "cancellations": [{"kind": "line", "order_uuid": "o", "lines": 1, "amount": "1.00",
                           "at": "2026-12-07T09:00:00Z"}]}).status_code == 403
    with addon_instance.engine.connect() as connection:
        assert len(journal_events(connection, kinds=["cancelled_line", "cancelled_order"])) == 2
