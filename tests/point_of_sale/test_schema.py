"""point_of_sale's migrations build exactly its models, and uninstall removes them."""
from sqlalchemy import inspect


def test_migrations_build_exactly_the_models(addon_instance):
    assert addon_instance.schema_problems("point_of_sale") == []


def test_uninstall_drops_every_point_of_sale_table(addon_instance):
    addon_instance.uninstall(["point_of_sale"])
    left = [t for t in inspect(addon_instance.engine).get_table_names()
            if t.startswith("point_of_sale_")]
    assert left == []
