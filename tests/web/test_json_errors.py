"""JSON endpoints say every error the same way: {"error": {"code": ..., "message": ...}}."""
import json
from io import BytesIO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from core.web import create_app
from core.web.reloader import ReloadingApp
from tests.web.web_helpers import item_count

ITEMS = "/base_thing/items"


def assert_error(response, status, code=None):
    """The response is a JSON error of `status` with the one error shape; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def items_client(instance, make_app):
    """A client of an app where base_thing (and its JSON routes) is installed."""
    instance.install(["base_thing"])
    return make_app().test_client()


def test_the_items_route_lists_and_creates_items(items_client, instance):
    assert items_client.get(ITEMS).get_json() == {
        "items": [{"id": 100, "label": "installed marker"}]}
    response = items_client.post(ITEMS, json={"label": "  Espresso "})
    assert response.status_code == 201
    assert response.get_json() == {"id": 101, "label": "Espresso"}
    assert item_count(instance) == 2


def test_malformed_json_is_refused(items_client, instance):
    response = items_client.post(ITEMS, data='{"label": "unclosed',
                                 content_type="application/json")
    error = assert_error(response, 400, "malformed_json")
    assert error["message"].startswith("the body is not valid JSON")
    assert item_count(instance) == 1


def test_an_empty_body_is_malformed_json(items_client):
    assert_error(items_client.post(ITEMS, data="", content_type="application/json"), 400,
                 "malformed_json")


def test_a_body_shorter_than_its_content_length_is_malformed_and_writes_nothing(items_client,
                                                                               instance):
    body = b'{"label": "Tea"}'
    response = items_client.post(ITEMS, data=body, content_type="application/json",
                                 environ_overrides={"CONTENT_LENGTH": str(len(body) + 10)})
    error = assert_error(response, 400, "malformed_json")
    assert f"after {len(body)} of the {len(body) + 10} bytes" in error["message"]
    assert item_count(instance) == 1


def test_a_body_that_is_not_utf8_is_malformed_json(items_client):
    assert_error(items_client.post(ITEMS, data=b'{"label": "\xff\xfe"}',
                                   content_type="application/json"), 400, "malformed_json")


def test_a_json_body_that_is_not_an_object_is_refused_with_its_json_type(items_client,
                                                                         instance, subtests):
    for body, named in [([{"label": "x"}], "an array"), ("x", "a string"), (3, "a number"),
                        (2.5, "a number"), (True, "a boolean"), (None, "null")]:
        with subtests.test(body=body):
            response = items_client.post(ITEMS, data=json.dumps(body),
                                         content_type="application/json")
            error = assert_error(response, 400, "invalid_body")
            assert error["message"] == f"the body must be a JSON object, not {named}"
    assert item_count(instance) == 1


def test_a_body_sent_with_another_content_type_is_refused(items_client, instance, subtests):
    for content_type in ["text/plain", "application/x-www-form-urlencoded", None]:
        with subtests.test(content_type=content_type):
            headers = {"Content-Type": content_type} if content_type else {}
            response = items_client.post(ITEMS, data='{"label": "x"}', headers=headers)
            error = assert_error(response, 415, "unsupported_media_type")
            assert "Content-Type: application/json" in error["message"]
    assert item_count(instance) == 1


def test_a_missing_or_empty_label_is_refused(items_client, instance, subtests):
    for body in [{}, {"label": ""}, {"label": "   "}, {"label": 5}, {"label": None},
                 {"label": ["x"]}, {"name": "x"}]:
        with subtests.test(body=body):
            error = assert_error(items_client.post(ITEMS, json=body), 400, "invalid_label")
            assert error["message"] == "'label' must be a non-empty string"
    assert item_count(instance) == 1


def test_an_unknown_path_is_a_json_not_found(items_client, subtests):
    for path in ["/nope", "/base_thing/nope", "/base_thing/items/1", "/webby"]:
        with subtests.test(path=path):
            error = assert_error(items_client.get(path), 404, "not_found")
            assert error["message"] == "no such endpoint; check the URL and the installed addons"


def test_a_wrong_method_is_a_json_method_not_allowed_that_says_what_is(items_client,
                                                                       instance, subtests):
    for method in ["DELETE", "PUT", "PATCH"]:
        with subtests.test(method=method):
            response = items_client.open(ITEMS, method=method, json={"label": "x"})
            error = assert_error(response, 405, "method_not_allowed")
            assert error["message"] == f"this endpoint does not accept {method}"
            assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert item_count(instance) == 1


def test_an_oversized_body_is_refused_and_nothing_is_written(instance, make_app):
    instance.install(["base_thing"])
    with instance.engine.begin() as connection:
        instance.parameters(connection).set("core.max_request_bytes", "64")
    client = make_app().test_client()
    small = client.post(ITEMS, json={"label": "fits"})
    assert small.status_code == 201
    response = client.post(ITEMS, json={"label": "x" * 100})
    error = assert_error(response, 413, "payload_too_large")
    assert "64 bytes" in error["message"] and "core.max_request_bytes" in error["message"]
    assert item_count(instance) == 2


def post_chunked(client, body):
    """POST `body` as a streamed upload that announces no Content-Length, as a chunked request
    reaches the app from a server that de-chunks it (gevent's sets wsgi.input_terminated)."""
    return client.post(ITEMS, input_stream=BytesIO(body),
                       headers={"Content-Type": "application/json",
                                "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_an_oversized_body_without_a_content_length_is_refused_too(instance, make_app):
    """The limit must hold while a body of unannounced size is read, not only cut it short."""
    instance.install(["base_thing"])
    with instance.engine.begin() as connection:
        instance.parameters(connection).set("core.max_request_bytes", "64")
    client = make_app().test_client()
    assert_error(post_chunked(client, json.dumps({"label": "x" * 100}).encode()), 413,
                 "payload_too_large")
    # what is past the limit is blank: cut there, the body would parse, but it is still too big
    assert_error(post_chunked(client, b'{"label": "x"}' + b" " * 100), 413, "payload_too_large")
    assert item_count(instance) == 1


@pytest.mark.parametrize("size", [20, 64])
def test_a_body_without_a_content_length_within_the_limit_is_accepted(instance, make_app,
                                                                      size):
    instance.install(["base_thing"])
    with instance.engine.begin() as connection:
        instance.parameters(connection).set("core.max_request_bytes", "64")
    client = make_app().test_client()
    body = b'{"label": "x"}'.ljust(size)
    assert len(body) == size
    assert post_chunked(client, body).status_code == 201
    assert item_count(instance) == 2


def test_the_routes_of_an_addon_that_is_not_installed_do_not_exist(anonymous):
    assert_error(anonymous.get(ITEMS), 404, "not_found")
    assert_error(anonymous.post(ITEMS, json={"label": "x"}), 404, "not_found")


def test_the_routes_of_an_uninstalled_addon_are_gone_from_the_next_app(instance, make_app):
    instance.install(["base_thing"])
    assert make_app().test_client().get(ITEMS).status_code == 200
    instance.uninstall(["base_thing"])
    assert_error(make_app().test_client().get(ITEMS), 404, "not_found")


def test_admin_pages_keep_html_errors(anonymous):
    response = anonymous.get("/web/no_such_page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_the_reloading_app_serves_an_addon_installed_without_a_restart(instance):
    client = Client(ReloadingApp(instance, lambda inst: create_app(instance=inst), interval=0))
    assert_error(client.get(ITEMS), 404, "not_found")
    instance.install(["base_thing"])  # as `core install` in another process would
    response = client.get(ITEMS)
    assert response.status_code == 200
    assert response.get_json() == {"items": [{"id": 100, "label": "installed marker"}]}
    instance.uninstall(["base_thing"])
    assert_error(client.get(ITEMS), 404, "not_found")


def test_the_reloading_app_picks_up_a_new_body_size_limit(instance):
    instance.install(["base_thing"])
    client = Client(ReloadingApp(instance, lambda inst: create_app(instance=inst), interval=0))
    body = {"label": "x" * 60}  # 73 bytes of JSON
    assert client.post(ITEMS, json=body).status_code == 201
    with instance.engine.begin() as connection:  # as `core param set` would
        instance.parameters(connection).set("core.max_request_bytes", "64")
    assert_error(client.post(ITEMS, json=body), 413, "payload_too_large")
    assert item_count(instance) == 2


def test_the_reloading_app_keeps_its_app_while_nothing_changes(instance):
    built = []

    def build(inst):
        built.append(create_app(instance=inst))
        return built[-1]

    client = Client(ReloadingApp(instance, build, interval=0))
    for _ in range(3):
        client.get("/web/login")
    assert len(built) == 1


# -- property: whatever non-object JSON comes in, the answer is a clean 4xx -------------------

# Within the limits where JSON is read (64-bit integers, no NUL, no lone UTF-16 surrogate: see
# core.web.strict_json; each of those is refused by its own code, tested above, before the shape).
json_strings = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]),
                       max_size=20)
json_primitives = (st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63 - 1)
                   | st.floats(allow_nan=False, allow_infinity=False) | json_strings)
json_values = st.recursive(
    json_primitives,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(json_strings, children, max_size=4),
    max_leaves=12)
not_objects = json_primitives | st.lists(json_values, max_size=4)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=not_objects)
def test_any_json_body_that_is_not_an_object_gets_a_4xx_error_and_writes_nothing(
        items_client, instance, body):
    before = item_count(instance)
    response = items_client.post(ITEMS, data=json.dumps(body), content_type="application/json")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code, "invalid_body")
    assert item_count(instance) == before


def test_an_http_error_raised_by_an_addon_keeps_its_own_message(instance):
    from flask import abort

    from core.web import create_app
    app = create_app(instance=instance)
    app.add_url_rule("/braces", "braces", lambda: abort(400, 'send {"label": "..."}'))
    response = app.test_client().get("/braces")
    assert response.status_code == 400
    assert response.json == {"error": {"code": "bad_request", "message": 'send {"label": "..."}'}}


def test_a_pool_with_no_free_connection_is_a_503_to_send_again(make_app):
    """Every connection of the process's pool in use past its timeout (a hundred tills pushing
    at once, bench/catch_up.py: 19 of them got a 500) is a 503 with Retry-After, as a busy
    database is: nothing was stored."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout
    app = make_app()

    def exhausted():
        raise PoolTimeout("QueuePool limit of size 20 overflow 10 reached")
    app.add_url_rule("/pool-exhausted", "pool_exhausted", exhausted, methods=["POST"])
    response = app.test_client().post("/pool-exhausted", json={})
    assert_error(response, 503, "database_unavailable")
    assert response.headers["Retry-After"] == "5"
