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
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    csrf_token,
    start_core_server,
    stop_process_group,
)

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


def signed_in_cookie(server_url):
    """The Cookie header of a browser signed in as the admin on the live server."""
    with requests.Session() as session:
        token = csrf_token(session.get(server_url + "/web/login", timeout=10).text)
        answer = session.post(server_url + "/web/login", timeout=10, allow_redirects=False,
                              data={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD,
                                    "csrf_token": token})
        assert answer.status_code == 302, answer.text
        return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def test_a_cookie_socket_is_refused_from_another_origin_and_a_token_socket_is_not(
        addon_instance, server_url, token_for, set_parameter):
    """The admin's cookie opens the bus only for a page of this instance (or a listed origin):
    a page on another port of the same host is the same site, so the Lax cookie goes along."""
    cookie = signed_in_cookie(server_url)
    own = "http://127.0.0.1"  # simple-websocket's client sends `Host: 127.0.0.1` (no port)
    channel = pos_channel(addon_instance.db_name, "pos.longpolling", 1)
    other = "http://127.0.0.1:1"
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        connect(server_url, {"Cookie": cookie, "Origin": other})
    assert refused.value.status_code == 403
    for headers in ({"Cookie": cookie, "Origin": own}, {"Cookie": cookie},
                    {**token_for(1, addon_instance.db_name), "Origin": other}):
        socket = connect(server_url, headers)
        socket.send(json.dumps({"channels": [channel], "last": 0, "options": {"timeout": 1}}))
        assert answers(socket, lambda got: got) == [[]]
        socket.close()


def test_an_origin_listed_in_cors_origins_may_use_the_cookie(addon_instance, set_parameter,
                                                            tmp_path):
    set_parameter("pos_longpolling.cors_origins", "http://till.example:8080, *")
    set_parameter("pos_longpolling.poll_timeout", 1)
    env = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}
    server = start_core_server(addon_instance.url, tmp_path, env=env)
    try:
        cookie = signed_in_cookie(server.url)
        socket = connect(server.url, {"Cookie": cookie, "Origin": "http://till.example:8080"})
        socket.send(json.dumps({"channels": ["x"], "last": 0, "options": {"timeout": 1}}))
        assert answers(socket, lambda got: got) == [[]]
        socket.close()
        with pytest.raises(simple_websocket.ConnectionError) as refused:  # `*`: tokens only
            connect(server.url, {"Cookie": cookie, "Origin": "http://elsewhere.example"})
        assert refused.value.status_code == 403
    finally:
        stop_process_group(server.process)


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


FOREIGN_PAGE = """<!doctype html><title>elsewhere</title><script>
window.seen = [];
const socket = new WebSocket(%s);
socket.onopen = () => socket.send(JSON.stringify({channels: [%s], last: 0,
                                                  options: {timeout: 1}}));
socket.onmessage = (event) => window.seen.push(event.data);
socket.onclose = () => window.seen.push("closed");
</script>"""


@pytest.mark.browser
@pytest.mark.timeout(90)
def test_a_page_on_another_origin_cannot_read_the_bus_with_the_admins_cookie(
        browser_context, make_bus_server, tmp_path):  # noqa: F811 (fixtures)
    """Chromium, signed in on the till's server, opens a page served from another port of the
    same host: its WebSocket to the bus is refused (it read shared orders and customer names
    before); the till's own page keeps its socket."""
    import http.server
    from functools import partial

    from tests.browser import expect
    server = make_bus_server()
    page, errors = open_till(browser_context, server)
    expect(page.locator("body")).to_have_attribute("data-bus-transport-in-use", "websocket",
                                                   timeout=5000)
    ws_url = server.url.replace("http", "ws", 1) + "/longpolling/websocket"
    instance = server.database._instance()
    channel = json.dumps(pos_channel(instance.db_name, "pos.longpolling", 1))
    instance.engine.dispose()
    (tmp_path / "evil.html").write_text(FOREIGN_PAGE % (json.dumps(ws_url), channel))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    foreign = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    try:
        evil = browser_context.new_page()
        evil.goto(f"http://127.0.0.1:{foreign.server_address[1]}/evil.html")
        evil.wait_for_function("window.seen.length > 0", timeout=10000)
        assert evil.evaluate("window.seen") == ["closed"]
    finally:
        foreign.shutdown()
        foreign.server_close()
    assert errors == []


def raw_websocket(server_url, headers):
    """A TCP connection that has done the WebSocket handshake (answer 101), for hand-made
    frames."""
    import base64
    import socket as sockets
    from urllib.parse import urlsplit
    address = urlsplit(server_url)
    client = sockets.create_connection((address.hostname, address.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    client.sendall((f"GET /longpolling/websocket HTTP/1.1\r\nHost: {address.netloc}\r\n"
                    f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                    f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += client.recv(4096)
    assert head.startswith(b"HTTP/1.1 101"), head
    return client


@pytest.mark.parametrize("announced", [64 * 1024 + 1, 2**40])
def test_a_frame_announcing_more_than_the_limit_is_refused_at_once(addon_instance, server_url,
                                                                  token_for, announced):
    """The frame's header is enough: the server answers close 1009 (message too big) and ends
    the connection without waiting for the payload (it waited for as long as the sender
    trickled it)."""
    import struct
    import time
    client = raw_websocket(server_url, token_for(1, addon_instance.db_name))
    started = time.monotonic()
    client.sendall(bytes([0x81, 0x80 | 127]) + struct.pack(">Q", announced) + os.urandom(4)
                   + b"{")
    received = b""
    while True:
        chunk = client.recv(4096)
        if not chunk:
            break
        received += chunk
    client.close()
    assert received[:1] == b"\x88", received  # a close frame
    assert struct.unpack(">H", received[2:4])[0] == 1009
    assert time.monotonic() - started < 5  # at once (the subscription waits 30 s)


def test_a_frame_within_the_limit_in_pieces_is_still_read(addon_instance, server_url,
                                                         token_for):
    """The header watch follows frames split across reads (and several frames in one read)."""
    import time
    client = raw_websocket(server_url, token_for(1, addon_instance.db_name))
    channel = pos_channel(addon_instance.db_name, "pos.longpolling", 1)
    text = json.dumps({"channels": [channel] * 5, "last": 0, "options": {"timeout": 1}}).encode()
    assert len(text) > 125  # a 16-bit length is the shortest form of it
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(text))
    frame = bytes([0x81, 0x80 | 126]) + len(text).to_bytes(2, "big") + mask + masked
    for piece in (frame[:1], frame[1:3], frame[3:9], frame[9:20], frame[20:]):
        client.sendall(piece)
        time.sleep(0.05)
    head = client.recv(2)
    assert head[0] == 0x81  # a text answer: the subscription was read
    client.close()
