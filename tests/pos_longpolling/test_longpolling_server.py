"""The bus under a real `core serve` (gevent): waiting polls wake when a message commits, the
server cycle ends a poll, and a message sent through one process wakes pollers held by another
(two servers: LISTEN/NOTIFY on PostgreSQL, the bus table tailed on SQLite; gunicorn workers on
PostgreSQL)."""
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import simple_websocket

from addons.pos_longpolling.bus import pos_channel
from tests.support import start_core_server, stop_process_group

# Polls ask for 30 s: one answered within ANSWER_WITHIN was woken (or ended by the server's
# cycle), not timed out. HEAD_START lets a poll reach the server before the PING; if it came
# later it would still get the PONG (it reads from `last` = 0), only without a wake-up.
POLL_TIMEOUT, ANSWER_WITHIN, HEAD_START = 30, 3, 0.5
SERVER_CYCLE = 6  # seconds: longer than ANSWER_WITHIN, so that only a wake-up answers within it


@pytest.fixture
def serve(addon_instance, tmp_path):
    """`serve(*args)`: a started `core serve` on the bus instance's database."""
    servers = []
    env = {**os.environ, "CORE_ADDONS_PATH": "", "CORE_LOAD_ENTRY_POINTS": "0"}

    def start(*args):
        servers.append(start_core_server(addon_instance.url, tmp_path, *args, env=env))
        return servers[-1].url

    yield start
    for server in servers:
        stop_process_group(server.process)


@pytest.fixture
def on_postgresql(addon_instance):
    if addon_instance.engine.dialect.name != "postgresql":
        pytest.skip("several processes share wake-ups through PostgreSQL's LISTEN/NOTIFY only; "
                    "set CORE_TEST_DB to run this test")


def poll_later(url, headers, channel, timeout=POLL_TIMEOUT):
    """Start a poll in a thread; the future gives its messages."""
    def call():
        answer = requests.post(url + "/longpolling/poll", headers=headers, timeout=timeout + 10,
                               json={"channels": [channel], "last": 0,
                                     "options": {"timeout": timeout}})
        answer.raise_for_status()
        return answer.json()
    return call


def ping(url, headers, db_name, pos_id=1):
    answer = requests.post(url + "/pos_longpolling/update", headers=headers, timeout=10,
                           json={"pos_id": pos_id, "message": "PING", "db_name": db_name})
    assert answer.json() == 1


def test_a_waiting_poll_wakes_at_the_ping_and_an_idle_one_ends_with_the_cycle(
        addon_instance, set_parameter, token_for, serve):
    set_parameter("pos_longpolling.poll_timeout", SERVER_CYCLE)
    url, headers = serve(), token_for(1, addon_instance.db_name)
    channel = pos_channel(addon_instance.db_name, "pos.longpolling", 1)
    with ThreadPoolExecutor(2) as pool:
        idle = pool.submit(poll_later(url, token_for(2, addon_instance.db_name), pos_channel(
            addon_instance.db_name, "pos.longpolling", 2)))
        waiting = pool.submit(poll_later(url, headers, channel))
        time.sleep(HEAD_START)
        ping(url, headers, addon_instance.db_name)
        messages = waiting.result(ANSWER_WITHIN)
        assert [m["message"] for m in messages] == ["PONG"]
        # The other config's poller was not woken; the server's cycle ends it.
        assert not idle.done()
        assert idle.result(SERVER_CYCLE + ANSWER_WITHIN) == []


def test_a_ping_through_one_server_wakes_a_poller_held_by_another(
        addon_instance, token_for, serve):
    """PostgreSQL: LISTEN/NOTIFY. SQLite: the server holding the poller tails the bus table
    (wakeup.SqliteWatcher)."""
    server_a, server_b = serve(), serve()
    headers = token_for(1, addon_instance.db_name)
    channel = pos_channel(addon_instance.db_name, "pos.longpolling", 1)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(poll_later(server_b, headers, channel))
        time.sleep(HEAD_START)
        ping(server_a, headers, addon_instance.db_name)
        messages = waiting.result(ANSWER_WITHIN)
    assert [m["message"] for m in messages] == ["PONG"]


def test_every_gunicorn_worker_wakes_its_pollers(addon_instance, on_postgresql, token_for, serve):
    """Twelve pollers spread over two workers by the kernel; one PING wakes them all."""
    url, headers = serve("--workers", "2"), token_for(1, addon_instance.db_name)
    channel = pos_channel(addon_instance.db_name, "pos.longpolling", 1)
    with ThreadPoolExecutor(12) as pool:
        waiting = [pool.submit(poll_later(url, headers, channel)) for _ in range(12)]
        time.sleep(2 * HEAD_START)
        ping(url, headers, addon_instance.db_name)
        answers = [future.result(ANSWER_WITHIN) for future in waiting]
    assert all([m["message"] for m in messages] == ["PONG"] for messages in answers)


def test_a_gunicorn_worker_serves_the_websocket(addon_instance, on_postgresql, token_for, serve):
    """The WebSocket route finds the connection under gunicorn's workers too."""
    url, headers = serve("--workers", "2"), token_for(1, addon_instance.db_name)
    channel = pos_channel(addon_instance.db_name, "pos.longpolling", 1)
    socket = simple_websocket.Client.connect(
        url.replace("http", "ws", 1) + "/longpolling/websocket", headers=headers)
    try:
        socket.send(json.dumps({"channels": [channel], "last": 0, "options": {"timeout": 30}}))
        time.sleep(HEAD_START)
        ping(url, headers, addon_instance.db_name)
        answer = json.loads(socket.receive(timeout=ANSWER_WITHIN))
    finally:
        socket.close()
    assert [m["message"] for m in answer] == ["PONG"]
