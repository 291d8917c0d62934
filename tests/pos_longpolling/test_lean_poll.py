"""lean_poll.LeanPoll: anonymous polls (allow_public) answered below Flask's dispatch, exactly
as the route answers them; everything else, errors included, still Flask's."""
import pytest

from addons.pos_longpolling import bus

from .test_longpolling_http import BAD_POLL_BODIES, channel, ping, poll, send


@pytest.fixture
def public_app(set_parameter, make_app):
    set_parameter("pos_longpolling.allow_public", True)
    return make_app()


@pytest.fixture
def flask_polls(public_app, monkeypatch):
    """The polls Flask's route answered (the lean path answers the others)."""
    answered = []
    view = public_app.view_functions["longpolling.poll"]

    def counted(*args, **kwargs):
        answered.append(1)
        return view(*args, **kwargs)
    monkeypatch.setitem(public_app.view_functions, "longpolling.poll", counted)
    return answered


def test_an_anonymous_poll_is_answered_below_flask_as_flask_answers_it(
        addon_instance, public_app, flask_polls, token_for):
    client = public_app.test_client()
    assert ping(client, 1).get_json() == 1
    send(addon_instance, channel(1), {"n": 1, "text": "é ✓"})
    lean = poll(client, [channel(1)])
    assert flask_polls == []
    routed = poll(client, [channel(1)], headers=token_for(1))  # a token: Flask's route
    assert flask_polls == [1]
    assert lean.status_code == routed.status_code == 200
    assert lean.get_data() == routed.get_data()
    assert sorted(lean.headers.items()) == sorted(routed.headers.items())
    assert [m["message"] for m in lean.get_json()] == ["PONG", {"n": 1, "text": "é ✓"}]


def test_the_envelope_is_answered_below_flask_too(public_app, flask_polls):
    client = public_app.test_client()
    ping(client, 2)
    for call_id in (8, "eight", None):
        answer = client.post("/longpolling/poll", json={
            "jsonrpc": "2.0", "method": "call", "id": call_id,
            "params": {"channels": [channel(2)], "last": 0, "options": {"timeout": 0}}})
        body = answer.get_json()
        assert body["jsonrpc"] == "2.0" and body["id"] == call_id
        assert [m["message"] for m in body["result"]] == ["PONG"]
    assert flask_polls == []


@pytest.mark.parametrize("body, code", BAD_POLL_BODIES)
def test_a_refused_poll_gets_flasks_error(public_app, flask_polls, body, code):
    answer = public_app.test_client().post("/longpolling/poll", json=body)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == code
    assert flask_polls == [1]


@pytest.mark.parametrize("request_args, status", [
    ({"json": {"jsonrpc": "1.0", "params": {}}}, 400),
    ({"json": {"jsonrpc": "2.0", "id": [1], "params": {}}}, 400),
    ({"json": [1, 2]}, 400),
    ({"data": "{", "content_type": "application/json"}, 400),
    ({"data": "channels=1"}, 415),
    ({"json": {"channels": ["c"]}, "query_string": "a=%00"}, 400),
    ({"json": {"channels": ["c"]}, "headers": {"Authorization": "Bearer forged"}}, 401),
])
def test_anything_unusual_goes_to_flask(public_app, flask_polls, request_args, status):
    answer = public_app.test_client().post("/longpolling/poll", **request_args)
    assert answer.status_code == status
    assert len(flask_polls) <= 1  # a 415 or a broken body never reaches the view


@pytest.mark.parametrize("length", ["²", "٣", "0", "1" * 20])
def test_a_content_length_that_is_not_plain_digits_goes_to_flask(public_app, flask_polls, length):
    answer = public_app.test_client().post("/longpolling/poll", json={"channels": ["c"]},
                                           environ_overrides={"CONTENT_LENGTH": length})
    assert 400 <= answer.status_code < 500 and "error" in answer.get_json()


def test_a_database_error_goes_to_flask_which_answers_503(public_app, flask_polls,
                                                           monkeypatch):
    from sqlalchemy.exc import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("database is locked"))
    monkeypatch.setattr(bus, "poll", unreachable)
    answer = poll(public_app.test_client(), [channel(1)])
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "database_unavailable"
    assert flask_polls == [1]


def test_without_allow_public_or_with_cors_origins_flask_answers(set_parameter, make_app,
                                                                 token_for):
    set_parameter("pos_longpolling.cors_origins", "https://till.example")
    set_parameter("pos_longpolling.allow_public", True)
    client = make_app().test_client()
    ping(client, 1)
    answer = poll(client, [channel(1)], headers={"Origin": "https://till.example"})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "https://till.example"
