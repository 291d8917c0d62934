"""A table whose columns change (an addon upgrade adds one, on the central instance or on the
till) is reloaded alone; the other tables stay incremental."""
from sqlalchemy import MetaData, Table

from addons.point_of_sale import Product
from addons.pos_autonomous.central import pages
from addons.pos_autonomous.central.package import make_package
from addons.pos_autonomous.declarations import active_down_tables, declared_tables
from addons.pos_autonomous.till import apply
from addons.pos_autonomous.till.install import init_till
from addons.pos_autonomous.till.synchroniser import request_full_import
from core.addons import AddonCatalog
from core.instance import Instance
from tests.support import testing_app as built_app


def without_column(declared, column):
    """The declaration as a till running the addon's previous version sees it."""
    old = Table(declared.table.name, MetaData(),
                *[c.copy() for c in declared.table.columns if c.name != column])
    return type(declared)(declared.name, old, declared.key, declared.config_column,
                          declared.directions)


def pull_into(central, till, by_name):
    """Pull pages straight from the central database into the till until it is up to date;
    return the events the till reported."""
    declared = declared_tables(central.plugin_manager())
    events = []
    while True:
        with till.engine.connect() as connection:
            positions = apply.positions(connection)
        with central.engine.begin() as connection:
            answer = pages.answer_pull(connection, active_down_tables(connection, declared),
                                       positions, 1)
        with till.engine.begin() as connection:
            events += apply.apply_answer(connection, answer, by_name)
        if not answer["more"]:
            return events, answer


def test_a_column_added_by_an_upgrade_reloads_that_table_alone(central, tmp_path):
    built_app(central)
    package = tmp_path / "till.package"
    make_package(central, 1, package, "http://127.0.0.1:9")
    till = Instance(f"sqlite:///{tmp_path / 'till.db'}", AddonCatalog())
    init_till(till, package)
    current = {t.name: t for t in declared_tables(till.plugin_manager())}
    older = {**current, "point_of_sale.product": without_column(
        current["point_of_sale.product"], "category")}

    # The till still runs the previous version (its table has no `category`): the server's
    # extra column is left aside, and nothing reloads once the shared columns are settled...
    with till.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE point_of_sale_product DROP COLUMN category")
    request_full_import(till)
    pull_into(central, till, older)
    with central.engine.begin() as connection:
        connection.execute(Product.__table__.update().where(Product.id == 1).values(name="New"))
    events, answer = pull_into(central, till, older)
    assert events == [] and answer["tables"]["point_of_sale.product"]["mode"] == "incremental"

    # ...then the till is upgraded (its migration adds the column): the product table alone
    # is reloaded, and says why.
    with till.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE point_of_sale_product "
                                   "ADD COLUMN category VARCHAR(64) NOT NULL DEFAULT ''")
    events, _ = pull_into(central, till, current)
    assert events == ["point_of_sale.product: full import (its columns changed)"]
    with till.engine.connect() as connection:
        held = apply.positions(connection)
        categories = connection.exec_driver_sql(
            "SELECT count(*) FROM point_of_sale_product WHERE category <> ''").scalar()
    assert all(position["mode"] == "incremental" for position in held.values())
    assert categories > 0
    till.engine.dispose()
