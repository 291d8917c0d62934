"""Many tills at once against a real server (PostgreSQL: gunicorn with 3 worker processes;
SQLite: the single gevent process, since SQLite refuses several workers), and many threads
calling the protocol directly: no order number given twice, every till's message_IDs exactly
1..n in bus order, and no line lost."""
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from addons.point_of_sale.tokens import issue_token
from addons.pos_longpolling import bus
from addons.pos_longpolling.bus import pos_channel
from addons.pos_multi_session_sync import protocol
from addons.pos_multi_session_sync.validation import check_update
from core.addons import AddonCatalog
from core.instance import Instance
from tests.pos_multi_session_sync.sync_helpers import (
    DBNAME,
    MULTI_SESSION,
    Till,
    line,
    order,
    synced,
)
from tests.pos_multi_session_sync.sync_helpers import lines as order_lines
from tests.support import free_port, stop_process_group

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
CORE_COMMAND = str(Path(sys.executable).with_name("core"))
SERVER_START_TIMEOUT = 60  # a ceiling: 3 workers boot slowly on a loaded machine
TILLS = [1, 2, 3, 4]
NEW_ORDERS_PER_TILL = 6
SHARED_ORDERS = 3
ROUNDS = 8  # updates of the shared orders per till


def is_sqlite(db_url):
    return make_url(db_url).get_backend_name() == "sqlite"


@pytest.fixture
def prepared_instance(db_url):
    instance = Instance(db_url, AddonCatalog())
    instance.install(["pos_multi_session_sync"])
    secret = "token-key-of-the-main-instance-shop"  # trusted for the tills' instance DBNAME
    with instance.engine.begin() as connection:
        instance.parameters(connection, instance.plugin_manager()).set(
            "point_of_sale.trusted_token_keys", f"{DBNAME}={secret}")
    yield instance, secret
    instance.engine.dispose()


@pytest.fixture
def sync_server(prepared_instance, db_url, tmp_path):
    instance, secret = prepared_instance
    port = free_port()
    workers = [] if is_sqlite(db_url) else ["--workers", "3"]
    env = {**os.environ, "CORE_ADDONS_PATH": str(REPO / "addons"), "CORE_LOAD_ENTRY_POINTS": "0"}
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block it
        process = subprocess.Popen(
            [CORE_COMMAND, "--db", db_url, "serve", "--port", str(port), *workers],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited:\n{log_path.read_text(errors='replace')}")
            try:
                requests.get(url + "/web/login", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    pytest.fail(f"no answer:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.1)
        yield url, instance, secret
    finally:
        stop_process_group(process)


class HttpClient:
    """What Till needs of a Flask test client, over real HTTP (one session per thread)."""

    def __init__(self, url):
        self.url, self.local = url, threading.local()

    def post(self, path, json, headers):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return Response(self.local.session.post(self.url + path, json=json, headers=headers,
                                                timeout=30))


class Response:
    def __init__(self, response):
        self.response, self.status_code = response, response.status_code

    def get_json(self):
        return self.response.json()

    def get_data(self, as_text=False):
        return self.response.text


def all_bus_messages(instance, pos_id):
    channel = pos_channel(DBNAME, "pos.multi_session", pos_id)
    messages, last = [], 0
    with instance.engine.connect() as connection:
        while batch := bus.fetch(connection, [channel], last):
            messages += [row["message"] for row in batch]
            last = batch[-1]["id"]
    return messages


def run_tills(instance, send_pool, tills):
    """Every till creates orders, then all edit the same shared orders at once. Returns
    {order uid: {line uid: expected qty}} and the order numbers the replies gave."""
    numbers = []
    expected = {}
    lock = threading.Lock()

    def create(till, index):
        uid = f"new-{till.pos_id}-{index}"
        reply = till.update_order(order(uid, [line(uid, number=1)], pos_id=till.pos_id,
                                        sequence_number=index + 1))
        with lock:
            numbers.append(reply["order_ID"])
            expected[uid] = {f"{uid}-1": 1}

    list(send_pool.map(lambda args: create(*args),
                       [(till, i) for till in tills for i in range(NEW_ORDERS_PER_TILL)]))

    shared = [f"new-1-{i}" for i in range(SHARED_ORDERS)]

    def edit_shared(till):
        rng = random.Random(till.pos_id)
        # Its copies: the last broadcast of each order it received.
        received = [m["data"] for m in all_bus_messages(instance, till.pos_id)
                    if m["action"] == "update_order"]
        copies = {uid: [data for data in received if data["uid"] == uid][-1] for uid in shared}
        mine = {uid: [] for uid in shared}  # this till's own lines in each order
        for round_ in range(ROUNDS):
            uid = rng.choice(shared)
            copy = copies[uid]
            lines = [dict(l) for l in order_lines(copy)]
            if mine[uid] and rng.random() < 0.3:  # remove one of its own lines
                gone = mine[uid].pop(rng.randrange(len(mine[uid])))
                lines = [l for l in lines if l["uid"] != gone]
                change = ("remove", gone, None)
            elif mine[uid] and rng.random() < 0.3:  # change one of its own lines
                target = rng.choice(mine[uid])
                qty = rng.randint(2, 9)
                lines = [{**l, "qty": qty} if l["uid"] == target else l for l in lines]
                change = ("qty", target, qty)
            else:
                added = f"{uid}-t{till.pos_id}-{round_}"
                lines.append({"uid": added, "product_id": 1, "qty": 1, "price_unit": "1"})
                mine[uid].append(added)
                change = ("add", added, 1)
            data = {**copy, "lines": lines, "revision_ID": copy["revision_ID"],
                    "nonce": f"{till.pos_id}-{round_}", "pos_id": till.pos_id,
                    "new_order": False}
            data.pop("message_ID", None)
            reply = till.update_order(data)
            assert reply["action"] == "update_revision_ID", reply
            assert reply["conflicts"] == [], reply  # only this till touches its lines
            copies[uid] = reply["order"]
            kind, line_uid, qty = change
            with lock:
                if kind == "remove":
                    expected[uid].pop(line_uid)
                else:
                    expected[uid][line_uid] = qty
            if rng.random() < 0.2:
                till.sync_all(immediate=False)

    list(send_pool.map(edit_shared, tills))
    return expected, numbers


def check_outcome(instance, tills, expected, numbers, first_bus_id):
    total = len(tills) * NEW_ORDERS_PER_TILL
    assert sorted(numbers) == list(range(1, total + 1)), "an order number was given twice"
    for till in tills:
        ids = [m["data"]["message_ID"] for m in all_bus_messages(instance, till.pos_id)]
        # 1 was the immediate sync_all each till loaded with (its reply, not the bus).
        assert ids == list(range(first_bus_id, first_bus_id + len(ids))), \
            f"POS {till.pos_id}: message_IDs with a gap or a duplicate: {ids}"
    final = {o["uid"]: o for o in synced(tills[0].sync_all())}
    assert sorted(o["sequence_number"] for o in final.values()) == list(range(1, total + 1))
    for uid, lines in expected.items():
        got = {l["uid"]: l["qty"] for l in order_lines(final[uid])}
        assert got == lines, f"order {uid}: lines lost, kept or changed wrongly"


def test_many_tills_at_once_on_a_real_server(sync_server):
    url, instance, secret = sync_server
    client = HttpClient(url)
    tills = [Till(client, pos_id=pos_id,
                  headers={"Authorization": "Bearer " + issue_token(
                      secret, DBNAME, pos_id, {MULTI_SESSION: 1})})
             for pos_id in TILLS]
    for till in tills:
        assert till.sync_all()["data"]["message_ID"] == 1
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        expected, numbers = run_tills(instance, pool, tills)
    elapsed = time.monotonic() - started
    check_outcome(instance, tills, expected, numbers, first_bus_id=2)
    assert elapsed < 60


class DirectClient:
    """Calls the protocol in this process, from many threads, without HTTP: the database's
    own locking is all that keeps the updates apart."""

    def __init__(self, instance):
        self.engine = instance.engine

    def post(self, path, json, headers):
        return DirectResponse(protocol.handle_update(self.engine, check_update(json)))


class DirectResponse:
    status_code = 200

    def __init__(self, reply):
        self.reply = reply

    def get_json(self):
        return self.reply


def test_many_threads_updating_one_multi_session(prepared_instance, db_url):
    instance, _ = prepared_instance
    client = DirectClient(instance)
    tills = [Till(client, pos_id=pos_id) for pos_id in TILLS]
    for till in tills:
        assert till.sync_all()["data"]["message_ID"] == 1
    with ThreadPoolExecutor(max_workers=8) as pool:
        expected, numbers = run_tills(instance, pool, tills)
    check_outcome(instance, tills, expected, numbers, first_bus_id=2)
