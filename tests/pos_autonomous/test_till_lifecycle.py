"""Two real instances: the central one served by `core serve`, a till made from its package.
The till sells on its own server; changes on the central instance reach it incrementally."""
import json
import uuid
from decimal import Decimal

from sqlalchemy import create_engine, text

from addons.point_of_sale import Partner, PosConfig, Product
from tests.pos_autonomous.till_helpers import core, table_digest
from tests.support import BUILT_IN_ADDONS_ONLY, start_core_server, stop_process_group


def assert_till_equals_central(central, till_url, config_id=1):
    till = create_engine(till_url)
    try:
        assert table_digest(till, Product.__table__) == table_digest(central.engine,
                                                                     Product.__table__)
        assert table_digest(till, Partner.__table__) == table_digest(central.engine,
                                                                     Partner.__table__)
        assert table_digest(till, PosConfig.__table__) == table_digest(
            central.engine, PosConfig.__table__, PosConfig.__table__.c.id == config_id)
    finally:
        till.dispose()


def test_a_till_made_from_its_package_sells_on_its_own_server(make_till, central, tmp_path):
    till_url = make_till(1)
    assert_till_equals_central(central, till_url)
    session_id = core("--db", till_url, "pos", "open", "1").stdout.strip()
    token = core("--db", till_url, "token", "1").stdout.strip()
    server = start_core_server(till_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    try:
        import requests
        order = {"uuid": uuid.uuid4().hex, "session_id": int(session_id),
                 "created_at": "2026-11-25T10:00:00Z",
                 "lines": [{"product_id": 1, "qty": 1, "price_unit": "1.80"}],
                 "payments": [{"method": "cash", "amount": "10.00"}]}
        answer = requests.post(server.url + "/pos/orders", json=[order], timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"][0]["status"] == "created"
        state = requests.get(server.url + "/pos_autonomous/status", timeout=10,
                             headers={"Authorization": f"Bearer {token}"}).json()
        assert state["role"] == "till" and state["config_id"] == 1
    finally:
        stop_process_group(server.process)


def test_a_till_receives_only_its_own_config(make_till):
    till = create_engine(make_till(2))
    with till.connect() as connection:
        assert connection.execute(text("SELECT id, name FROM point_of_sale_config")).all() \
            == [(2, "Bar")]
    till.dispose()


def test_changes_and_deletions_arrive_incrementally(make_till, central):
    till_url = make_till(1)
    with central.engine.begin() as connection:
        connection.execute(Product.__table__.update().where(Product.id == 1)
                           .values(price=Decimal("2.35"), name="Espresso doppio"))
        connection.execute(Product.__table__.delete().where(Product.id == 2))
        connection.execute(Product.__table__.insert().values(
            name="Matcha", price=Decimal("3.10"), tax_rate=Decimal("5.5"), category="Tea",
            barcode="MATCHA-1"))
        connection.execute(Partner.__table__.insert().values(name="Zoé", email="z@example.com"))
        connection.execute(PosConfig.__table__.update().where(PosConfig.id == 2)
                           .values(name="Terrace"))  # another till's config: not sent
    result = core("--db", till_url, "autonomous", "sync", "--once")
    assert "synchronised (1 page)" in result.stdout
    assert_till_equals_central(central, till_url)
    state = json.loads(core("--db", till_url, "autonomous", "status", "--json").stdout)
    assert state["state"] == "ok" and state["last_error"] is None
    assert all(table["mode"] == "incremental" for table in state["tables"].values())


def test_a_sync_with_nothing_new_is_the_pull_and_the_heads_push(make_till, central_server):
    """Two round trips: the pull, and the push that anchors the till's head at every pass even
    with nothing to send (#24 item 2)."""
    till_url = make_till(1)
    before = central_server.log().count("POST /pos_autonomous/push")
    result = core("--db", till_url, "autonomous", "sync", "--once")
    assert "synchronised (1 page)" in result.stdout
    assert central_server.log().count("POST /pos_autonomous/push") == before + 1
