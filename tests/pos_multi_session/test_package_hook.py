"""The hook pos_multi_session implements for pos_autonomous: a package (one autonomous instance)
holds every config of each multi-session it touches, or none of them (demo data: Shop and Bar
share orders in "Shop floor"; Boutique is alone)."""
from core.plugins import flatten
from tests.support import installed_instance


def refusals(instance, config_ids):
    with instance.engine.connect() as connection:
        return flatten(instance.plugin_manager(), "check_autonomous_package",
                       connection=connection, config_ids=config_ids)


def test_hook_check_autonomous_package_refuses_a_split_multi_session_in_words(db_url):
    instance = installed_instance(db_url, ["point_of_sale", "pos_autonomous",
                                           "pos_multi_session"])
    try:
        assert refusals(instance, [1, 2, 3]) == []
        assert refusals(instance, [3]) == []
        assert refusals(instance, [1, 3]) == [
            "multi-session 'Shop floor' also holds Bar (config 2): its tills share orders "
            "through one instance, so package all its configs together (core autonomous "
            "package 1 2 3 ...) or take them out of the multi-session first"]
    finally:
        instance.engine.dispose()
