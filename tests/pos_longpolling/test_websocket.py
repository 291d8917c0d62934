"""The bus over a WebSocket (GET /longpolling/websocket) under a real `core serve`: messages
pushed as they commit, once each and in id order under racing senders, an empty answer per
cycle, credentials checked before the upgrade, a bad subscription refused in words; and on the
POS page, the bus uses the socket and falls back to long polling by itself."""
import json
import os
import threading

import pytest
import requests
import simple_websocket

from addons.pos_longpolling.bus import pos_channel
from tests.pos_longpolling.test_longpolling_browser import (  # noqa: F401 (a fixture)
    RECORD_BUS,
    make_bus_server,
    open_till,
    wait_for_pongs,
)
from tests.support import start_core_server, stop_process_group

pytestmark = pytest.mark.server


@pytest.fixture
def server_url(addon_instance, set_parameter, tmp_path):
    set_parameter("pos_longpolling.poll_timeout", 1)  # a short cycle: empty answers come fast
    env = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}
    server = start_core_server(addon_instance.url, tmp_path, env=env)
    yield server.url
    stop_process_group(server.process)


def connect(url, headers=None):
    return simple_websocket.Client.connect(url.replace("http", "ws", 1) + "/longpolling/websocket",
                                           headers=headers)


def answers(socket, until, timeout=10):
    """Decoded text messages until `until(all so far)` holds."""
    got = []
    while not until(got):
        text = socket.receive(timeout=timeout)
        assert text is not None, f"nothing more after {got}"
        got.append(json.loads(text))
    return got


def test_messages_come_as_they_commit_once_each_in_id_order(addon_instance, server_url,
                                                            token_for):
    headers, db_name = token_for(1, addon_instance.db_name), addon_instance.db_name
    channel = pos_channel(db_name, "pos.longpolling", 1)
    socket = connect(server_url, headers)
    socket.send(json.dumps({"channels": [channel], "last": 0, "options": {"timeout": 1}}))
    assert answers(socket, lambda got: got) == [[]]  # a cycle with nothing: an empty answer

    def pings(count):
        with requests.Session() as session:
            for _ in range(count):
                assert session.post(server_url + "/pos_longpolling/update", headers=headers,
                                    json={"pos_id": 1, "message": "PING",
                                          "db_name": db_name}).json() == 1

    senders = [threading.Thread(target=pings, args=(15,)) for _ in range(3)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(60)
    got = answers(socket, lambda got: sum(len(a) for a in got) >= 45)
    received = [item for answer in got for item in answer]
    ids = [item["id"] for item in received]
    assert ids == sorted(set(ids)) and len(ids) == 45
    assert {(item["channel"], item["message"]) for item in received} == {(channel, "PONG")}
    socket.close()


def test_the_handshake_needs_credentials_and_the_subscription_its_channels(
        addon_instance, server_url, token_for):
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        connect(server_url)
    assert refused.value.status_code == 401
    plain = requests.get(server_url + "/longpolling/websocket", timeout=10)
    assert plain.status_code == 400 and "error" in plain.json()

    for subscription, code in [
            ({"channels": [pos_channel(addon_instance.db_name, "pos.longpolling", 2)]},
             "forbidden_channel"),
            ({"channels": "all"}, "invalid_channels"),
            ({"channels": [pos_channel(addon_instance.db_name, "x", 1)], "last": -1},
             "invalid_last"),
            ([1, 2], "invalid_body")]:
        socket = connect(server_url, token_for(1, addon_instance.db_name))
        socket.send(json.dumps(subscription))
        [answer] = answers(socket, lambda got: got)
        assert answer["error"]["code"] == code
        with pytest.raises(simple_websocket.ConnectionClosed):
            socket.receive(timeout=5)
    socket = connect(server_url, token_for(1, addon_instance.db_name))
    socket.send("{not json")
    assert answers(socket, lambda got: got)[0]["error"]["code"] == "malformed_json"


# -- on the POS page ----------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.timeout(90)
def test_the_page_uses_the_websocket_and_falls_back_to_polling_by_itself(
        browser_context, make_bus_server):  # noqa: F811 (fixtures)
    from tests.browser import expect
    server = make_bus_server()
    page, errors = open_till(browser_context, server)
    body = page.locator("body")
    expect(body).to_have_attribute("data-bus-transport-in-use", "websocket", timeout=5000)
    expect(body).to_have_attribute("data-bus-state", "online")
    page.locator(".bus-icon").click()
    wait_for_pongs(page, 1)

    # A browser whose WebSocket cannot connect (a proxy that does not pass the upgrade): the
    # page long-polls by itself, and the PONG still comes.
    failing = browser_context.new_page()
    failing.add_init_script("""
        window.WebSocket = class extends EventTarget {
          constructor(url) {
            super();
            setTimeout(() => { this.onerror && this.onerror(new Event("error"));
                               this.onclose && this.onclose(new Event("close")); }, 10);
          }
          send() {}
          close() {}
        };""")
    failing.add_init_script(RECORD_BUS)
    failing.goto(page.url)
    expect(failing.locator("body")).to_have_attribute("data-bus-transport-in-use", "poll",
                                                      timeout=5000)
    expect(failing.locator("body")).to_have_attribute("data-bus-state", "online")
    failing.locator(".bus-icon").click()
    wait_for_pongs(failing, 1)
    assert errors == []
