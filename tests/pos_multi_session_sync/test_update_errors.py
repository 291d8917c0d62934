"""Every malformed, wrong-typed, oversized or unauthorised update gets a 4xx with a message a
person can act on, and writes nothing."""
import copy

import pytest

from tests.pos_multi_session_sync.sync_helpers import URL, Till, bus_messages, line, order
from tests.support import scalar

TABLES = ["pos_multi_session_sync_multi_session", "pos_multi_session_sync_pos",
          "pos_multi_session_sync_order", "pos_longpolling_message"]


def row_counts(instance):
    return [scalar(instance, f"SELECT count(*) FROM {table}") for table in TABLES]


def good_update():
    return Till(None, pos_id=1).params("update_order", order("A", [line("A", number=1)]))


def good_removal():
    paid = order("A", [line("A", number=1)])
    return Till(None, pos_id=1).params("remove_order", {"uid": "A", "revision_ID": 1,
                                                        "finalized": True, "order_data": paid})


def setting(path, value):
    """A change of `good_update()` at `path` (keys and indexes); value DELETE removes the key."""
    def change(body):
        *parents, last = path
        target = body
        for step in parents:
            target = target[step]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
        return body
    return change


DELETE = object()
DATA = ("message", "data")
BAD_UPDATES = [
    (("multi_session_id",), DELETE, "invalid_multi_session_id"),
    (("multi_session_id",), "1", "invalid_multi_session_id"),
    (("multi_session_id",), 0, "invalid_multi_session_id"),
    (("multi_session_id",), True, "invalid_multi_session_id"),
    (("multi_session_id",), 2**31, "invalid_multi_session_id"),
    (("dbname",), DELETE, "invalid_dbname"),
    (("dbname",), "", "invalid_dbname"),
    (("dbname",), 5, "invalid_dbname"),
    (("dbname",), "x" * 129, "invalid_dbname"),
    (("user_ID",), "2", "invalid_user_id"),
    (("user_ID",), -1, "invalid_user_id"),
    (("message",), DELETE, "invalid_message"),
    (("message",), "update_order", "invalid_message"),
    (("message", "action"), DELETE, "invalid_action"),
    (("message", "action"), "", "invalid_action"),
    (("message", "action"), ["update_order"], "invalid_action"),
    (("message", "session_id"), "s1", "invalid_session_id"),
    (("message", "login_number"), 1.5, "invalid_login_number"),
    (DATA, DELETE, "invalid_data"),
    (DATA, [], "invalid_data"),
    (DATA + ("pos_id",), DELETE, "invalid_pos_id"),
    (DATA + ("pos_id",), "1", "invalid_pos_id"),
    (DATA + ("run_ID",), DELETE, "invalid_run_id"),
    (DATA + ("run_ID",), 0, "invalid_run_id"),
    (DATA + ("uid",), DELETE, "invalid_uid"),
    (DATA + ("uid",), 12, "invalid_uid"),
    (DATA + ("uid",), "u" * 65, "invalid_uid"),
    (DATA + ("sequence_number",), DELETE, "invalid_sequence_number"),
    (DATA + ("sequence_number",), "1", "invalid_sequence_number"),
    (DATA + ("sequence_number",), 10**9, "invalid_sequence_number"),
    (DATA + ("revision_ID",), DELETE, "invalid_revision_id"),
    (DATA + ("revision_ID",), 0, "invalid_revision_id"),
    (DATA + ("nonce",), DELETE, "invalid_nonce"),
    (DATA + ("nonce",), 7, "invalid_nonce"),
    (DATA + ("new_order",), "yes", "invalid_new_order"),
    (DATA + ("ms_info",), "Alice", "invalid_ms_info"),
    (DATA + ("lines",), {"uid": "A-1"}, "invalid_lines"),
    (DATA + ("lines", 0), [1, 7, {"uid": "A-1"}], "invalid_lines"),
    (DATA + ("lines", 0), [0, 0, {"uid": 1}], "invalid_uid"),
    (DATA + ("lines", 0, "uid"), DELETE, "invalid_uid"),
    (DATA + ("lines", 0, "uid"), 1, "invalid_uid"),
    (DATA + ("lines",), [{"uid": "A-1"}, {"uid": "A-1"}], "duplicate_line_uid"),
    (DATA + ("lines",), [{"uid": f"A-{i}"} for i in range(1001)], "too_many_lines"),
]


def test_a_wrong_field_is_refused_and_nothing_is_written(addon_instance, admin_client):
    """One database for every case (installing one per case would take most of the run)."""
    before = row_counts(addon_instance)
    for path, value, code in BAD_UPDATES:
        case = f"{'.'.join(map(str, path))} = {'missing' if value is DELETE else value!r}"[:80]
        body = setting(path, value if value is DELETE else copy.deepcopy(value))(good_update())
        response = admin_client.post(URL, json=body)
        assert response.status_code == 400, (case, response.get_data(as_text=True))
        error = response.get_json()["error"]
        assert error["code"] == code, (case, error)
        assert error["message"], case
    assert row_counts(addon_instance) == before


@pytest.mark.parametrize("path, value, code", [
    (DATA + ("uid",), DELETE, "invalid_uid"),
    (DATA + ("revision_ID",), "1", "invalid_revision_id"),
    (DATA + ("finalized",), "true", "invalid_finalized"),
    (DATA + ("order_data",), "paid", "invalid_order_data"),
    (DATA + ("order_data", "uid"), "B", "invalid_order_data"),
    (DATA + ("order_data", "lines"), 3, "invalid_lines"),
])
def test_a_wrong_removal_is_refused(addon_instance, admin_client, path, value, code):
    before = row_counts(addon_instance)
    response = admin_client.post(URL, json=setting(path, value)(good_removal()))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert row_counts(addon_instance) == before


@pytest.mark.parametrize("field, value, code", [
    ("uid", 5, "invalid_uid"), ("immediate_rerendering", 1, "invalid_immediate_rerendering"),
    ("login_number", "2", "invalid_login_number")])
def test_a_wrong_sync_all_is_refused(admin_client, field, value, code):
    body = Till(None, pos_id=1).params("sync_all", {field: value})
    response = admin_client.post(URL, json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_the_messages_name_the_field_and_what_it_must_be(admin_client):
    body = setting(DATA + ("lines", 0, "uid"), 1)(good_update())
    message = admin_client.post(URL, json=body).get_json()["error"]["message"]
    assert message == ("message.data.lines[0].uid must be a string of 1 to 128 characters, "
                       "not 1")


def test_a_body_that_is_not_json_or_not_an_object(addon_instance, admin_client):
    before = row_counts(addon_instance)
    response = admin_client.post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"
    response = admin_client.post(URL, json=[good_update()])
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_body"
    response = admin_client.post(URL, data="multi_session_id=1")
    assert response.status_code == 415
    response = admin_client.get(URL)
    assert response.status_code == 405
    envelope = {"jsonrpc": "2.0", "method": "call", "params": [1], "id": 1}
    response = admin_client.post(URL, json=envelope)
    assert response.status_code == 400
    assert response.get_json()["error"]["data"]["code"] == "invalid_envelope"
    assert row_counts(addon_instance) == before


def test_a_body_over_the_limit_is_refused(addon_instance, set_parameter, make_app,
                                          admin_client):
    set_parameter("core.max_request_bytes", "2000")
    app = make_app()
    client = app.test_client()
    with admin_client.session_transaction() as theirs, client.session_transaction() as ours:
        ours.update(theirs)
    body = good_update()
    body["message"]["data"]["note"] = "x" * 3000
    response = client.post(URL, json=body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert "core.max_request_bytes" in response.get_json()["error"]["message"]
    assert row_counts(addon_instance)[2] == 0


def test_without_credentials_401(addon_instance, anonymous):
    response = anonymous.post(URL, json=good_update())
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    # Even a malformed update: nobody learns what the server expects without signing in.
    response = anonymous.post(URL, json={"message": 1})
    assert response.status_code == 401
    assert row_counts(addon_instance)[:3] == [0, 0, 0]


def test_a_bad_token_401(anonymous):
    response = anonymous.post(URL, json=good_update(),
                              headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_a_token_is_for_its_own_pos_only(addon_instance, app, token_for):
    client = app.test_client()
    response = client.post(URL, json=good_update(), headers=token_for(2))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert row_counts(addon_instance)[:3] == [0, 0, 0]
    till = Till(client, pos_id=1, headers=token_for(1))
    assert till.update_order(order("A"))["action"] == "update_revision_ID"


def test_allow_public_lets_anonymous_tills_in(addon_instance, set_parameter, make_app,
                                              token_for):
    set_parameter("pos_longpolling.allow_public", "1")
    client = make_app().test_client()
    assert Till(client, pos_id=1).update_order(order("A"))["order_ID"] == 1
    assert bus_messages(addon_instance, 1)[0]["data"]["uid"] == "A"
    # A token that is sent is still checked.
    response = client.post(URL, json=good_update(), headers=token_for(2))
    assert response.status_code == 403


def test_the_message_sent_is_not_changed_by_the_server(admin_client):
    """The view works on a deep copy (the original needed one for its retries)."""
    from addons.pos_multi_session_sync.validation import check_update
    body = good_update()
    kept = copy.deepcopy(body)
    with admin_client.application.test_request_context():
        checked = check_update(body)
    checked.data["lines"].append({"uid": "other"})
    checked.data["uid"] = "changed"
    assert body == kept
