"""The hook pos_autonomous offers: addons declare the tables that travel to autonomous tills."""
from core.plugins import flatten
from tests.support import installed_instance


def test_hook_register_syncable_tables_collects_what_installed_addons_declare(db_url):
    instance = installed_instance(db_url, ["pos_autonomous"], demo=False)
    try:
        declared = {entry["name"]: entry for entry in
                    flatten(instance.plugin_manager(), "register_syncable_tables")}
    finally:
        instance.engine.dispose()
    assert {"point_of_sale.config", "point_of_sale.product",
            "point_of_sale.partner"} <= set(declared)
    config = declared["point_of_sale.config"]
    assert config["table"].name == "point_of_sale_config"
    assert config["config_column"] == "id" and config["directions"] == ("down",)
    assert declared["point_of_sale.partner"]["directions"] == ("down", "up")
