"""A till's checkpoint moves only with its page (README: one page, one transaction): a till
killed while it writes a page's rows still stands where it stood, asks for that page again and
ends with every row. Deterministic: the kill is a trigger of the till's SQLite database that
fails the page's transaction at its first product row written, deleted or at its checkpoint
(an error of the database, "no such table", not a constraint the till would take as a row kept)
(the random kills of test_kill_recovery.py fall there only now and then)."""
from decimal import Decimal

import pytest

from addons.point_of_sale import Product
from addons.pos_autonomous.till import apply
from addons.pos_autonomous.till.client import SyncError
from addons.pos_autonomous.till.synchroniser import Synchroniser
from tests.pos_autonomous.test_synchroniser_timing import point_at
from tests.pos_autonomous.test_till_side import make_till
from tests.pos_autonomous.till_helpers import set_parameters, table_digest

PRODUCTS = Product.__table__


def positions(till):
    with till.engine.connect() as connection:
        return apply.positions(connection)


@pytest.mark.parametrize("moment, table", [
    ("INSERT", "point_of_sale_product"), ("DELETE", "point_of_sale_product"),
    ("UPDATE", "pos_autonomous_checkpoint")])
def test_a_till_killed_while_writing_a_page_keeps_its_checkpoint_and_gets_the_page_again(
        central, central_server, tmp_path, moment, table):
    till = make_till(central, tmp_path)
    point_at(till, central_server.url)
    set_parameters(till.url, {"pos_autonomous.page_size": "3"})
    with central.engine.begin() as connection:  # first: the first page holds the deletion
        connection.execute(PRODUCTS.delete().where(PRODUCTS.c.id == 5))
    with central.engine.begin() as connection:
        connection.execute(PRODUCTS.update().where(PRODUCTS.c.id <= 4)
                           .values(price=Decimal("9.90")))
        connection.execute(PRODUCTS.insert(), [{"name": f"Scone {n}", "price": Decimal("2.20")}
                                               for n in range(4)])
    standing, rows = positions(till), table_digest(till.engine, PRODUCTS)
    with till.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TRIGGER test_kill BEFORE {moment} ON {table} "
                                   "BEGIN SELECT 1 FROM killed_while_applying; END")
    synchroniser = Synchroniser(till)
    with pytest.raises(SyncError, match="killed_while_applying"):
        synchroniser.sync_once()
    with till.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER test_kill")
    assert positions(till) == standing  # the checkpoint did not move without its rows...
    assert table_digest(till.engine, PRODUCTS) == rows  # ...nor the rows without it
    synchroniser.sync_once()
    synchroniser.client.close()
    assert table_digest(till.engine, PRODUCTS) == table_digest(central.engine, PRODUCTS)
    till.engine.dispose()
