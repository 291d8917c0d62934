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


def test_the_page_size_migration_moves_only_the_old_default(central):
    """Tills installed when pages were 2,000 rows take the new default; a chosen size stays."""
    from alembic import command

    from core.db import migrating
    from core.schema import alembic_config

    def page_size():
        with central.engine.connect() as connection:
            return connection.scalar(text("SELECT value FROM core_parameter "
                                          "WHERE key = 'pos_autonomous.page_size'"))

    def set_page_size(connection, value):
        connection.execute(text("UPDATE core_parameter SET value = :v "
                                "WHERE key = 'pos_autonomous.page_size'"), {"v": value})

    assert page_size() == "10000"  # a new install has the new default
    for stored, expected in (("2000", "10000"), ("500", "500")):
        with migrating(central.engine) as connection:  # back to before the migration
            command.downgrade(alembic_config(central.catalog, connection), "0f2b5d6c7a68")
            set_page_size(connection, stored)
        central.upgrade()
        assert page_size() == expected


def test_workers_starting_together_attach_the_tracking_once(central):
    """`core serve --workers N` builds N apps at once, each attaching the triggers: on
    PostgreSQL two concurrent CREATE OR REPLACE FUNCTION of one name failed a worker's boot."""
    import threading

    from addons.pos_autonomous.central.tracking import drop_all_tracking, ensure_tracked
    from addons.pos_autonomous.declarations import declared_tables
    with central.engine.begin() as connection:
        drop_all_tracking(connection)
    declared = declared_tables(central.plugin_manager())
    start, errors = threading.Barrier(4), []

    def attach():
        start.wait()
        try:
            with central.engine.begin() as connection:
                ensure_tracked(connection, declared)
        except Exception as error:  # what a worker's boot would have died of
            errors.append(error)
    workers = [threading.Thread(target=attach) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    attached = trigger_names(central)
    for table in declared:
        assert any(name.startswith("pos_autonomous_track_" + table.table.name)
                   for name in attached), table.name
