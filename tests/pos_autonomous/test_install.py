"""pos_autonomous's migrations build exactly its models; uninstalling it removes its tables and
the triggers it attached to the declared tables (point_of_sale's stay as they were)."""
from sqlalchemy import inspect, text

from addons.point_of_sale import Product
from tests.support import testing_app as built_app


def trigger_names(instance):
    with instance.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return {name for (name,) in connection.execute(text(sql))}


def test_migrations_build_exactly_the_models(central):
    assert central.schema_problems("pos_autonomous") == []


def test_uninstall_removes_its_tables_and_triggers(central):
    built_app(central)  # attaches the triggers
    assert any(name.startswith("pos_autonomous_track_") for name in trigger_names(central))
    central.uninstall(["pos_autonomous"])
    assert not any(name.startswith("pos_autonomous") for name in trigger_names(central))
    tables = inspect(central.engine).get_table_names()
    assert not [t for t in tables if t.startswith("pos_autonomous")]
    with central.engine.begin() as connection:  # point_of_sale's tables work as before
        connection.execute(Product.__table__.update().values(name="still fine"))
