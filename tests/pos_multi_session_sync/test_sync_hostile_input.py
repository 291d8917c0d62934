"""Hostile input on POST /pos_multi_session_sync/update (plain and JSON-RPC): non-finite
numbers, deep nesting, lone surrogates, NUL bytes and out-of-range integers get a 400 JSON
error, nothing is stored and nothing is broadcast (issue #10 items 3 and 4)."""
import json

import pytest
from hypothesis import HealthCheck, given, settings

from tests import hostile_json as hj
from tests.pos_multi_session_sync.sync_helpers import DBNAME, URL, Till, line, order
from tests.support import scalar

TABLES = ["pos_multi_session_sync_order", "pos_longpolling_message"]


def row_counts(instance):
    return [scalar(instance, f"SELECT count(*) FROM {table}") for table in TABLES]


def an_update():
    return Till(None, pos_id=1).params("update_order", order("A", [line("A", number=1)]))


def post_text(client, body):
    return client.post(URL, data=body.encode("utf-8", "surrogatepass"),
                       content_type="application/json")


def in_line(raw):
    """An update whose first line's qty is the JSON text `raw`."""
    return hj.json_text(hj.with_text_at(an_update(), ("message", "data", "lines", 0, "qty"),
                                        raw))


CASES = {
    "NaN qty (browsers cannot parse it back)": (in_line("NaN"), "non_finite_number"),
    "Infinity qty": (in_line("Infinity"), "non_finite_number"),
    "-Infinity qty": (in_line("-Infinity"), "non_finite_number"),
    "1e400 qty": (in_line("1e400"), "number_out_of_range"),
    "10^400 qty": (in_line("1" + "0" * 400), "number_too_long"),
    "2^64 run_ID": (hj.json_text(hj.with_text_at(an_update(), ("message", "data", "run_ID"),
                                                 str(2**64))), "number_out_of_range"),
    "data nested 500 deep": (in_line(hj.deep_array(500)), "too_deep"),
    "body nested 1,000 deep": (hj.deep_object(), "too_deep"),
    "lone surrogate in a line": (in_line(json.dumps("\ud800")), "lone_surrogate"),
    "NUL in a line": (in_line(json.dumps("a\x00b")), "nul_character"),
    "NaN JSON-RPC id": ('{"jsonrpc": "2.0", "method": "call", "id": NaN, "params": '
                        + hj.json_text(an_update()) + "}", "non_finite_number"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_update_is_refused_and_writes_nothing(addon_instance, admin_client, case):
    body, code = CASES[case]
    before = row_counts(addon_instance)
    response = post_text(admin_client, body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert json.loads(response.get_data(as_text=True))["error"]["code"] == code
    assert row_counts(addon_instance) == before


@pytest.mark.parametrize("call_id", [{"a": 1}, [1], True])
def test_a_json_rpc_id_that_is_not_a_string_or_number_is_refused(addon_instance, admin_client,
                                                                 call_id):
    before = row_counts(addon_instance)
    response = admin_client.post(URL, json={"jsonrpc": "2.0", "method": "call", "id": call_id,
                                         "params": an_update()})
    assert response.status_code == 400
    answer = json.loads(response.get_data(as_text=True))
    assert answer["id"] is None and answer["error"]["data"]["code"] == "invalid_envelope"
    assert row_counts(addon_instance) == before


def test_what_the_sync_server_broadcasts_is_standard_json(addon_instance, admin_client):
    Till(admin_client, pos_id=1).update_order(order("B", [line("B", qty=1.5, number=1)]))
    with addon_instance.engine.connect() as connection:
        texts = [row[0] for row in connection.exec_driver_sql(
            "SELECT message FROM pos_longpolling_message")]
    assert texts
    for text in texts:
        json.loads(text, parse_constant=pytest.fail)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=hj.hostile_bodies(hj.sync_body(DBNAME)) | hj.hostile_bodies(
    hj.envelope(hj.sync_body(DBNAME, action="sync_all"))))
def test_hostile_updates_never_make_a_5xx_or_store_bad_json(addon_instance, admin_client, body):
    response = post_text(admin_client, body)
    assert response.status_code < 500
    json.loads(response.get_data(as_text=True), parse_constant=pytest.fail)
    with addon_instance.engine.connect() as connection:
        for (text,) in connection.exec_driver_sql(
                "SELECT order_json FROM pos_multi_session_sync_order"):
            json.loads(text, parse_constant=pytest.fail)


def remove_order_with_order_data(raw_order_data):
    """A remove_order of an order never sent (paid offline) whose `order_data` is the JSON
    *string* `raw_order_data` (what the original sends: JSON.stringify of the order)."""
    update = Till(None, pos_id=1).params("remove_order", {"uid": "B", "revision_ID": 1,
                                                          "finalized": True})
    update["message"]["data"]["order_data"] = raw_order_data
    return json.dumps(update)


def order_data_with(raw, path=("lines", 0, "qty")):
    """The JSON text of order B (paid offline) with the JSON text `raw` at `path`."""
    return hj.json_text(hj.with_text_at(order("B", [line("B", number=1)]), path, raw))


ORDER_DATA_STRINGS = {
    "1e400": (order_data_with("1e400"), "number_out_of_range"),
    "NaN": (order_data_with("NaN"), "non_finite_number"),
    "lone surrogate": (order_data_with('"\\ud800"', ("partner_id",)), "lone_surrogate"),
    "NUL": (order_data_with('"a\\u0000b"', ("partner_id",)), "nul_character"),
    "2^64": (order_data_with(str(2**64)), "number_out_of_range"),
    "nested 1,000 deep": (order_data_with(hj.deep_array(), ("partner_id",)), "too_deep"),
}


@pytest.mark.parametrize("case", ORDER_DATA_STRINGS)
def test_order_data_sent_as_a_json_string_goes_through_the_strict_reader(
        addon_instance, admin_client, case):
    """order_data as a string is parsed again: with the limits of every JSON body (a 1e400 or
    a lone surrogate inside it made a 500 on both databases)."""
    text, code = ORDER_DATA_STRINGS[case]
    before = row_counts(addon_instance)
    response = post_text(admin_client, remove_order_with_order_data(text))
    assert response.status_code == 400, response.get_data(as_text=True)
    error = json.loads(response.get_data(as_text=True))["error"]
    assert error["code"] == code and "order_data" in error["message"]
    assert row_counts(addon_instance) == before


def test_a_valid_string_order_data_is_still_stored(addon_instance, admin_client):
    before = row_counts(addon_instance)
    response = post_text(admin_client, remove_order_with_order_data(order_data_with("2")))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert row_counts(addon_instance)[0] == before[0] + 1


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=hj.bad_scalars())
def test_any_value_inside_a_string_order_data_never_makes_a_5xx(addon_instance, admin_client,
                                                                 raw):
    response = post_text(admin_client, remove_order_with_order_data(order_data_with(raw)))
    assert response.status_code < 500, response.get_data(as_text=True)
    json.loads(response.get_data(as_text=True), parse_constant=pytest.fail)
