"""HTTP tests of POST /longpolling/poll and POST /pos_longpolling/update: answers, waiting,
the JSON-RPC envelope, who may read which channel, CORS, and every kind of bad input."""
import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select

from addons.pos_longpolling import bus, wakeup
from addons.pos_longpolling.models import BusMessage
from core.models import utc_now


def channel(config_id, name="pos.longpolling", db="test"):
    return bus.pos_channel(db, name, config_id)


def ping(client, pos_id=1, headers=None, db_name="test"):
    return client.post("/pos_longpolling/update", headers=headers,
                       json={"pos_id": pos_id, "message": "PING", "db_name": db_name})


def poll(client, channels, last=0, timeout=0, headers=None):
    return client.post("/longpolling/poll", headers=headers,
                       json={"channels": channels, "last": last, "options": {"timeout": timeout}})


def send(instance, channel_name, message):
    with bus.BusTransaction(instance.engine) as transaction:
        transaction.send(channel_name, message)


# -- answers ----------------------------------------------------------------------------------

def test_a_ping_puts_pong_on_the_pos_channel_and_a_poll_returns_it(admin_client):
    assert ping(admin_client).get_json() == 1
    answer = poll(admin_client, [channel(1)])
    assert answer.status_code == 200
    [message] = answer.get_json()
    assert message == {"id": message["id"], "channel": channel(1), "message": "PONG"}
    # Nothing after it: a poll with last = its id and no wait answers [] at once.
    assert poll(admin_client, [channel(1)], last=message["id"]).get_json() == []


def test_a_poll_returns_only_the_asked_channels_in_id_order_after_last(addon_instance, admin_client):
    send(addon_instance, channel(1), {"n": 1})
    send(addon_instance, channel(2), {"n": 2})
    send(addon_instance, channel(1), {"n": 3})
    messages = poll(admin_client, [channel(1)]).get_json()
    assert [m["message"] for m in messages] == [{"n": 1}, {"n": 3}]
    assert poll(admin_client, [channel(1)], last=messages[0]["id"]).get_json()[0]["message"] == {"n": 3}
    both = poll(admin_client, [channel(2), channel(1)]).get_json()
    assert [m["message"]["n"] for m in both] == [1, 2, 3]


def test_channels_are_matched_whatever_the_spacing_of_their_json(addon_instance, admin_client):
    send(addon_instance, '["test", "pos.longpolling", "1"]', "spaced")
    [message] = poll(admin_client, ['["test","pos.longpolling","1"]']).get_json()
    assert message["channel"] == channel(1) and message["message"] == "spaced"


def test_a_first_poll_gets_recent_messages_only_not_the_whole_retention(addon_instance, admin_client):
    with addon_instance.engine.begin() as connection:
        for text in ('"older"', '"old"'):
            connection.execute(insert(BusMessage).values(
                channel=channel(1), message=text, created_at=utc_now() - timedelta(minutes=30)))
    send(addon_instance, channel(1), "new")
    assert [m["message"] for m in poll(admin_client, [channel(1)]).get_json()] == ["new"]
    # A client that polled before (last > 0) gets everything after its last, however old.
    older_id = poll(admin_client, [channel(1)], last=0).get_json()[0]["id"] - 2
    assert [m["message"] for m in poll(admin_client, [channel(1)], last=older_id).get_json()] == [
        "old", "new"]


def test_the_collector_deletes_messages_older_than_the_retention_only(addon_instance):
    with addon_instance.engine.begin() as connection:
        connection.execute(insert(BusMessage).values(
            channel=channel(1), message='"old"', created_at=utc_now() - timedelta(hours=2)))
    send(addon_instance, channel(1), "new")
    assert bus.collect_garbage(addon_instance.engine, retention_seconds=3600, force=True) == 1
    with addon_instance.engine.connect() as connection:
        assert connection.scalars(select(BusMessage.message)).all() == ['"new"']


# -- waiting ----------------------------------------------------------------------------------

def poll_in_thread(client, timeout):
    """Start a poll of channel 1 in a thread; its answer lands in the list returned."""
    answers = []
    thread = threading.Thread(target=lambda: answers.append(
        poll(client, [channel(1)], timeout=timeout).get_json()))
    thread.start()
    return thread, answers


def wait_until_waiting(instance, count=1, within=5):
    """Until `count` pollers of this process wait on the instance's bus (a condition, not a
    sleep: what happens next then happens to a waiting poller)."""
    dispatcher = wakeup.dispatcher_for(instance.engine)
    deadline = time.monotonic() + within
    while dispatcher.waiting_count() < count:
        assert time.monotonic() < deadline, f"no {count} poller(s) waiting within {within} s"
        time.sleep(0.01)


def test_a_poll_with_nothing_to_read_waits_for_its_timeout_then_answers_empty(
        addon_instance, admin_client):
    thread, answers = poll_in_thread(admin_client, timeout=0.4)
    wait_until_waiting(addon_instance)  # it waits, rather than answering at once
    thread.join(5)
    assert not thread.is_alive() and answers == [[]]


def test_the_server_cycle_caps_the_timeout_a_client_asks_for(addon_instance, set_parameter,
                                                             make_app, admin_client):
    set_parameter("pos_longpolling.poll_timeout", 1)
    client = make_app().test_client()
    client.set_cookie("session", admin_client.get_cookie("session").value)
    thread, answers = poll_in_thread(client, timeout=30)
    wait_until_waiting(addon_instance)
    thread.join(5)  # the 1 s cycle ends it, long before the 30 s it asked for
    assert not thread.is_alive() and answers == [[]]


def test_a_waiting_poll_wakes_when_a_message_commits(addon_instance, admin_client):
    thread, answers = poll_in_thread(admin_client, timeout=30)
    wait_until_waiting(addon_instance)
    send(addon_instance, channel(1), "wake up")
    thread.join(5)  # woken, not at the end of its 30 s
    assert not thread.is_alive()
    [messages] = answers
    assert [m["message"] for m in messages] == ["wake up"]


def test_a_poller_misses_no_message_sent_by_racing_senders(addon_instance):
    """Four threads send 40 messages each, in transactions that stay open a random while (so
    ids are taken out of commit order if nothing prevents it), while a client polls with its
    last id: every message arrives, once, in id order."""
    senders, per_sender = 4, 40
    expected = senders * per_sender

    def sender(number):
        for n in range(per_sender):
            with bus.BusTransaction(addon_instance.engine) as transaction:
                transaction.send(channel(1), {"sender": number, "n": n})
                time.sleep(random.random() * 0.004)

    received, last = [], 0

    def receive():
        nonlocal last
        deadline = time.monotonic() + 60
        while len(received) < expected and time.monotonic() < deadline:
            for message in bus.poll(addon_instance.engine, [channel(1)], last, timeout=0.5):
                received.append(message)
                last = message["id"]

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(senders)]
    receiver = threading.Thread(target=receive)
    for thread in [receiver, *threads]:
        thread.start()
    for thread in [*threads, receiver]:
        thread.join(90)
    ids = [m["id"] for m in received]
    assert ids == sorted(set(ids))
    assert sorted((m["message"]["sender"], m["message"]["n"]) for m in received) == sorted(
        (s, n) for s in range(senders) for n in range(per_sender))


# -- the JSON-RPC envelope --------------------------------------------------------------------

def test_the_routes_answer_odoo_json_rpc_calls_in_the_envelope(admin_client):
    answer = admin_client.post("/pos_longpolling/update", json={
        "jsonrpc": "2.0", "method": "call", "id": 7,
        "params": {"pos_id": 1, "message": "PING", "db_name": "test"}})
    assert answer.get_json() == {"jsonrpc": "2.0", "id": 7, "result": 1}
    answer = admin_client.post("/longpolling/poll", json={
        "jsonrpc": "2.0", "method": "call", "id": 8,
        "params": {"channels": [channel(1)], "last": 0, "options": {}}})
    body = answer.get_json()
    assert body["id"] == 8 and [m["message"] for m in body["result"]] == ["PONG"]


def test_errors_in_the_envelope_keep_their_status_and_say_what_is_wrong(admin_client, anonymous):
    answer = admin_client.post("/longpolling/poll", json={
        "jsonrpc": "2.0", "method": "call", "id": 9, "params": {"channels": "nope"}})
    assert answer.status_code == 400
    assert answer.get_json() == {"jsonrpc": "2.0", "id": 9, "error": {
        "code": 400, "message": answer.get_json()["error"]["message"],
        "data": {"code": "invalid_channels"}}}
    assert "channels must be" in answer.get_json()["error"]["message"]
    answer = anonymous.post("/longpolling/poll", json={
        "jsonrpc": "2.0", "id": 1, "params": {"channels": [channel(1)], "last": 0}})
    assert answer.status_code == 401 and answer.get_json()["error"]["data"]["code"] == "unauthorized"


@pytest.mark.parametrize("envelope, code", [
    ({"jsonrpc": "1.0", "params": {}}, "invalid_envelope"),
    ({"jsonrpc": "2.0", "params": ["positional"]}, "invalid_envelope"),
])
def test_a_broken_envelope_is_refused(admin_client, envelope, code):
    answer = admin_client.post("/longpolling/poll", json=envelope)
    assert answer.status_code == 400 and answer.get_json()["error"]["data"]["code"] == code


# -- who may read what ------------------------------------------------------------------------

def test_anonymous_callers_are_refused_by_default(anonymous):
    for answer in (poll(anonymous, [channel(1)]), ping(anonymous)):
        assert answer.status_code == 401
        assert "sign in" in answer.get_json()["error"]["message"]


def test_hook_longpolling_pos_channels_and_the_token_limit_what_it_reads(anonymous,
                                                                          token_for):
    """Checked by all three elements of the channel: instance, name, config."""
    headers = token_for(1)
    assert ping(anonymous, 1, headers=headers).get_json() == 1
    assert poll(anonymous, [channel(1)], headers=headers).status_code == 200
    for other in (channel(2), channel(1, db="other-instance"),
                  channel(1, "pos.multi_session"), channel(1, "pos.anything")):
        refused = poll(anonymous, [channel(1), other], headers=headers)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "forbidden_channel"
    # pos.multi_session is no channel of this server: pos_multi_session_sync is not installed.
    assert "'pos.multi_session' is not a POS channel" in refused_message(
        poll(anonymous, [channel(1, "pos.multi_session")], headers=headers))
    assert channel(2) in refused_message(poll(anonymous, [channel(2)], headers=headers))
    assert poll(anonymous, ["not-a-pos-channel"], headers=headers).status_code == 403
    assert ping(anonymous, 2, headers=headers).status_code == 403
    other_instance = ping(anonymous, 1, headers=headers, db_name="other-instance")
    assert other_instance.status_code == 403
    assert other_instance.get_json()["error"]["code"] == "forbidden_db"


def refused_message(response):
    assert response.status_code == 403
    return response.get_json()["error"]["message"]


def test_a_bad_or_expired_token_is_refused(anonymous):
    answer = poll(anonymous, [channel(1)], headers={"Authorization": "Bearer forged"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "invalid_token"


def test_a_signed_in_user_reads_any_channel(admin_client):
    assert poll(admin_client, [channel(1), channel(2), "anything"]).status_code == 200


def test_a_signed_in_poll_reads_without_a_transaction_on_postgresql(addon_instance,
                                                                     admin_client):
    """The session check and the bus read of a poll are one round trip each on PostgreSQL
    (autocommit: no BEGIN before, no ROLLBACK after); tills poll several times a second. (The
    first poll of the process also collects old messages: a write, in a transaction.)"""
    if addon_instance.engine.dialect.name != "postgresql":
        pytest.skip("SQLite reads have no round trips to save; set CORE_TEST_DB to run this")
    in_transaction = []

    def seen(connection, _cursor, statement, _parameters, _context, _executemany):
        # psycopg sends BEGIN with the first statement of a connection not in autocommit
        in_transaction.append((statement.split()[0],
                               not connection.connection.dbapi_connection.autocommit))

    event.listen(addon_instance.engine, "before_cursor_execute", seen)
    try:
        answer = admin_client.post("/longpolling/poll", json={
            "channels": [channel(1)], "last": 0, "options": {"timeout": 0}})
    finally:
        event.remove(addon_instance.engine, "before_cursor_execute", seen)
    assert answer.status_code == 200
    reads = [opens for verb, opens in in_transaction if verb == "SELECT"]
    assert len(reads) == 2 and not any(reads), in_transaction  # the session, the bus


def test_allow_public_lets_anonymous_callers_in_but_still_checks_a_sent_token(
        set_parameter, make_app):
    set_parameter("pos_longpolling.allow_public", True)
    client = make_app().test_client()
    assert ping(client, 2).get_json() == 1
    assert [m["message"] for m in poll(client, [channel(2)]).get_json()] == ["PONG"]
    answer = poll(client, [channel(2)], headers={"Authorization": "Bearer forged"})
    assert answer.status_code == 401


# -- CORS -------------------------------------------------------------------------------------

def preflight(client, path, origin):
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_no_cors_headers_unless_origins_are_configured(anonymous):
    answer = preflight(anonymous, "/longpolling/poll", "https://till.example")
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_configured_origins_get_preflight_answers_and_cors_headers(set_parameter, make_app,
                                                                   token_for):
    set_parameter("pos_longpolling.cors_origins", "https://till.example, https://other.example")
    client = make_app().test_client()
    for path in ("/longpolling/poll", "/pos_longpolling/update"):
        answer = preflight(client, path, "https://till.example")
        assert answer.status_code == 204 and answer.get_data() == b""
        assert answer.headers["Access-Control-Allow-Origin"] == "https://till.example"
        assert "POST" in answer.headers["Access-Control-Allow-Methods"]
        assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()
        assert int(answer.headers["Access-Control-Max-Age"]) > 0
    answer = ping(client, 1, headers={**token_for(1), "Origin": "https://other.example"})
    assert answer.get_json() == 1
    assert answer.headers["Access-Control-Allow-Origin"] == "https://other.example"
    stranger = preflight(client, "/longpolling/poll", "https://evil.example")
    assert "Access-Control-Allow-Origin" not in stranger.headers
    # The admin pages never get CORS headers.
    assert "Access-Control-Allow-Origin" not in preflight(client, "/web/login",
                                                          "https://till.example").headers


def test_a_star_allows_every_origin(set_parameter, make_app):
    set_parameter("pos_longpolling.cors_origins", "*")
    answer = preflight(make_app().test_client(), "/longpolling/poll", "https://any.example")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] in ("*", "https://any.example")


# -- bad input --------------------------------------------------------------------------------

BAD_POLL_BODIES = [
    ({"last": 0}, "invalid_channels"),
    ({"channels": []}, "invalid_channels"),
    ({"channels": "[\"test\",\"pos.longpolling\",\"1\"]"}, "invalid_channels"),
    ({"channels": [1]}, "invalid_channels"),
    ({"channels": [""]}, "invalid_channels"),
    ({"channels": ["x" * 256]}, "invalid_channels"),
    ({"channels": [f"c{i}" for i in range(101)]}, "too_many_channels"),
    ({"channels": ["c"], "last": -1}, "invalid_last"),
    ({"channels": ["c"], "last": "3"}, "invalid_last"),
    ({"channels": ["c"], "last": True}, "invalid_last"),
    ({"channels": ["c"], "last": 1.5}, "invalid_last"),
    ({"channels": ["c"], "options": []}, "invalid_options"),
    ({"channels": ["c"], "options": {"timeout": -1}}, "invalid_timeout"),
    ({"channels": ["c"], "options": {"timeout": "10"}}, "invalid_timeout"),
]


@pytest.mark.parametrize("body, code", BAD_POLL_BODIES)
def test_bad_poll_bodies_get_400_with_the_field_named(admin_client, body, code):
    answer = admin_client.post("/longpolling/poll", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == code


@pytest.mark.parametrize("body, code", [
    ({"message": "PING"}, "invalid_pos_id"),
    ({"pos_id": 0, "message": "PING"}, "invalid_pos_id"),
    ({"pos_id": "1", "message": "PING"}, "invalid_pos_id"),
    ({"pos_id": True, "message": "PING"}, "invalid_pos_id"),
    ({"pos_id": 1}, "invalid_message"),
    ({"pos_id": 1, "message": "PONG"}, "invalid_message"),
    ({"pos_id": 1, "message": "PING", "db_name": 5}, "invalid_db_name"),
    ({"pos_id": 1, "message": "PING", "db_name": ""}, "invalid_db_name"),
])
def test_bad_update_bodies_get_400_and_send_nothing(addon_instance, admin_client, body, code):
    answer = admin_client.post("/pos_longpolling/update", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == code
    with addon_instance.engine.connect() as connection:
        assert connection.scalars(select(BusMessage.id)).all() == []


@pytest.mark.parametrize("path", ["/longpolling/poll", "/pos_longpolling/update"])
def test_bodies_that_are_not_a_json_object_are_refused(admin_client, path):
    assert admin_client.post(path, data="channels=1").status_code == 415
    malformed = admin_client.post(path, data="{", content_type="application/json")
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"] == "malformed_json"
    array = admin_client.post(path, json=[1, 2])
    assert array.status_code == 400 and "JSON object" in array.get_json()["error"]["message"]
    assert admin_client.get(path).status_code == 405


def test_an_oversized_body_gets_413(set_parameter, make_app, admin_client):
    set_parameter("core.max_request_bytes", 2000)
    client = make_app().test_client()
    client.set_cookie("session", admin_client.get_cookie("session").value)
    answer = client.post("/longpolling/poll", json={"channels": ["c" * 200] * 20, "last": 0})
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "payload_too_large"


def test_the_page_data_names_the_db_and_the_config_fields(addon_instance, admin_client):
    data = admin_client.get("/pos/config/1/data").get_json()
    assert data["longpolling"] == {"db_name": addon_instance.db_name}
    assert data["config"]["longpolling_max_silence_timeout"] == 60
    assert data["config"]["longpolling_pong_timeout"] == 10
    assert data["config"]["autostart_longpolling"] is True
