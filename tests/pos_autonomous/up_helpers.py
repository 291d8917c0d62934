"""Helpers of the up-direction tests: a till made in process from its package, tickets sold on
it (stored and sealed by point_of_sale, as its POS page's pushes are), batches built from its
ledger, and what the central instance holds of them."""
import uuid as uuid_module

from sqlalchemy import func, select

import addons.point_of_sale as point_of_sale
from addons.pos_autonomous.central import tills
from addons.pos_autonomous.central.package import make_package
from addons.pos_autonomous.role import link
from addons.pos_autonomous.till import push
from addons.pos_autonomous.till.install import init_till
from core.addons import AddonCatalog
from core.instance import Instance


def local_till(central, tmp_path, name="till", config_id=1, server="http://127.0.0.1:9"):
    """A till of `config_id` made from a package of `central` (no server involved)."""
    package = tmp_path / f"{name}.package"
    make_package(central, config_id, package, server)
    till = Instance(f"sqlite:///{tmp_path / f'{name}.db'}", AddonCatalog())
    init_till(till, package)
    return till


def token_of(till):
    with till.engine.connect() as connection:
        row = link(connection)
    return f"{row.till_id}.{row.secret}"


def till_id_of(till):
    return int(token_of(till).partition(".")[0])


def revoked_token(central, tmp_path, config_id=3):
    """The token of a till made for `config_id`, then revoked on the central."""
    gone = local_till(central, tmp_path, name="revoked", config_id=config_id)
    token = token_of(gone)
    gone.engine.dispose()
    with central.engine.begin() as connection:
        tills.revoke(connection, int(token.partition(".")[0]))
    return token


def order(session_id, product_id=1, qty="1", number=0):
    return {"uuid": uuid_module.uuid4().hex, "session_id": session_id,
            "created_at": f"2026-11-26T08:{number // 60 % 60:02d}:{number % 60:02d}Z",
            "lines": [{"product_id": product_id, "qty": qty, "price_unit": "1.80"}],
            "payments": [{"method": "cash", "amount": "5.00"}]}


def sell(engine, count, config_id=1, chunk=500):
    """Sell `count` tickets on the instance of `engine` (a session opened if need be), sealed
    as point_of_sale stores them; return their uuids in order."""
    uuids = []
    with engine.begin() as connection:
        session_id = point_of_sale.open_session(connection, config_id)
    for start in range(0, count, chunk):
        orders = [order(session_id, number=start + n) for n in range(min(chunk, count - start))]
        with engine.begin() as connection:
            results = point_of_sale.push_orders(connection, orders, allowed_config_id=config_id)
        assert all(r["status"] == "created" for r in results), results[:3]
        uuids += [o["uuid"] for o in orders]
    return uuids


def close(engine, config_id=1, manager=None):
    with engine.begin() as connection:
        return point_of_sale.close_session(connection, config_id, manager)


def batch_of(till, after=None, limit=200, chain=None):
    """A batch as the till's synchroniser builds it (from `after`, or its last acknowledged)."""
    with till.engine.begin() as connection:
        row = link(connection)
        if chain is None:
            chain = push.chain_check(connection, row.config_id)
        batch = push.build_batch(connection, row.till_id, row.config_id, limit, chain)
        if after is not None:
            entries = point_of_sale.ledger_entries(connection, row.config_id, after, limit)
            batch.update(entries=entries, first=entries[0]["number"] if entries else None,
                         last=entries[-1]["number"] if entries else None)
    return batch


def record(till, batch, answer):
    with till.engine.begin() as connection:
        return push.record_answer(connection, batch, answer)


def central_entries(central, config_id=1):
    """[(number, uuid)] of the config's ledger on the central instance, in number order."""
    with central.engine.connect() as connection:
        return [(e["number"], e["uuid"]) for e in point_of_sale.ledger_entries(
            connection, config_id, 0, 10**9)]


def central_order_count(central, uuids=None):
    query = select(func.count()).select_from(point_of_sale.Order)
    if uuids is not None:
        query = query.where(point_of_sale.Order.uuid.in_(list(uuids)))
    with central.engine.connect() as connection:
        return connection.scalar(query)
