"""Duplicates (#25 item 4): a reprint goes through the server, which numbers the copy per
ticket (whichever till asks), seals it in the journal, and the day's closing counts it."""
from unittest import mock

from addons.point_of_sale import journal_events, verify_journal
from tests.point_of_sale.test_periodic_closings import run, sell, utc
from tests.support import bearer_header
from tests.support import testing_app as app_of


def test_copies_are_numbered_per_ticket_across_tills_and_journaled(shop_session, addon_instance):
    first = sell(addon_instance, "2026-12-07T10:00:00Z")
    second = sell(addon_instance, "2026-12-07T10:05:00Z")
    app = app_of(addon_instance)
    till_a, till_b = app.test_client(), app.test_client()  # two tills of one config
    headers = bearer_header(addon_instance, 1)
    path = "/pos/config/1/orders/{}/duplicate"
    answers = [till_a.post(path.format(first), headers=headers),
               till_b.post(path.format(first), headers=headers),
               till_b.post(path.format(second), headers=headers, json={}),
               till_a.post(path.format(first), headers=headers,
                           json={"printed_at": "2026-12-07T11:00:00+01:00"})]
    assert [a.status_code for a in answers] == [200] * 4, answers[0].get_data(as_text=True)
    assert [(a.json["copy"], a.json["ticket"]["number"]) for a in answers] == [
        (1, 1), (2, 1), (1, 2), (3, 1)]
    with addon_instance.engine.connect() as connection:
        copies = journal_events(connection, kinds=["duplicate"])
        assert verify_journal(connection).ok
    assert [(e["details"]["ticket"], e["details"]["copy"]) for e in copies] == [
        (1, 1), (1, 2), (2, 1), (1, 3)]
    assert copies[3]["details"]["printed_at"] == "2026-12-07T10:00:00Z"
    assert [e["number"] for e in copies] == [a.json["event"] for a in answers]


def test_a_reprint_is_refused_for_an_unknown_order_another_config_or_a_bad_body(
        shop_session, addon_instance):
    uuid = sell(addon_instance, "2026-12-07T10:00:00Z")
    client = app_of(addon_instance).test_client()
    path = f"/pos/config/1/orders/{uuid}/duplicate"
    unknown = client.post("/pos/config/1/orders/nope/duplicate",
                          headers=bearer_header(addon_instance, 1))
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "unknown_order")
    other = client.post(path, headers=bearer_header(addon_instance, 2))
    assert other.status_code == 403
    anonymous = client.post(path)
    assert anonymous.status_code == 401
    for when in ("yesterday", "0001-01-01T00:00:00+01:00"):  # the second: out of range in UTC
        bad = client.post(path, headers=bearer_header(addon_instance, 1),
                          json={"printed_at": when})
        assert (bad.status_code, bad.json["error"]["code"]) == (400, "invalid_printed_at")
    listed = client.post(path, headers=bearer_header(addon_instance, 1), data="[1]",
                         content_type="application/json")
    assert listed.status_code == 400
    with addon_instance.engine.connect() as connection:
        assert journal_events(connection, kinds=["duplicate"]) == []


def test_the_days_closing_counts_its_duplicates(shop_session, addon_instance):
    uuid = sell(addon_instance, "2026-12-07T10:00:00Z")
    client = app_of(addon_instance).test_client()
    with mock.patch("addons.point_of_sale.journal.utc_now", lambda: utc("2026-12-07T11:00:00Z")):
        for _ in range(2):
            assert client.post(f"/pos/config/1/orders/{uuid}/duplicate",
                               headers=bearer_header(addon_instance, 1)).status_code == 200
    made = run(addon_instance, "2026-12-08T12:00:00Z")
    assert [(c["kind"], c["config_id"], c["details"]["duplicate_count"]) for c in made] == [
        ("daily_closing", 1, 2), ("daily_closing", None, 2)]
