"""pos_longpolling's migrations build exactly its models, and uninstall removes them."""
from tests.support import (
    assert_migrations_build_exactly_the_models,
    assert_uninstall_drops_every_table,
)


def test_migrations_build_exactly_the_models(addon_instance):
    assert_migrations_build_exactly_the_models(addon_instance, "pos_longpolling")


def test_uninstall_drops_every_pos_longpolling_table(addon_instance):
    assert_uninstall_drops_every_table(addon_instance, "pos_longpolling")
