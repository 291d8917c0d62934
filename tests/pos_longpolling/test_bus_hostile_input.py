"""Hostile input on the bus routes (POST /longpolling/poll, POST /pos_longpolling/update, plain
and JSON-RPC): a 400 JSON error, never a 5xx or a poll that never ends, nothing written
(issue #10 items 3 and 4)."""
import json

import pytest
from hypothesis import HealthCheck, given, settings

from addons.pos_longpolling import bus
from addons.pos_longpolling.access import pos_channel_parts
from tests import hostile_json as hj
from tests.support import scalar, signed_in_client

POLL, PING = "/longpolling/poll", "/pos_longpolling/update"


def bus_rows(instance):
    return scalar(instance, "SELECT count(*) FROM pos_longpolling_message")


def post_text(client, path, body):
    return client.post(path, data=body.encode("utf-8", "surrogatepass"),
                       content_type="application/json")


def poll_with(path, raw, dbname):
    return hj.json_text(hj.with_text_at(hj.poll_body(dbname), path, raw))


def cases(dbname):
    return {
        "NaN timeout (a poll that never ends)": (
            POLL, poll_with(("options", "timeout"), "NaN", dbname), "non_finite_number"),
        "Infinity timeout": (POLL, poll_with(("options", "timeout"), "Infinity", dbname),
                             "non_finite_number"),
        "1e400 timeout": (POLL, poll_with(("options", "timeout"), "1e400", dbname),
                          "number_out_of_range"),
        "10^400 timeout": (POLL, poll_with(("options", "timeout"), "1" + "0" * 400, dbname),
                           "number_too_long"),
        "10^400 last": (POLL, poll_with(("last",), "1" + "0" * 400, dbname), "number_too_long"),
        "2^64 last": (POLL, poll_with(("last",), str(2**64), dbname), "number_out_of_range"),
        "lone surrogate channel": (POLL, poll_with(("channels", 0), '"\\udc00"', dbname),
                                   "lone_surrogate"),
        "NUL channel": (POLL, poll_with(("channels", 0), '"a\\u0000"', dbname),
                        "nul_character"),
        "nested 1,000 deep": (POLL, hj.deep_array(), "too_deep"),
        "10^400 pos_id": (PING, hj.json_text({**hj.ping_body(dbname),
                                              "pos_id": hj.Raw("1" + "0" * 400)}),
                          "number_too_long"),
        "NaN JSON-RPC id": (PING, '{"jsonrpc": "2.0", "id": NaN, "params": '
                            + json.dumps(hj.ping_body(dbname)) + "}", "non_finite_number"),
        "lone surrogate db_name": (PING, hj.json_text({**hj.ping_body(dbname),
                                                       "db_name": "\ud800"}), "lone_surrogate"),
    }


CASE_NAMES = list(cases("db"))


@pytest.mark.parametrize("case", CASE_NAMES)
def test_hostile_bus_calls_are_refused_and_write_nothing(addon_instance, admin_client, case):
    path, body, code = cases(addon_instance.db_name)[case]
    before = bus_rows(addon_instance)
    response = post_text(admin_client, path, body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert json.loads(response.get_data(as_text=True))["error"]["code"] == code
    assert bus_rows(addon_instance) == before


@pytest.fixture
def quick_polls(addon_instance, set_parameter, make_app):
    """A signed-in client of an app whose polls wait at most a second."""
    set_parameter("pos_longpolling.poll_timeout", 1)
    return signed_in_client(make_app(), addon_instance)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=hj.st.data())
def test_hostile_bus_calls_never_make_a_5xx(addon_instance, quick_polls, data):
    dbname = addon_instance.db_name
    path, valid = data.draw(hj.st.sampled_from([
        (POLL, hj.poll_body(dbname)), (POLL, hj.envelope(hj.poll_body(dbname))),
        (PING, hj.ping_body(dbname)), (PING, hj.envelope(hj.ping_body(dbname)))]))
    body = data.draw(hj.hostile_bodies(valid))
    response = post_text(quick_polls, path, body)
    assert response.status_code < 500
    answer = json.loads(response.get_data(as_text=True), parse_constant=pytest.fail)
    if response.status_code >= 400:
        assert "error" in answer


@pytest.mark.parametrize("last", [2**63 - 1, 2**31])
def test_the_largest_last_a_poll_may_send_is_answered(addon_instance, admin_client, last):
    body = {**hj.poll_body(addon_instance.db_name), "last": last}
    response = admin_client.post(POLL, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == []


INNER_CHANNELS = {
    "lone surrogate escape": '["{db}","pos.longpolling","\\ud800"]',
    "NUL escape": '["{db}","pos.longpolling","\\u0000"]',
    "NaN": '["{db}","pos.longpolling",NaN]',
    "1e400": '["{db}","pos.longpolling",1e400]',
}


@pytest.mark.parametrize("case", INNER_CHANNELS)
def test_a_channel_is_parsed_again_by_the_strict_reader(addon_instance, quick_polls, app,
                                                        case):
    """A channel is a JSON string parsed again (to normalise it and to read its POS): what the
    strict reader refuses in a body (an escaped lone surrogate or NUL, NaN) is never decoded
    into a channel name (a surrogate reached PostgreSQL as a 500; NaN became the channel
    `null`), and a token's POS check does not read it as its POS."""
    channel = INNER_CHANNELS[case].replace("{db}", addon_instance.db_name)
    body = {"channels": [channel], "last": 0, "options": {"timeout": 0}}
    response = quick_polls.post(POLL, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == []
    assert bus.normalise_channel(channel) == channel
    assert pos_channel_parts(channel) is None
