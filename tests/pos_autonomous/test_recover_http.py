"""The central's recovery routes (#24 item 4) through Flask's test client with a real till
database: a till takes back its config's entries as sealed, page by page; a skip is journaled,
alarmed and answered again; every bad field, malformed body and wrong caller is a 4xx with a
JSON error a person can act on."""
from sqlalchemy import text

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central.receive import open_alarms
from tests.hostile_json import HUGE_INTEGERS, deep_array, deep_object
from tests.pos_autonomous.up_helpers import batch_of, record, sell, token_of

LINK = "ab" * 32


def post(app, token, path, body=None, raw=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        return app.test_client().post(path, data=raw, headers={
            **headers, "Content-Type": "application/json"})
    return app.test_client().post(path, json=body, headers=headers)


def pushed(app, till, count):
    sell(till.engine, count)
    batch = batch_of(till)
    answer = post(app, token_of(till), "/pos_autonomous/push", batch)
    assert answer.status_code == 200, answer.get_json()
    record(till, batch, answer.get_json())


def test_entries_come_back_as_sealed_page_by_page(app, central, till):
    pushed(app, till, 5)
    answer = post(app, token_of(till), "/pos_autonomous/recover", {"after": 1, "limit": 3})
    assert answer.status_code == 200, answer.get_json()
    page = answer.get_json()
    with till.engine.connect() as connection:
        held = point_of_sale.ledger_entries(connection, 1, 1, 3)
        head = point_of_sale.ledger_head(connection, 1)
    assert [e["number"] for e in page["entries"]] == [2, 3, 4]
    assert [(e["uuid"], e["previous_link"], e["link"]) for e in page["entries"]] == \
        [(e["uuid"], e["previous_link"], e["link"]) for e in held]
    assert (page["config_id"], page["more"], page["skips"]) == (1, True, [])
    assert page["acknowledged"] == {"number": head[0], "link": head[1]}
    last = post(app, token_of(till), "/pos_autonomous/recover", {"after": 4}).get_json()
    assert ([e["number"] for e in last["entries"]], last["more"]) == ([5], False)


def test_a_skip_is_journaled_alarmed_and_answered_again(app, central, till):
    pushed(app, till, 3)
    body = {"after": 3, "upto": 6, "link": LINK}
    answer = post(app, token_of(till), "/pos_autonomous/recover/skip", body)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["skipped"] is True
    assert answer.get_json()["acknowledged"] == {"number": 6, "link": LINK}
    again = post(app, token_of(till), "/pos_autonomous/recover/skip", body).get_json()
    assert again["skipped"] is False  # the same skip twice: answered, done once
    with central.engine.connect() as connection:
        [alarm] = [a for a in open_alarms(connection) if a.kind == "lost_range"]
        [event] = point_of_sale.journal_events(connection, kinds=["ledger_numbers_skipped"])
    assert (alarm.first_number, alarm.last_number) == (4, 6)
    assert "tickets 4 to 6 were issued there (the last one's short link ababababab)" in \
        alarm.message
    assert event["details"]["upto"] == 6
    page = post(app, token_of(till), "/pos_autonomous/recover", {"after": 0}).get_json()
    assert page["skips"] == [{"after": 3, "upto": 6, "link": LINK}]
    refused = post(app, token_of(till), "/pos_autonomous/recover/skip",
                   {"after": 4, "upto": 9, "link": LINK})
    assert refused.status_code == 409
    assert refused.get_json()["error"] == {
        "code": "cannot_skip", "message": "the chain of config 1 ends at ticket 6 here, not 4: "
                                          "the numbers from 5 cannot be skipped"}


def test_only_the_configs_own_writing_till_may_recover_it(app, central, till):
    answer = post(app, None, "/pos_autonomous/recover", {"after": 0})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    answer = post(app, "1.wrong-secret", "/pos_autonomous/recover", {"after": 0})
    assert answer.status_code == 401
    answer = post(app, token_of(till), "/pos_autonomous/recover", {"config_id": 2, "after": 0})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "wrong_config"
    with central.engine.begin() as connection:  # the config moved back to the central
        connection.execute(text("DELETE FROM point_of_sale_config_writer"))
    for path, body in [("/pos_autonomous/recover", {"after": 0}),
                       ("/pos_autonomous/recover/skip", {"after": 0, "upto": 2, "link": LINK})]:
        answer = post(app, token_of(till), path, body)
        assert answer.status_code == 409, answer.get_json()
        assert answer.get_json()["error"]["code"] == "not_writer"
        assert "no longer writes the tickets of config 1" in answer.get_json()["error"]["message"]


BAD = [
    ("/pos_autonomous/recover", {"after": -1}, "after"),
    ("/pos_autonomous/recover", {"after": "3"}, "after"),
    ("/pos_autonomous/recover", {"after": True}, "after"),
    ("/pos_autonomous/recover", {"after": 1.5}, "after"),
    ("/pos_autonomous/recover", {"after": 0, "limit": 0}, "limit"),
    ("/pos_autonomous/recover", {"after": 0, "limit": 1001}, "limit"),
    ("/pos_autonomous/recover", {"config_id": 0, "after": 0}, "config_id"),
    ("/pos_autonomous/recover", {"config_id": [1], "after": 0}, "config_id"),
    ("/pos_autonomous/recover/skip", {"after": 3, "upto": 3, "link": LINK}, "upto"),
    ("/pos_autonomous/recover/skip", {"after": 3, "upto": 5}, "link"),
    ("/pos_autonomous/recover/skip", {"after": 3, "upto": 5, "link": LINK.upper()}, "link"),
    ("/pos_autonomous/recover/skip", {"upto": 5, "link": LINK}, "after"),
    ("/pos_autonomous/recover/skip", {"after": 3, "upto": None, "link": LINK}, "upto"),
] + [("/pos_autonomous/recover", {"after": huge}, "after") for huge in HUGE_INTEGERS
     if -(2**63) <= huge < 2**63] + [
    ("/pos_autonomous/recover/skip", {"after": 0, "upto": 2**31, "link": LINK}, "upto")]
MALFORMED = ["[]", "null", "{", '{"after": NaN}', deep_array(), deep_object(),
             '{"after": 1e400}', '{"after": 18446744073709551616}', '"x"']


def test_bad_fields_and_bodies_are_refused_naming_the_field(app, central, till):
    pushed(app, till, 2)
    for path, body, field in BAD:
        answer = post(app, token_of(till), path, body)
        assert answer.status_code == 400, (path, body, answer.get_json())
        error = answer.get_json()["error"]
        assert error["code"] == "invalid_recover" and error["message"].startswith(field), error
    for path in ("/pos_autonomous/recover", "/pos_autonomous/recover/skip"):
        for raw in MALFORMED:
            answer = post(app, token_of(till), path, raw=raw)
            assert 400 <= answer.status_code < 500 and "error" in answer.get_json(), raw
    with central.engine.connect() as connection:
        assert point_of_sale.ledger_head(connection, 1)[0] == 2  # nothing moved
        assert point_of_sale.journal_events(connection, kinds=["ledger_numbers_skipped"]) == []
